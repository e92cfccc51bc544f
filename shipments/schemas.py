"""API input (*Args) and output (*Schema) schemas for shipments and freight bills."""
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.ids import ID_RANGE
from core.schemas import CursorArgs, CursorPageSchema, Money
from shipments import bill_lines
from shipments.freight import billed_before_text, payable_total
from shipments.models import LEGS, LINE_KINDS, PAYING_ACCOUNTS, STATUSES


# A page shows these next to the field's label, in the user's language.
AMOUNT_ERRORS = {"invalid": _l("Not a valid amount.")}
WHOLE_ERRORS = {"invalid": _l("Must be a whole number.")}


class ShipmentQueryArgs(CursorArgs):
    q = fields.String(validate=validate.Length(max=80))
    leg = fields.String(validate=validate.OneOf(LEGS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    paying_account = fields.String(validate=validate.OneOf(PAYING_ACCOUNTS))
    office_id = fields.Integer(validate=ID_RANGE)
    dealer_id = fields.Integer(validate=ID_RANGE)
    shipped_from = fields.Date()
    shipped_to = fields.Date()


class ShipmentLineArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LINE_KINDS), metadata={"label": _l("Kind")})
    serial = fields.String(validate=validate.Length(max=80), allow_none=True, metadata={"label": _l("Serial")})
    model = fields.String(validate=validate.Length(max=80), allow_none=True, metadata={"label": _l("Model")})
    part_id = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"label": _l("Part")})
    sku = fields.String(validate=validate.Length(min=1, max=60),
                        metadata={"description": "A part's SKU, instead of part_id.", "label": _l("SKU")})
    quantity = fields.Integer(validate=validate.Range(min=1, max=100000), error_messages=WHOLE_ERRORS,
                              metadata={"label": _l("Quantity")})
    ref_type = fields.String(validate=validate.Length(max=40), allow_none=True)
    ref_id = fields.Integer(allow_none=True, validate=ID_RANGE)


_NO_LINES = _l("A shipment needs at least one unit or part.")


class ShipmentCreateArgs(Schema):
    leg = fields.String(required=True, validate=validate.OneOf(LEGS), metadata={"label": _l("Leg")})
    lines = fields.List(fields.Nested(ShipmentLineArgs), required=True,
                        validate=validate.Length(min=1, max=500, error=_l("Between 1 and 500 lines.")),
                        error_messages={"required": _NO_LINES}, metadata={"label": _l("Contents")})
    carrier = fields.String(validate=validate.Length(max=60), allow_none=True, metadata={"label": _l("Carrier")})
    waybill = fields.String(validate=validate.Length(max=60), allow_none=True, metadata={"label": _l("Waybill")})
    paying_account = fields.String(load_default="cs", validate=validate.OneOf(PAYING_ACCOUNTS),
                                   metadata={"label": _l("Freight paid by")})
    dealer_id = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"label": _l("Dealer")})
    office_id = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"label": _l("Regional office")})
    vendor_id = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"label": _l("Vendor")})
    pieces = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10000), error_messages=WHOLE_ERRORS,
                            metadata={"label": _l("Pieces")})
    weight_kg = fields.Decimal(allow_none=True, places=None, error_messages=AMOUNT_ERRORS,
                               metadata={"label": _l("Weight (kg)")})
    freight_cost = fields.Decimal(allow_none=True, places=None, error_messages=AMOUNT_ERRORS,
                                  metadata={"label": _l("Freight cost (RMB)")})
    from_location = fields.String(validate=validate.Length(max=40), allow_none=True,
                                  metadata={"description": "Location code; default: the leg's origin."})
    to_location = fields.String(validate=validate.Length(max=40), allow_none=True,
                                metadata={"description": "Location code; default: the leg's destination."})
    note = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"label": _l("Note")})


class ShipmentShipArgs(Schema):
    # An empty waybill or carrier is the service's "Required.", the same answer on the page and the API.
    waybill = fields.String(required=True, validate=validate.Length(max=60), metadata={"label": _l("Waybill")})
    carrier = fields.String(required=True, validate=validate.Length(max=60), metadata={"label": _l("Carrier")})
    shipped_at = fields.String(allow_none=True, metadata={
        "description": "When it left: YYYY-MM-DD or an ISO timestamp; default now.", "label": _l("Shipped on")})
    freight_cost = fields.Decimal(allow_none=True, places=None, error_messages=AMOUNT_ERRORS,
                                  metadata={"label": _l("Freight cost (RMB)")})
    pieces = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10000), error_messages=WHOLE_ERRORS,
                            metadata={"label": _l("Pieces")})
    weight_kg = fields.Decimal(allow_none=True, places=None, error_messages=AMOUNT_ERRORS,
                               metadata={"label": _l("Weight (kg)")})


