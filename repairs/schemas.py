"""API input (*Args) and output (*Schema) schemas for repairs."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from core.calendar import local_today
from core.ids import ID_RANGE
from core.schemas import CursorArgs, Money, PageArgs
from core.tasks import service as task_service
from repairs import clocks, dealer_tasks, search, service, swap
from repairs import states as st
from repairs.outcomes import SETTLEMENTS, TASK_DECISIONS
from repairs.scan import MODES
from repairs.service import FINDINGS, OUTCOMES, timeline


class RepairLineArgs(Schema):
    model = fields.String(required=True, validate=validate.Length(min=1, max=80))
    serial = fields.String(required=True, validate=validate.Length(min=1, max=64))
    fault = fields.String(load_default="", validate=validate.Length(max=300))
    warranty_claimed = fields.Boolean(load_default=True)
    route = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))


class RepairParcelArgs(Schema):
    dealer_id = fields.Integer(load_default=None, validate=ID_RANGE, metadata={"label": _l("Dealer")})
    dealer_code = fields.String(load_default=None, validate=validate.Length(max=20))
    inbound_waybill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                                    metadata={"label": _l("Inbound waybill")})
    inbound_carrier = fields.String(load_default="", validate=validate.Length(max=60),
                                    metadata={"label": _l("Carrier")})
    note = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"label": _l("Note")})
    lines = fields.List(fields.Nested(RepairLineArgs), load_default=list)
    rows = fields.String(load_default=None, validate=validate.Length(max=200_000),
                         metadata={"description": "Declared lines as pasted CSV/TSV rows (instead of lines).",
                                   "label": _l("Declared lines")})


class RepairArrivalArgs(Schema):
    dealer_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    inbound_waybill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class RepairReceiveArgs(Schema):
    serial = fields.String(required=True, validate=validate.Length(min=1, max=64))
    rma_number = fields.String(load_default=None, validate=validate.Length(max=20),
                               metadata={"description": "The parcel; needed to take in an undeclared unit."})


class RepairSwapArgs(Schema):
    """A vendor-managed unit swapped from the vendor pool (repairs.swap)."""

    good_serial = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                                metadata={"label": _l("Good unit's serial"),
                                          "description": "Serialized parts: the pool's unit sent; left out, the "
                                                         "first one the pool holds."})
    carrier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                            metadata={"label": _l("Carrier")})
    waybill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                            metadata={"label": _l("Waybill")})
    note = fields.String(load_default="", validate=validate.Length(max=300), metadata={"label": _l("Note")})


class RepairInspectArgs(Schema):
    human_damage = fields.Boolean(load_default=False)
    no_stock = fields.Boolean(load_default=False)
    out_of_warranty = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validate.Length(max=300), metadata={"label": _l("Note")})
    route = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                          metadata={"label": _l("Route")})


class RepairLegArgs(Schema):
    """The carrier and waybill of a leg: the unit page sends one unit's, the API a list's."""

    carrier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                            metadata={"label": _l("Carrier")})
    waybill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                            metadata={"label": _l("Waybill")})


class RepairShipArgs(RepairLegArgs):
    serials = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                          validate=validate.Length(min=1, max=500))


class RepairFactoryReturnArgs(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES), metadata={"label": _l("Outcome")})
    replacement_serial = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                                       metadata={"label": _l("Replacement serial")})
    scrap = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validate.Length(max=300), metadata={"label": _l("Note")})


class _DecisionTermsArgs(Schema):
    """What goes with a no-stock unit's substitute or credit decision (see repairs.outcomes)."""

    substitute_model = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80),
                                     metadata={"description": "With decision substitute: the model sent instead."})
    price_difference = Money(load_default=None, allow_none=True,
                             metadata={"description": "With substitute: what the dealer pays more (or "
                                                      "less); left out, it comes from the price list."})
    credit_amount = Money(load_default=None, allow_none=True,
                          metadata={"description": "With decision credit: the credit note's amount (RMB)."})


