"""DOA API schemas: input ``*Args`` (types only; rules live in the service) and output ``*Schema``."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.calendar import local_today
from core.ids import ID_RANGE
from core.schemas import PageArgs, PageSchema
from doa import applications, service
from doa import states as st
from doa.lookup import timeline


class DoaApplicationListArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100),
                      metadata={"description": "DOA number, serial, waybill, credit number or dealer."})
    state = fields.String(load_default=None, validate=validate.OneOf(st.STATES))
    overdue = fields.Boolean(load_default=False)


class DoaUnitArgs(Schema):
    serial = fields.String(required=True)
    model = fields.String(required=True)
    fault = fields.String(load_default="")


class DoaApplicationArgs(Schema):
    dealer_id = fields.Integer(load_default=None, validate=ID_RANGE)
    dealer_code = fields.String(load_default=None)
    request = fields.String(required=True, metadata={"description": "replacement or refund"})
    purchase_date = fields.Date(required=True)
    fault = fields.String(required=True)
    contact = fields.String(load_default="")
    units = fields.List(fields.Nested(DoaUnitArgs), required=True)


class DoaDecisionArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "refuse"]))
    reason = fields.String(load_default="")


class DoaReasonArgs(Schema):
    reason = fields.String(required=True)


class DoaNoteArgs(Schema):
    note = fields.String(load_default="")


class DoaReceiptArgs(Schema):
    serials = fields.List(fields.String(), required=True, metadata={"description": "Serials that arrived."})
    human_damage = fields.List(fields.String(), load_default=list)
    waybill = fields.String(load_default=None)
    carrier = fields.String(load_default="")
    freight_cost = fields.Decimal(load_default=None, as_string=True)
    note = fields.String(load_default="")


class DoaOutcomeArgs(Schema):
    serial = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(["repaired", "swapped"]))
    replacement_serial = fields.String(load_default=None)


class DoaPurchasingArgs(Schema):
    units = fields.List(fields.Nested(DoaOutcomeArgs), required=True)
    note = fields.String(load_default="")


class DoaReplacementShipmentArgs(Schema):
    carrier = fields.String(required=True)
    waybill = fields.String(required=True)
    freight_cost = fields.Decimal(load_default=None, as_string=True)
    shipped_at = fields.Date(load_default=None)
    note = fields.String(load_default="")


class DoaCreditArgs(Schema):
    credit_number = fields.String(required=True)
    amount = fields.Raw(load_default=None, metadata={"type": "string", "example": "199.00",
                                                     "description": "The refund: more than 0, at most 2 decimals."})
    currency = fields.String(load_default=None, metadata={"description": "CNY (default), HKD, TWD or USD."})
    note = fields.String(load_default="")


class DoaWaiverArgs(Schema):
    reason = fields.String(required=True)


class DoaSettleNoteArgs(Schema):
    note = fields.String(required=True, metadata={"description": "Why the refusal is set aside."})


class DoaScanArgs(Schema):
    code = fields.String(required=True)
    context = fields.String(load_default=None, metadata={"description": "The DOA number being received."})
    human_damage = fields.Boolean(load_default=False)
    dealer_code = fields.String(load_default=None)
    waybill = fields.String(load_default=None)
    carrier = fields.String(load_default="")


class DoaTaskDecisionArgs(Schema):
    decision = fields.String(required=True)
    note = fields.String(load_default="")


class DoaTaskListArgs(PageArgs):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "agreed", "disputed", "resolved", ""]))


class DoaHoldListArgs(PageArgs):
    status = fields.String(load_default="held", validate=validate.OneOf(["held", "repair", "set_aside", ""]))


class DoaConvertArgs(Schema):
    dealer_code = fields.String(load_default=None)
    model = fields.String(load_default=None)
    fault = fields.String(load_default="")


class DoaSetAsideArgs(Schema):
    note = fields.String(required=True)


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


class DoaApplicationPageSchema(PageSchema):
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


class DoaHoldPageSchema(PageSchema):
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
    detail = fields.String()
    due_on = fields.Date()
    status = fields.String()
    resolution = fields.String(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class DoaTaskPageSchema(PageSchema):
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


class DoaParcelRefSchema(Schema):
    rma_number = fields.String()
    id = fields.Integer()


def _today():
    return local_today()