class ShipmentUpdateArgs(Schema):
    carrier = fields.String(validate=validate.Length(max=60), metadata={"label": _l("Carrier")})
    pieces = fields.Integer(validate=validate.Range(min=1, max=10000), error_messages=WHOLE_ERRORS,
                            metadata={"label": _l("Pieces")})
    weight_kg = fields.Decimal(places=None, error_messages=AMOUNT_ERRORS, metadata={"label": _l("Weight (kg)")})
    freight_cost = fields.Decimal(places=None, error_messages=AMOUNT_ERRORS,
                                  metadata={"label": _l("Freight cost (RMB)")})
    paying_account = fields.String(validate=validate.OneOf(PAYING_ACCOUNTS), metadata={"label": _l("Paying account")})
    note = fields.String(validate=validate.Length(max=2000), metadata={"label": _l("Note")})


class ShipmentScanArgs(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={"label": _l("Code")})
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000), error_messages=WHOLE_ERRORS,
                              metadata={"label": _l("Quantity")})
    model = fields.String(validate=validate.Length(max=80), metadata={"label": _l("Model")})


class ShipmentReceiveNoteArgs(Schema):
    """The receipt's note: the station's finish step reads it alone, its scans are read line by line."""

    note = fields.String(load_default="", validate=validate.Length(max=2000),
                         metadata={"label": _l("Note on the receipt")})


class ShipmentReceiveArgs(ShipmentReceiveNoteArgs):
    scans = fields.List(fields.Nested(ShipmentScanArgs), required=True, validate=validate.Length(max=5000))


class ShipmentLookupArgs(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=80),
                         metadata={"label": _l("Shipment number or waybill")})


class ShipmentLateReportArgs(Schema):
    include_pending = fields.Boolean(load_default=True)


class ShipmentLineSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    serial = fields.String(allow_none=True)
    model = fields.String()
    part_id = fields.Integer(allow_none=True)
    sku = fields.Function(lambda line: line.part.sku if line.part is not None else None)
    quantity = fields.Integer()
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    received_quantity = fields.Integer()
    receive_state = fields.String()
    receive_note = fields.String()


class ShipmentSummarySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    leg = fields.String()
    status = fields.String()
    carrier = fields.String()
    waybill = fields.String(allow_none=True)
    pieces = fields.Integer(allow_none=True)
    weight_kg = Money(allow_none=True)
    freight_cost = Money(allow_none=True)
    paying_account = fields.String()
    dealer_id = fields.Integer(allow_none=True)
    office_id = fields.Integer(allow_none=True)
    vendor_id = fields.Integer(allow_none=True)
    from_location_id = fields.Integer(allow_none=True)
    to_location_id = fields.Integer(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()
    shipped_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
    report_due = fields.Date(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)


class ShipmentSchema(ShipmentSummarySchema):
    lines = fields.List(fields.Nested(ShipmentLineSchema))


class ShipmentPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(ShipmentSummarySchema))


class ReceiptFindingSchema(Schema):
    kind = fields.String()
    code = fields.String()
    expected = fields.String()
    received = fields.String()
    quantity = fields.Integer()
    line_id = fields.Integer(allow_none=True)


class ReceiptScanResultSchema(Schema):
    code = fields.String()
    quantity = fields.Integer()
    outcome = fields.String()
    line_id = fields.Integer(allow_none=True)
    message = fields.String()


class ReceiptCheckSchema(Schema):
    clean = fields.Boolean()
    findings = fields.List(fields.Nested(ReceiptFindingSchema))
    results = fields.List(fields.Nested(ReceiptScanResultSchema))
    lines = fields.Method("line_states")

    def line_states(self, check):
        return [
            {"id": line_id, "received_quantity": got, "receive_state": state, "receive_note": note}
            for line_id, (got, state, note) in check.line_states.items()
        ]


class ReceiptSchema(Schema):
    id = fields.Integer()
    shipment_id = fields.Integer()
    shipment = fields.Nested(ShipmentSchema)
    received_at = fields.DateTime()
    received_by_id = fields.Integer(allow_none=True)
    clean = fields.Boolean()
    note = fields.String()
    scans = fields.List(fields.Dict())
    findings = fields.List(fields.Nested(ReceiptFindingSchema))


class ShipmentLateReportSchema(Schema):
    shipment = fields.Nested(ShipmentSummarySchema)
    due = fields.Date()
    reported_on = fields.Date(allow_none=True)
    pending = fields.Boolean()
    days_late = fields.Method("late_days")

    def late_days(self, report):
        return report.days_late()