class RepairTaskResolveArgs(_DecisionTermsArgs):
    decision = fields.String(required=True, validate=validate.OneOf(sorted(TASK_DECISIONS)))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class RepairTaskSettleArgs(_DecisionTermsArgs):
    decision = fields.String(required=True, validate=validate.OneOf(sorted(SETTLEMENTS)))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class RepairTaskListArgs(CursorArgs):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "disputed", "agreed", "resolved", "all"]))


class RepairPageArgs(PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class RepairParcelListArgs(CursorArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class RepairLookupArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RepairScanArgs(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    parcel = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    findings = fields.List(fields.String(validate=validate.OneOf(FINDINGS)), load_default=list)
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(OUTCOMES))
    replacement_serial = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    scrap = fields.Boolean(load_default=False)
    confirm_missing = fields.Boolean(load_default=False, metadata={
        "description": "With the parcel's RMA label scanned again: complete the receipt although units are still "
                       "expected (they become missing). Send it after an answer with needs=confirm_missing."})


class RepairCompleteReceiptArgs(Schema):
    confirm_missing = fields.Boolean(load_default=False, metadata={
        "description": "Required when units are still expected or the parcel has not arrived: they become missing, "
                       "each with a dealer task. Without it such a receipt is a 409 (code confirm_missing) listing "
                       "expected_serials."})


# A price's day, as the pages and the API both take it.
_DATE_ERRORS = {"invalid": _l("Give the date as YYYY-MM-DD.")}


def _not_negative(value):
    # Raised, not returned: marshmallow 4 ignores a validator's False.
    if value < 0:
        raise ValidationError(str(_l("Must not be negative.")))  # a str: marshmallow takes a lazy string for a list


class RepairPriceArgs(Schema):
    model = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={"label": _l("Model")})
    effective_from = fields.Date(required=True, error_messages=_DATE_ERRORS, metadata={"label": _l("In force from")})
    # A plain callable, not Range: apispec would publish Range's bound as the string "0.00".
    amount = fields.Decimal(required=True, places=2, validate=_not_negative,
                            error_messages={"invalid": _l("Not a valid amount.")},
                            metadata={"label": _l("Price (RMB)")})
    notice = fields.String(load_default="", validate=validate.Length(max=200), metadata={"label": _l("Notice")})


class PriceListFileArgs(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "CSV (UTF-8 or GBK) or XLSX, header line first."})


class RepairPriceNoticeArgs(Schema):
    effective_from = fields.Date(required=True, error_messages=_DATE_ERRORS, metadata={"label": _l("In force from")})
    delta = fields.Decimal(required=True, places=2, as_string=True, error_messages={"invalid": _l("Not a valid amount.")},
                           metadata={"label": _l("Change per repair (RMB, e.g. -10)")})
    notice = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"label": _l("Notice")})


class SerialPatternArgs(Schema):
    """A serial pattern from the supervisor's page; repairs.code_shapes checks the pattern itself."""

    applies_to = fields.String(load_default="", validate=validate.Length(max=80), metadata={"label": _l("Applies to")})
    mask = fields.String(load_default="", validate=validate.Length(max=64), metadata={"label": _l("Pattern")})
    note = fields.String(load_default="", validate=validate.Length(max=200), metadata={"label": _l("Note")})


class RepairPublicStatusArgs(Schema):
    rma_number = fields.String(required=True, validate=validate.Length(min=1, max=20),
                               metadata={"label": _l("RMA number")})
    phone_last4 = fields.String(required=True, validate=validate.Length(min=1, max=4),
                                metadata={"label": _l("Last four digits of the dealer's phone")})


class RepairEventSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    actor_name = fields.String()
    at = fields.DateTime()
    note = fields.String()
    data = fields.Dict()


