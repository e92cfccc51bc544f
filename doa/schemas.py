"""DOA API schemas: input ``*Args`` (types only; rules live in the service) and output ``*Schema``."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, pre_load, validate

from core.calendar import local_today
from core.ids import ID_RANGE
from core.schemas import CursorArgs, CursorPageSchema
from core.tasks import service as task_service
from doa import applications, service
from doa import states as st
from doa.lookup import timeline

# A page shows these next to the field's label, in the user's language.
AMOUNT_ERRORS = {"invalid": _l("Not a valid amount.")}
DATE_ERRORS = {"invalid": _l("Use YYYY-MM-DD.")}


class DoaApplicationListArgs(CursorArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100),
                      metadata={"description": "DOA number, serial, waybill, credit number or dealer."})
    state = fields.String(load_default=None, validate=validate.OneOf(st.STATES))
    overdue = fields.Boolean(load_default=False)


class DoaUnitArgs(Schema):
    serial = fields.String(required=True, metadata={"label": _l("Serial")})
    model = fields.String(required=True, metadata={"label": _l("Model")})
    fault = fields.String(load_default="", metadata={"label": _l("Fault")})


class DoaApplicationArgs(Schema):
    dealer_id = fields.Integer(load_default=None, validate=ID_RANGE)
    dealer_code = fields.String(load_default=None, metadata={"label": _l("Dealer code")})
    request = fields.String(required=True, metadata={"description": "replacement or refund",
                                                     "label": _l("Request")})
    # The service requires the date and the units, with the other fields' messages in one answer.
    purchase_date = fields.Date(load_default=None, error_messages=DATE_ERRORS, metadata={"label": _l("Purchase date")})
    fault = fields.String(required=True, metadata={"label": _l("Fault")})
    contact = fields.String(load_default="", metadata={"label": _l("Contact")})
    units = fields.List(fields.Nested(DoaUnitArgs), load_default=list, metadata={"label": _l("Units")})


class DoaPublicApplicationArgs(DoaApplicationArgs):
    """The dealer's own application page: the same fields, plus the phone digits that stand for a login."""
    phone_last4 = fields.String(load_default="", metadata={"label": _l("Last 4 digits of the phone")})


class DoaPublicStatusArgs(Schema):
    """The dealer's status page: the DOA number and the phone digits that stand for a login.

    Only the form is checked here; a number and digits that do not match get the page's one
    neutral answer, saying nothing about which was wrong.
    """
    number = fields.String(required=True, validate=validate.Length(min=1, max=20),
                           metadata={"label": _l("DOA number")})
    phone_last4 = fields.String(required=True, validate=validate.Length(min=1, max=4),
                                metadata={"label": _l("Last four digits of your registered phone")})


class DoaDecisionArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "refuse"],
                                                                    error=_l("Choose approve or refuse.")),
                             metadata={"label": _l("Decision")})
    reason = fields.String(load_default="", metadata={"label": _l("Reason")})


class DoaReasonArgs(Schema):
    reason = fields.String(required=True, metadata={"label": _l("Reason")})


class DoaNoteArgs(Schema):
    note = fields.String(load_default="", metadata={"label": _l("Note")})