class FreightUploadArgs(Schema):
    period = fields.String(validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error=_l("Use YYYY-MM.")),
                           metadata={"label": _l("Period")})
    note = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"label": _l("Note")})


class FreightFileArgs(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class FreightDecisionArgs(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "dispute"),
                                                                    error=_l("Choose accept or dispute.")),
                             metadata={"label": _l("Decision")})
    note = fields.String(load_default="", validate=validate.Length(max=500), metadata={"label": _l("Note")})


class FreightStatementArgs(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error=_l("Use YYYY-MM.")))


class FreightLineSchema(Schema):
    id = fields.Integer()
    bill_id = fields.Integer()
    line_no = fields.Integer()
    waybill = fields.String()
    amount = Money()
    review = fields.String()
    billed_before = fields.Method("before")
    decision_note = fields.String()
    decided_at = fields.DateTime(allow_none=True)

    def before(self, line):
        return billed_before_text(line) or None


class FreightStatementRowSchema(Schema):
    account = fields.String()
    bills = fields.Integer()
    lines = fields.Integer()
    billed = Money()
    matched = Money()
    amount_diff = Money()
    no_shipment = Money()
    pending = Money()
    disputed = Money()
    payable = Money()
    paid = Money()


class FreightStatementLineSchema(Schema):
    bill = fields.String()
    bill_id = fields.Integer()
    line_id = fields.Integer()
    line_no = fields.Integer()
    waybill = fields.String()
    account = fields.String()
    amount = Money()
    review = fields.String()
    billed_before = fields.String()
    note = fields.String()


class FreightStatementSchema(Schema):
    period = fields.String()
    rows = fields.List(fields.Nested(FreightStatementRowSchema))
    total = fields.Nested(FreightStatementRowSchema)
    open_lines = fields.List(fields.Nested(FreightStatementLineSchema))


class FreightFindingSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    waybill = fields.String()
    bill_line_id = fields.Integer(allow_none=True)
    bill_line_no = fields.Method("line_no")
    review = fields.Method("line_review")
    billed_before = fields.Method("before")
    shipment_id = fields.Integer(allow_none=True)
    shipment_number = fields.Method("number")
    paying_account = fields.String(allow_none=True)
    billed = Money(allow_none=True)
    recorded = Money(allow_none=True)
    difference = Money(allow_none=True)

    def line_no(self, finding):
        return finding.bill_line.line_no if finding.bill_line is not None else None

    def line_review(self, finding):
        return finding.bill_line.review if finding.bill_line is not None else None

    def before(self, finding):
        return billed_before_text(finding.bill_line) or None

    def number(self, finding):
        return finding.shipment.number if finding.shipment is not None else None


class FreightBillSummarySchema(Schema):
    id = fields.Integer()
    number = fields.String(attribute="label")
    status = fields.String()
    paid_at = fields.DateTime(allow_none=True)
    paid_amount = Money(allow_none=True)
    payable = fields.Method("payable_amount")
    reviews = fields.Method("review_counts")
    period = fields.String()
    filename = fields.String()
    imported_at = fields.DateTime()
    imported_by_id = fields.Integer(allow_none=True)
    line_count = fields.Integer()
    total_amount = Money()
    totals = fields.Dict()
    counts = fields.Method("finding_counts")
    note = fields.String()

    def finding_counts(self, bill):
        return bill_lines.finding_counts(bill)

    def payable_amount(self, bill):
        return str(payable_total(bill))

    def review_counts(self, bill):
        return bill_lines.review_counts(bill)


class FreightBillSchema(FreightBillSummarySchema):
    findings = fields.List(fields.Nested(FreightFindingSchema),
                           metadata={"description": "One page of the reconciliation lines, differences first."})
    findings_page = fields.Dict(metadata={"description": "Where the page of lines stands: per_page, next (the "
                                                         "cursor to pass as `after`; null on the last page) "
                                                         "and total (lines of the kind asked, every page)."})


class BillLinesArgs(CursorArgs):
    """``?after=&per_page=&kind=`` of a bill's reconciliation lines (``after``: the previous page's ``next``)."""

    kind = fields.String(load_default=None, validate=validate.OneOf(
        ["amount_diff", "no_shipment", "rebilled", "duplicate", "unbilled", "matched"]))


class FreightBillListItemSchema(FreightBillSummarySchema):
    """A bill in the list: its counts and payable total come with the page (:func:`bill_lines.bill_summaries`)."""

    payable = Money(attribute="payable")
    reviews = fields.Dict(attribute="reviews")
    counts = fields.Dict(attribute="counts")


class FreightBillPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(FreightBillListItemSchema))