class RepairUnitSchema(Schema):
    id = fields.Integer()
    serial = fields.String()
    model = fields.String()
    brand_id = fields.Integer(allow_none=True, metadata={"description": "the model's brand when the unit was entered"})
    fault = fields.String()
    warranty_claimed = fields.Boolean()
    declared = fields.Boolean()
    state = fields.String()
    state_label = fields.Function(lambda u: st.state_label(u.state))
    rma_number = fields.Function(lambda u: u.parcel.rma_number)
    dealer = fields.Function(lambda u: u.parcel.dealer.name if u.parcel.dealer else None)
    route = fields.Function(lambda u: u.route.code if u.route else None)
    received_at = fields.DateTime(allow_none=True)
    inspected_at = fields.DateTime(allow_none=True)
    dispatched_at = fields.DateTime(allow_none=True)
    returned_at = fields.DateTime(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    dispatch_due = fields.Date(allow_none=True)
    ship_due = fields.Date(allow_none=True, metadata={"description": "The dealer promise's due day, net of pauses."})
    factory_due = fields.Date(allow_none=True, metadata={"description": "After this day the factory (or, on a "
                                                                       "route without a promise, the repairer) is chased."})
    promise_paused_on = fields.Date(allow_none=True, metadata={"description": "The day the CS clocks were paused "
                                                                             "(awaiting the dealer or the supervisor)."})
    paused_days = fields.Integer(metadata={"description": "Working days the CS clocks stood still so far."})
    next_due = fields.Date(allow_none=True)
    overdue = fields.Method("_overdue")
    human_damage = fields.Boolean()
    no_stock = fields.Boolean()
    out_of_warranty = fields.Boolean()
    quote_amount = Money(allow_none=True, metadata={"description": "0 when the charge was waived."})
    quote_waived_reason = fields.String(allow_none=True)
    dealer_decision = fields.String(allow_none=True)
    substitute_model = fields.String(allow_none=True)
    price_difference = Money(allow_none=True)
    credit_amount = Money(allow_none=True)
    outcome = fields.String(allow_none=True)
    replacement_serial = fields.String(allow_none=True)
    # The table's next steps whose guard passes (a swap only for a vendor-managed model).
    allowed = fields.Function(lambda u: swap.WORKFLOW.possible(u))

    def _overdue(self, unit):
        return unit.is_overdue(local_today())


class RepairClockSchema(Schema):
    kind = fields.String(metadata={"description": "dispatch, promise, factory or long_outstanding"})
    label = fields.String()
    owner = fields.String(metadata={"description": "cs, factory or repairer"})
    owner_label = fields.String()
    due = fields.Date(allow_none=True)
    status = fields.String(metadata={"description": "running, paused, late, met, missed or not_started"})
    status_label = fields.String()
    paused_since = fields.Date(allow_none=True)
    pause_reason = fields.String()
    days_late = fields.Integer()


class RepairUnitDetailSchema(RepairUnitSchema):
    timeline = fields.Method("_timeline")
    clocks = fields.Method("_clocks")
    shipments = fields.Method("_shipments", metadata={"description": "The unit's legs (to the factory, back to "
                                                                   "the dealer) with number, status, waybill, "
                                                                   "carrier and ship date"})

    def _shipments(self, unit):
        return [{"leg": row["leg"], "number": row["shipment"].number, "status": row["shipment"].status,
                 "open_box": row["open_box"], "waybill": row["shipment"].waybill,
                 "carrier": row["shipment"].carrier or None,
                 "shipped_at": row["shipment"].shipped_at.isoformat() if row["shipment"].shipped_at else None}
                for row in search.unit_shipments(unit)]

    def _clocks(self, unit):
        return RepairClockSchema(many=True).dump(clocks.clocks(unit, local_today()))

    def _timeline(self, unit):
        return RepairEventSchema(many=True).dump(timeline(unit))


class RepairParcelSchema(Schema):
    id = fields.Integer()
    rma_number = fields.String()
    dealer_id = fields.Integer()
    dealer = fields.Function(lambda p: p.dealer.name if p.dealer else None)
    office_id = fields.Integer(allow_none=True)
    inbound_waybill = fields.String(allow_none=True)
    inbound_carrier = fields.String()
    source = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    arrived_at = fields.DateTime(allow_none=True)
    receipt_completed_at = fields.DateTime(allow_none=True)


class ParcelWarningSchema(Schema):
    code = fields.String(metadata={"description": "open_elsewhere"})
    serial = fields.String()
    message = fields.String(metadata={"description": "In words, naming the serial and where it is open."})
    open_elsewhere = fields.Dict(metadata={"description": "kind (repair, doa), rma_number (or DOA number), state, "
                                                          "state_label, url"})


class RepairParcelDetailSchema(RepairParcelSchema):
    units = fields.List(fields.Nested(RepairUnitSchema))
    warnings = fields.Function(lambda p: ParcelWarningSchema(many=True).dump(service.parcel_warnings(p)),
                               metadata={"description": "Units whose serial is still open on another parcel or DOA "
                                                        "case: declared all the same, to be settled by the desk."})


class RepairTaskSchema(Schema):
    id = fields.Integer()
    parcel_id = fields.Integer(attribute="case_id")
    rma_number = fields.Function(lambda t: dealer_tasks.task_parcel(t).rma_number)
    unit_id = fields.Function(lambda t: t.subject_id if t.subject_type == "repair_unit" else None)
    serial = fields.Function(lambda t: (u.serial if (u := dealer_tasks.task_unit(t)) is not None else None))
    kind = fields.String()
    detail = fields.Function(task_service.task_detail,
                             metadata={"description": "What to tell the dealer, in the request's language."})
    due_on = fields.Date()
    status = fields.String()
    resolution = fields.String(allow_none=True)
    note = fields.String()
    closed_at = fields.DateTime(allow_none=True)


class RepairPriceSchema(Schema):
    id = fields.Integer()
    model = fields.String()
    effective_from = fields.Date()
    amount = Money()
    notice = fields.String()
    replaced = fields.Function(lambda p: bool(getattr(p, "replaced", False)),
                               metadata={"description": "A newer row from the same day (a notice) replaced it."})


class RepairSwapSchema(Schema):
    """What a swap did: the unit (shipped), the shipment to the dealer, the good unit and the top-up task."""

    unit = fields.Nested(RepairUnitSchema)
    shipment = fields.Function(lambda r: r["shipment"].number)
    good_serial = fields.String(allow_none=True)
    movement_id = fields.Function(lambda r: r["movement"].id)
    topup_task_id = fields.Function(lambda r: r["topup_task"].id if r["topup_task"] is not None else None,
                                    metadata={"description": "The purchasing top-up task this swap opened, if any."})


class RepairShipmentRefSchema(Schema):
    number = fields.String()
    units = fields.List(fields.Nested(RepairUnitSchema))


class RepairScanResultSchema(Schema):
    """The scan station's answer. Error bodies (4xx) of the scan also carry ``level`` ("error") and
    ``scanned_code``; ``code`` there is the error's kind (e.g. not_a_serial, open_elsewhere, wrong_mode)."""

    ok = fields.Boolean()
    status = fields.String(metadata={"description": "done, already_done, context or needs_input"})
    level = fields.String(metadata={"description": "How to show it: success (green), warning (amber: done, but the "
                                                   "desk must look: an extra unit, missing units, a held unit), "
                                                   "error (red), done (already done, nothing changed), input (the "
                                                   "station must ask: see needs)."})
    code = fields.String(metadata={"description": "The code as scanned; the message names it."})
    scanned_code = fields.String(metadata={"description": "The same as code (error bodies carry this one)."})
    message = fields.String(metadata={"description": "In the user's language, naming the code."})
    unit = fields.Dict(allow_none=True)
    parcel = fields.Dict(allow_none=True, metadata={
        "description": "The parcel's progress: rma_number, dealer, scanned, expected (scanned of expected), "
                       "progress (those in words), expected_serials (still awaited), extra, receipt_complete."})
    context = fields.String(allow_none=True)
    shipment = fields.String(allow_none=True)
    needs = fields.String(allow_none=True, metadata={
        "description": "replacement_serial: scan the replacement's serial next; confirm_missing: units are still "
                       "expected (expected_serials): scanning the RMA label again with confirm_missing=true "
                       "completes the receipt anyway."})
    expected_serials = fields.List(fields.String(), metadata={"description": "With needs=confirm_missing."})
    missing_serials = fields.List(fields.String(), metadata={"description": "Units a completed receipt marked missing."})
    open_elsewhere = fields.Dict(allow_none=True, metadata={
        "description": "The same serial still open on another parcel or DOA case: rma_number, url, state_label "
                       "(also in error bodies with code open_elsewhere)."})
    label_rma = fields.String(allow_none=True)
    box = fields.Dict(allow_none=True, metadata={"description": "To factory / Ship to dealer: the open box the "
                                                                "unit is packed in (id, number, destination, count)"})


class RepairOverdueRowSchema(Schema):
    unit = fields.Nested(RepairUnitSchema)
    late = fields.Integer(metadata={"description": "Days past the due date: working days for the CS clocks "
                                                   "(dispatch, promise), calendar days for factory and "
                                                   "long_outstanding."})
    working_days = fields.Boolean(metadata={"description": "True when 'late' counts working days."})
    bucket = fields.String()
    clock = fields.String(metadata={"description": "Which clock ran out: dispatch (CS sends to the factory), "
                                                   "promise (the dealer's promise), factory (the factory's own "
                                                   "days), long_outstanding (route without a promise)."})
    clock_label = fields.String()
    owner = fields.String(metadata={"description": "Whose clock ran out: cs, factory or repairer."})
    owner_label = fields.String()
    due = fields.Date()


class RepairPublicUnitSchema(Schema):
    serial = fields.String()
    model = fields.String()
    state = fields.String()
    state_label = fields.String()
    replacement_serial = fields.String(allow_none=True)
    ship_due = fields.Date(allow_none=True, metadata={"description": "Empty while a decision is awaited."})
    shipped_at = fields.DateTime(allow_none=True)
    shipped_on = fields.Date(allow_none=True, metadata={"description": "The day the unit left for the dealer"})
    carrier = fields.String(allow_none=True, metadata={"description": "The courier it left with"})
    waybill = fields.String(allow_none=True, metadata={"description": "The courier's waybill number"})
    waiting_on = fields.String(allow_none=True, metadata={"description": "dealer or supervisor: whose answer "
                                                                         "the unit waits for"})
    waiting_label = fields.String(allow_none=True)
    paused_since = fields.Date(allow_none=True, metadata={"description": "While a decision is awaited: the day "
                                                                        "the promise's clock stopped."})
    decision = fields.String(allow_none=True)
    decision_label = fields.String(allow_none=True)
    substitute_model = fields.String(allow_none=True)
    price_difference = Money(allow_none=True)
    credit_amount = Money(allow_none=True)
    quote_amount = Money(allow_none=True)
    quote_waived_reason = fields.String(allow_none=True)


class RepairBoxSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "The box's shipment number (SH...)"})
    leg = fields.String(metadata={"description": "hq_factory (to the factory) or factory_dealer (to the dealer)"})
    destination = fields.String(metadata={"description": "The factory's or the dealer's name"})
    count = fields.Integer(metadata={"description": "Units in the box"})
    state = fields.String(metadata={"description": "open (being filled) or closed (shipped)"})
    status = fields.String(metadata={"description": "The shipment's status: packed, shipped, received"})
    waybill = fields.String(allow_none=True)
    carrier = fields.String(allow_none=True)
    shipped_at = fields.String(allow_none=True)
    serials = fields.List(fields.String())


class RepairBoxListArgs(Schema):
    state = fields.String(load_default="open", validate=validate.OneOf(("open",)))
    leg = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("hq_factory", "factory_dealer")))


class RepairBoxCloseArgs(Schema):
    waybill = fields.String(required=True, validate=validate.Length(max=100), metadata={"label": _l("Waybill")})
    carrier = fields.String(required=True, validate=validate.Length(max=100), metadata={"label": _l("Carrier")})


class RepairPublicStatusSchema(Schema):
    rma_number = fields.String()
    units = fields.List(fields.Nested(RepairPublicUnitSchema))
