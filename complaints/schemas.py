"""Complaint API schemas: input ``*Args`` (types and bounds; rules live in the services) and output ``*Schema``.

The customer's personal data leaves only through :func:`complaints.mediation.shown`,
which masks it for those without the need; lists never carry it.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from complaints import states as st
from core.ids import ID_RANGE
from core.schemas import Line, Money, PageArgs, PageSchema

DATE_ERRORS = {"invalid": _l("Use YYYY-MM-DD.")}
AMOUNT_ERRORS = {"invalid": _l("Not a valid amount.")}
TEXT = validate.Length(max=5000)


class ComplaintListArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100),
                      metadata={"description": "CS number or subject."})
    state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in st.ComplaintState]))
    tier = fields.String(load_default=None, validate=validate.OneOf([t.value for t in st.Tier]))
    overdue = fields.Boolean(load_default=False)


class ComplaintArgs(Schema):
    dealer_id = fields.Integer(load_default=None, validate=ID_RANGE)
    dealer_code = Line(load_default=None, validate=validate.Length(max=40), metadata={"label": _l("Dealer code")})
    tier = fields.String(required=True, validate=validate.OneOf([t.value for t in st.Tier],
                                                                error=_l("Choose the tier.")),
                         metadata={"label": _l("Tier"), "description": "ordinary, serious or very_serious"})
    subject = Line(required=True, validate=validate.Length(min=1, max=200), metadata={"label": _l("Subject")})
    description = fields.String(load_default="", validate=TEXT, metadata={"label": _l("Description")})
    received_on = fields.Date(load_default=None, error_messages=DATE_ERRORS, metadata={"label": _l("Received on")})
    about_staff = fields.Boolean(load_default=False, metadata={"label": _l("About CS staff")})
    brand_id = fields.Integer(load_default=None, validate=ID_RANGE, metadata={"label": _l("Brand")})


def _compensation_in_range(amount) -> None:
    # A function, not validate.Range: OpenAPI would document a numeric maximum on a string field.
    if not 0 <= amount <= 9_999_999:
        raise ValidationError(_l("Enter an amount from 0 to 9,999,999."))


class ComplaintStepArgs(Schema):
    """The fields of every step; each step reads those it needs (``complaints.handling.step``)."""

    text = fields.String(load_default="", validate=TEXT, metadata={"label": _l("Text")})
    note = fields.String(load_default="", validate=validate.Length(max=500), metadata={"label": _l("Note")})
    department_id = fields.Integer(load_default=None, validate=ID_RANGE, metadata={"label": _l("Department")})
    compensation = Money(load_default=None, validate=_compensation_in_range,
                         error_messages=AMOUNT_ERRORS, metadata={"label": _l("Compensation")})
    due_on = fields.Date(load_default=None, error_messages=DATE_ERRORS, metadata={"label": _l("Due on")})
    satisfied = fields.Boolean(load_default=None, metadata={"label": _l("Customer satisfied")})


class MediationArgs(Schema):
    """附件9: every field of the mediation agreement."""

    agreement_number = Line(load_default="", validate=validate.Length(max=40), metadata={"label": _l("Agreement number")})
    customer_name = Line(required=True, validate=validate.Length(min=1, max=80),
                         metadata={"label": _l("Customer (party A)")})
    customer_address = Line(load_default="", validate=validate.Length(max=300), metadata={"label": _l("Home address")})
    customer_phone = Line(load_default="", validate=validate.Length(max=40), metadata={"label": _l("Phone")})
    id_number = Line(required=True, validate=validate.Length(max=40), metadata={"label": _l("ID number")})
    company_name = Line(load_default="", validate=validate.Length(max=120), metadata={"label": _l("Company (party B)")})
    company_address = Line(load_default="", validate=validate.Length(max=300),
                           metadata={"label": _l("Company address")})
    company_phone = Line(load_default="", validate=validate.Length(max=40), metadata={"label": _l("Company phone")})
    company_contact = Line(load_default="", validate=validate.Length(max=80), metadata={"label": _l("Contact person")})
    signed_on = fields.Date(required=True, error_messages=DATE_ERRORS, metadata={"label": _l("Signed on")})
    complained_on = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                                metadata={"label": _l("Complaint made on")})
    product = Line(load_default="", validate=validate.Length(max=300), metadata={"label": _l("Product complained about")})
    customer_duties = fields.String(load_default="", validate=TEXT, metadata={"label": _l("Party A undertakes")})
    company_duties = fields.String(load_default="", validate=TEXT, metadata={"label": _l("Party B undertakes")})
    customer_representative = Line(load_default="", validate=validate.Length(max=80),
                                   metadata={"label": _l("Party A's representative")})
    company_representative = Line(load_default="", validate=validate.Length(max=80),
                                  metadata={"label": _l("Party B's representative")})


class ComplaintEventSchema(Schema):
    action = fields.String()
    action_label = fields.Function(lambda e: st.action_label(e.action))
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    actor = fields.String(attribute="actor_name")
    at = fields.DateTime()
    note = fields.String()


class ComplaintSchema(Schema):
    """A complaint in a list: no personal data of the customer."""

    id = fields.Integer()
    number = fields.String()
    tier = fields.String()
    tier_label = fields.Function(lambda c: st.Tier.label_of(c.tier))
    state = fields.String()
    state_label = fields.Function(lambda c: st.state_label(c.state))
    dealer_id = fields.Integer()
    dealer = fields.Function(lambda c: c.dealer.name if c.dealer else None)
    office_id = fields.Integer(allow_none=True)
    about_staff = fields.Boolean()
    brand_id = fields.Integer(allow_none=True)
    brand = fields.Function(lambda c: c.brand.name if c.brand else None)
    subject = fields.String()
    received_on = fields.Date()
    answer_due = fields.Date(allow_none=True)
    visit_due = fields.Date(allow_none=True)
    next_due = fields.Date(allow_none=True)


class ComplaintPageSchema(PageSchema):
    items = fields.List(fields.Nested(ComplaintSchema))


class MediationSchema(Schema):
    masked = fields.Boolean()
    agreement_number = fields.String()
    customer_name = fields.String()
    customer_address = fields.String()
    customer_phone = fields.String()
    id_number = fields.String()
    customer_representative = fields.String()
    company_name = fields.String()
    company_address = fields.String()
    company_phone = fields.String()
    company_contact = fields.String()
    signed_on = fields.Date()
    complained_on = fields.Date(allow_none=True)
    product = fields.String()
    customer_duties = fields.String()
    company_duties = fields.String()
    company_representative = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class ComplaintAttachmentSchema(Schema):
    id = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    uploaded_at = fields.DateTime()
    uploaded_by = fields.String()


class ComplaintDetailSchema(ComplaintSchema):
    """One complaint with its answers, report, sign-off, approval, visit and history.

    Built from :func:`complaints.views_data.detail` (a dict), so the mediation agreement
    is already masked for the reader.
    """

    description = fields.String()
    department = fields.String(allow_none=True)
    internal_letter = fields.String()
    department_answer = fields.String()
    department_answered_at = fields.DateTime(allow_none=True)
    report = fields.String()
    report_by = fields.String(allow_none=True)
    compensation = Money(allow_none=True)
    signed_by = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)
    gm_approved_by = fields.String(allow_none=True)
    gm_approved_at = fields.DateTime(allow_none=True)
    dealer_answer = fields.String()
    answered_by = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    fix = fields.String()
    fixed_at = fields.DateTime(allow_none=True)
    visit_outcome = fields.String()
    visit_satisfied = fields.Boolean(allow_none=True)
    visited_by = fields.String(allow_none=True)
    visited_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    allowed = fields.List(fields.String())
    attachments = fields.List(fields.Nested(ComplaintAttachmentSchema))
    mediation = fields.Nested(MediationSchema, allow_none=True)
    events = fields.List(fields.Nested(ComplaintEventSchema))




class AttachmentFileArgs(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary", "label": _l("File")})