def _serial_list(value):
    """Serials typed or pasted into one box (spaces, commas or new lines between) count one by one."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        return value
    return [p for v in values for p in (re.split(r"[\s,，]+", v) if isinstance(v, str) else [v]) if p != ""]


class DoaReceiptArgs(Schema):
    serials = fields.List(fields.String(), required=True, metadata={"description": "Serials that arrived.",
                                                                    "label": _l("Serials")})
    human_damage = fields.List(fields.String(), load_default=list, metadata={"label": _l("Human damage")})
    waybill = fields.String(load_default=None, metadata={"label": _l("Waybill")})
    carrier = fields.String(load_default="", metadata={"label": _l("Carrier")})
    freight_cost = fields.Decimal(load_default=None, as_string=True, error_messages=AMOUNT_ERRORS, metadata={"label": _l("Freight cost")})
    note = fields.String(load_default="", metadata={"label": _l("Note")})

    @pre_load
    def _split_serials(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        return {**data, **{k: _serial_list(data[k]) for k in ("serials", "human_damage") if k in data}}


class DoaOutcomeArgs(Schema):
    serial = fields.String(required=True, metadata={"label": _l("Serial")})
    outcome = fields.String(required=True, validate=validate.OneOf(["repaired", "swapped"],
                                                                   error=_l("Choose repaired or swapped.")),
                            metadata={"label": _l("Outcome")})
    replacement_serial = fields.String(load_default=None, metadata={"label": _l("Replacement serial")})


class DoaPurchasingArgs(Schema):
    units = fields.List(fields.Nested(DoaOutcomeArgs), required=True, metadata={"label": _l("Units")})
    note = fields.String(load_default="", metadata={"label": _l("Note")})


class DoaReplacementShipmentArgs(Schema):
    carrier = fields.String(required=True, metadata={"label": _l("Carrier")})
    waybill = fields.String(required=True, metadata={"label": _l("Waybill")})
    freight_cost = fields.Decimal(load_default=None, as_string=True, error_messages=AMOUNT_ERRORS, metadata={"label": _l("Freight cost")})
    shipped_at = fields.Date(load_default=None, error_messages=DATE_ERRORS, metadata={"label": _l("Shipped on")})
    note = fields.String(load_default="", metadata={"label": _l("Note")})


class DoaCreditArgs(Schema):
    credit_number = fields.String(required=True, metadata={"label": _l("Sales return / credit number")})
    amount = fields.Raw(load_default=None, metadata={"label": _l("Amount"), "type": "string", "example": "199.00",
                                                     "description": "The refund: more than 0, at most 2 decimals."})
    currency = fields.String(load_default=None, metadata={"description": "CNY (default), HKD, TWD or USD.",
                                                          "label": _l("Currency")})
    note = fields.String(load_default="", metadata={"label": _l("Note")})


class DoaWaiverArgs(Schema):
    reason = fields.String(required=True, metadata={"label": _l("Reason")})


class DoaSettleNoteArgs(Schema):
    note = fields.String(required=True, metadata={"description": "Why the refusal is set aside.",
                                                  "label": _l("Note")})


class DoaScanArgs(Schema):
    code = fields.String(required=True, metadata={"label": _l("Code")})
    context = fields.String(load_default=None, metadata={"description": "The DOA number being received."})
    human_damage = fields.Boolean(load_default=False, metadata={"label": _l("Human damage")})
    dealer_code = fields.String(load_default=None, metadata={"label": _l("Dealer code")})
    waybill = fields.String(load_default=None)
    carrier = fields.String(load_default="")


class DoaTaskDecisionArgs(Schema):
    decision = fields.String(required=True)
    note = fields.String(load_default="")


class DoaTaskListArgs(CursorArgs):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "agreed", "disputed", "resolved", ""]))


class DoaHoldListArgs(CursorArgs):
    status = fields.String(load_default="held", validate=validate.OneOf(["held", "repair", "set_aside", ""]))


class DoaConvertArgs(Schema):
    dealer_code = fields.String(load_default=None, metadata={"label": _l("Dealer code")})
    model = fields.String(load_default=None, metadata={"label": _l("Model")})
    fault = fields.String(load_default="", metadata={"label": _l("Fault")})


class DoaSetAsideArgs(Schema):
    note = fields.String(required=True, metadata={"label": _l("Note")})


class DoaAttachmentFileArgs(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DoaLookupArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))


# ------------------------------------------------------------------ output

class DoaUnitSchema(Schema):
    id = fields.Integer()
    line_no = fields.Integer()
    serial = fields.String()
    model = fields.String()
    brand_id = fields.Integer(allow_none=True, metadata={"description": "the model's brand when the unit was entered"})
    fault = fields.String()
    declared = fields.Boolean()
    arrived_at = fields.DateTime()
    human_damage = fields.Boolean()
    outcome = fields.String(allow_none=True)
    replacement_serial = fields.String(allow_none=True)


class DoaApplicationSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    dealer_id = fields.Integer()
    dealer = fields.Function(lambda a: a.dealer.name if a.dealer else "")
    dealer_code = fields.Function(lambda a: a.dealer.code if a.dealer else "")
    office_id = fields.Integer(allow_none=True)
    request = fields.String()
    purchase_date = fields.Date()
    fault = fields.String()
    contact = fields.String()
    source = fields.String()
    state = fields.String()
    state_label = fields.Function(lambda a: st.state_label(a.state))
    created_at = fields.DateTime()
    created_by = fields.String()
    approval_due = fields.Date()
    next_due = fields.Date(allow_none=True)
    overdue = fields.Function(lambda a: a.is_overdue(_today()))
    allowed_actions = fields.Function(lambda a: service.allowed_now(a))
    window_days = fields.Integer(allow_none=True)
    outside_window = fields.Boolean()
    purchase_age_days = fields.Function(lambda a: applications.purchase_age_days(a))
    window_flag = fields.Function(lambda a: applications.window_flag(a),
                                  metadata={"description": "The approvers' warning, in words, or null."})
    refund_amount = fields.Decimal(as_string=True, allow_none=True)
    refund_currency = fields.String(allow_none=True)
    units = fields.List(fields.Nested(DoaUnitSchema))


class DoaApplicationDetailSchema(DoaApplicationSchema):
    channel_decision = fields.String(allow_none=True)
    channel_by = fields.String(allow_none=True)
    channel_at = fields.DateTime(allow_none=True)
    channel_reason = fields.String()
    product_decision = fields.String(allow_none=True)
    product_by = fields.String(allow_none=True)
    product_at = fields.DateTime(allow_none=True)
    product_reason = fields.String()
    approved_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    receipt_findings = fields.List(fields.Dict())
    inbound_shipment = fields.Function(lambda a: a.inbound_shipment.number if a.inbound_shipment else None)
    sales_signed_by = fields.String(allow_none=True)
    sales_signed_at = fields.DateTime(allow_none=True)
    replacement_due = fields.Date(allow_none=True)
    purchasing_by = fields.String(allow_none=True)
    purchasing_at = fields.DateTime(allow_none=True)
    replacement_shipment = fields.Function(
        lambda a: a.replacement_shipment.number if a.replacement_shipment else None)
    replacement_waybill = fields.Function(
        lambda a: a.replacement_shipment.waybill if a.replacement_shipment else None)
    replacement_shipped_at = fields.DateTime(allow_none=True)
    replacement_carrier = fields.Function(
        lambda a: a.replacement_shipment.carrier if a.replacement_shipment else None)
    papers_missing = fields.Function(lambda a: service.closing_papers_missing(a))
    papers_missing_labels = fields.Function(
        lambda a: [str(st.PAPER_LABELS[m]) for m in service.closing_papers_missing(a)])
    closing_waived_by = fields.String(allow_none=True)
    closing_waived_at = fields.DateTime(allow_none=True)
    closing_waiver_reason = fields.String()
    closed_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    refund_product_by = fields.String(allow_none=True)
    refund_product_at = fields.DateTime(allow_none=True)
    refund_finance_by = fields.String(allow_none=True)
    refund_finance_at = fields.DateTime(allow_none=True)
    credit_number = fields.String(allow_none=True)
    credit_by = fields.String(allow_none=True)
    credit_at = fields.DateTime(allow_none=True)
    closed_reason = fields.String()
    history = fields.Method("_history")

    def _history(self, app):
        return DoaEventSchema(many=True).dump(timeline(app))


class DoaEventSchema(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    actor_name = fields.String()
    at = fields.DateTime()
    note = fields.String()
    data = fields.Dict()


class DoaApplicationPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(DoaApplicationSchema))


class DoaHoldSchema(Schema):
    id = fields.Integer()
    serial = fields.String()
    model = fields.String()
    application = fields.Function(lambda h: h.application.number if h.application else None)
    dealer_id = fields.Integer(allow_none=True)
    reason = fields.String()
    status = fields.String()
    arrived_at = fields.DateTime()
    arrived_by = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    rma_number = fields.Function(lambda h: h.parcel.rma_number if h.parcel else None)
    note = fields.String()


class DoaHoldPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(DoaHoldSchema))


class DoaReceiptResultSchema(Schema):
    accepted = fields.Boolean()
    message = fields.String()
    application = fields.Nested(DoaApplicationDetailSchema)
    holds = fields.List(fields.Nested(DoaHoldSchema))


def _application_number(task) -> str | None:
    app = service.task_application(task)
    return app.number if app is not None else None


class DoaTaskSchema(Schema):
    id = fields.Integer()
    application = fields.Function(_application_number)
    hold_id = fields.Function(lambda t: t.subject_id if t.subject_type == "doa_hold" else None)
    dealer_id = fields.Integer(allow_none=True)
    kind = fields.String()
    detail = fields.Function(task_service.task_detail,
                             metadata={"description": "What to tell the dealer, in the request's language."})
    due_on = fields.Date()
    status = fields.String()
    resolution = fields.String(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class DoaTaskPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(DoaTaskSchema))


class DoaAttachmentSchema(Schema):
    id = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    uploaded_by = fields.String()


class DoaScanResultSchema(Schema):
    ok = fields.Boolean()
    status = fields.String()
    message = fields.String()
    context = fields.String(allow_none=True)
    application = fields.Dict(allow_none=True)
    unit = fields.Dict(allow_none=True)
    hold = fields.Dict(allow_none=True)
    options = fields.List(fields.String())


class DoaOverdueSchema(Schema):
    number = fields.Function(lambda r: r["application"].number)
    dealer = fields.Function(lambda r: r["application"].dealer.name if r["application"].dealer else "")
    state = fields.Function(lambda r: r["application"].state)
    clock = fields.String()
    due = fields.Date()
    late = fields.Integer(metadata={"description": "Working days late."})


class DoaOverduePageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(DoaOverdueSchema))


class DoaParcelRefSchema(Schema):
    rma_number = fields.String()
    id = fields.Integer()


def _today():
    return local_today()
