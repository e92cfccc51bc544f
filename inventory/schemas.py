"""Inventory API input (*Args) and output (*Schema)."""
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.ids import ID_RANGE
from core.schemas import CursorArgs, CursorPageSchema, Money, PageArgs, PageSchema
from inventory import counts as count_svc
from inventory import documents, spares, vendor

# Bounds that every database can store: anything larger is a 422, never a 500.
ID = ID_RANGE
QTY = validate.Range(min=1, max=1_000_000)
QTY0 = validate.Range(min=0, max=1_000_000)
# A request with no lines: said in words, not as marshmallow's "Shorter than minimum length 1."
ASK_ONE = validate.Length(min=1, error=_l("Ask for at least one part."))


class PartSchema(Schema):
    id = fields.Int()
    sku = fields.Str()
    model = fields.Str()
    family = fields.Str()
    vendor_managed = fields.Bool()
    serialized = fields.Bool()
    unit_cost = Money()
    vendor_id = fields.Int(allow_none=True)
    brand_id = fields.Int(allow_none=True)
    brand = fields.Function(lambda part: part.brand.name if part.brand else None,
                            metadata={"description": "the brand's name, or null"})


class PartArgs(Schema):
    sku = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    model = fields.Str(load_default="", validate=validate.Length(max=120))
    family = fields.Str(load_default="", validate=validate.Length(max=60))
    vendor_managed = fields.Bool(load_default=False)
    serialized = fields.Bool(load_default=False)
    unit_cost = fields.Decimal(load_default=0)
    vendor_id = fields.Int(load_default=None, allow_none=True, validate=ID)
    brand_id = fields.Int(load_default=None, allow_none=True, validate=ID,
                          metadata={"description": "the product's brand: units of this exact model are its"})


class PartUpdateArgs(Schema):
    brand_id = fields.Int(required=True, allow_none=True, validate=ID,
                          metadata={"description": "the product's brand (null: none)"})


class LocationSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    kind = fields.Str()
    office_id = fields.Int(allow_none=True)
    parent_id = fields.Int(allow_none=True)


class BinArgs(Schema):
    parent = fields.Str(required=True, metadata={"description": "code of the store or office"})
    code = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    name = fields.Str(load_default="")


class BalanceArgs(PageArgs):
    location = fields.Str(load_default=None, metadata={"description": "location code"})
    sku = fields.Str(load_default=None)


class BalanceSchema(Schema):
    location = fields.Function(lambda b: b.location.code)
    sku = fields.Function(lambda b: b.part.sku)
    model = fields.Function(lambda b: b.part.model)
    brand = fields.Function(lambda b: b.part.brand.name if b.part.brand else None)
    quantity = fields.Int()


class BalancePageSchema(PageSchema):
    items = fields.List(fields.Nested(BalanceSchema))


class MovementArgs(Schema):
    sku = fields.Str(required=True, metadata={"label": _l("SKU")})
    from_location = fields.Str(required=True, metadata={"label": _l("From"), "description": "location code"})
    to_location = fields.Str(required=True, metadata={"label": _l("To"), "description": "location code"})
    quantity = fields.Int(load_default=1, validate=QTY, metadata={"label": _l("Quantity")})
    serial = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=80), metadata={"label": _l("Serial")})
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=40), metadata={"label": _l("Reason")})
    ref_type = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    ref_id = fields.Int(load_default=None, allow_none=True, validate=ID)
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    note = fields.Str(load_default="", metadata={"label": _l("Note")})


class MovementFilterArgs(CursorArgs):
    location = fields.Str(load_default=None)
    sku = fields.Str(load_default=None)
    serial = fields.Str(load_default=None)
    ref_type = fields.Str(load_default=None)
    ref_id = fields.Int(load_default=None, validate=ID)
    from_ = fields.Date(load_default=None, data_key="from", metadata={"description": "First day (Shanghai)."})
    to = fields.Date(load_default=None, metadata={"description": "Last day (Shanghai), included."})


class OfficeExportArgs(Schema):
    office_id = fields.Int(load_default=None, validate=ID,
                           metadata={"description": "The office (HQ only; an office user exports its own)."})
    from_ = fields.Date(load_default=None, data_key="from", metadata={"description": "First day (Shanghai)."})
    to = fields.Date(load_default=None, metadata={"description": "Last day (Shanghai), included."})


class ReverseArgs(Schema):
    note = fields.Str(load_default="", metadata={"label": _l("Note")})


class MovementSchema(Schema):
    id = fields.Int()
    at = fields.DateTime()
    sku = fields.Function(lambda m: m.part.sku)
    from_location = fields.Function(lambda m: m.from_location.code)
    to_location = fields.Function(lambda m: m.to_location.code)
    quantity = fields.Int()
    serial = fields.Str(allow_none=True)
    reason = fields.Str()
    ref_type = fields.Str(allow_none=True)
    ref_id = fields.Int(allow_none=True)
    reverses_id = fields.Int(allow_none=True)
    actor = fields.Function(lambda m: m.actor.username if m.actor else None)
    note = fields.Str()


class MovementPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(MovementSchema))


class CountLineArgs(Schema):
    sku = fields.Str(required=True)
    quantity = fields.Int(required=True, validate=QTY0, metadata={"label": _l("Quantity")})


class CountSerialArgs(Schema):
    serial = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    sku = fields.Str(load_default=None, allow_none=True)


class CountArgs(Schema):
    location = fields.Str(required=True, metadata={"description": "location code"})
    kind = fields.Str(required=True, metadata={"label": _l("Kind")},
                      validate=validate.OneOf(["weekly", "monthly", "spot"], error=_l("Choose the kind of count.")))
    counted_at = fields.AwareDateTime(load_default=None, allow_none=True)
    full = fields.Bool(load_default=True)
    lines = fields.List(fields.Nested(CountLineArgs), load_default=list)
    serials = fields.List(fields.Nested(CountSerialArgs), load_default=list)
    note = fields.Str(load_default="", metadata={"label": _l("Note")})
    recount_of = fields.Int(load_default=None, allow_none=True, validate=ID, metadata={"label": _l("Recount of")})


class LocationIdArgs(Schema):
    """A page's pick of one location, by id (the API names locations by code)."""

    location = fields.Int(load_default=None, allow_none=True, validate=ID, metadata={"label": _l("Location")})


class OfficeChoiceArgs(Schema):
    """The office HQ picked on a page (an office user's own is taken from the account)."""

    office_id = fields.Int(load_default=None, allow_none=True, validate=ID, metadata={"label": _l("Office")})


class CountFilterArgs(CursorArgs):
    location = fields.Str(load_default=None)
    status = fields.Str(load_default=None)


class CountSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    location = fields.Function(lambda c: c.location.code)
    kind = fields.Str()
    method = fields.Str()
    blind = fields.Bool()
    full = fields.Bool()
    counted_at = fields.DateTime()
    status = fields.Str()
    recount_of_id = fields.Int(allow_none=True)
    counted_by = fields.Function(lambda c: c.counted_by.username if c.counted_by else None)
    lines = fields.Function(lambda c: [{"sku": line.part.sku, "counted": line.counted_qty} for line in c.lines])
    serials = fields.Function(lambda c: [s.serial for s in c.serials])
    accepted_at = fields.DateTime(allow_none=True)
    liable_party = fields.Str(allow_none=True)
    liable_office_id = fields.Int(allow_none=True)
    shortfall_value = Money()
    surplus_value = Money()
    relocated_value = Money(metadata={"description": "value of units taken from other locations (their loss)"})
    status_label = fields.Function(lambda c: count_svc.status_label(c.status))
    recount_reason = fields.Str(allow_none=True, metadata={"description": "threshold | supervisor"})
    recount_message = fields.Function(lambda c: count_svc.recount_message(c))
    superseded_by = fields.Function(lambda c: c.superseded_by.number if c.superseded_by_id else None)
    warnings = fields.Function(lambda c: count_svc.count_warnings(c),
                               metadata={"description": "e.g. several counts of one kind in one week"})


class CountListItemSchema(CountSchema):
    """A count in a list: without the warnings, which take a few queries per count (they come with one count)."""

    class Meta:
        exclude = ("warnings",)


class CountPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(CountListItemSchema))


class ReconLineSchema(Schema):
    sku = fields.Str()
    model = fields.Str()
    counted = fields.Int()
    ledger = fields.Int()
    variance = fields.Int()
    unit_cost = Money()
    value = Money()


class ReconciliationSchema(Schema):
    count = fields.Function(lambda r: CountSchema().dump(r.count))
    lines = fields.List(fields.Nested(ReconLineSchema))
    gross_value = Money()
    shortfall_value = Money()
    surplus_value = Money()
    missing = fields.Function(lambda r: [{"sku": a, "serial": b} for a, b in r.serials.missing] if r.serials else [])
    unexpected = fields.Function(lambda r: [{"sku": a, "serial": b} for a, b in r.serials.unexpected] if r.serials else [])
    elsewhere = fields.Function(
        lambda r: [{"sku": a, "serial": b, "registered_at": c} for a, b, c in r.serials.elsewhere] if r.serials else [])
    swaps = fields.Function(
        lambda r: [{"sku": a, "missing": b, "found": c, "found_registered_at": d, "value": str(v)}
                   for a, b, c, d, v in r.serials.swaps] if r.serials else [],
        metadata={"description": "right quantity, wrong unit: one missing here, one found here registered elsewhere"})
    relocated_value = Money()


class AcceptArgs(Schema):
    confirm_relocations = fields.Bool(
        load_default=False, metadata={"description": "move units found here but registered at other locations"})


class NoteArgs(Schema):
    note = fields.Str(load_default="", metadata={"label": _l("Note")})


class RequestLineArgs(Schema):
    sku = fields.Str(required=True)
    quantity = fields.Int(required=True, validate=QTY, metadata={"label": _l("Quantity")})


class SpareRequestArgs(Schema):
    office_id = fields.Int(required=True, validate=ID, metadata={"label": _l("Office")})
    lines = fields.List(fields.Nested(RequestLineArgs), required=True, validate=ASK_ONE,
                        error_messages={"required": ASK_ONE.error})
    note = fields.Str(load_default="", metadata={"label": _l("Note")})


class ApproveArgs(Schema):
    approved = fields.Dict(keys=fields.Str(), values=fields.Int(validate=QTY0), load_default=dict,
                           metadata={"label": _l("Approved"), "description": "SKU -> approved quantity (default: as requested)"})
    note = fields.Str(load_default="", metadata={"label": _l("Note"), "description": "required when approving more than requested"})


class EditRequestArgs(Schema):
    lines = fields.List(fields.Nested(RequestLineArgs), required=True, validate=ASK_ONE,
                        error_messages={"required": ASK_ONE.error})
    note = fields.Str(load_default=None, allow_none=True, metadata={"label": _l("Note")})


class IssueArgs(Schema):
    serials = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()), load_default=dict,
                          metadata={"description": "SKU -> serials, for serialized parts"})


class ReceiveArgs(Schema):
    codes = fields.List(fields.Str(), required=True, metadata={"description": "scanned serials or SKUs (SKU*5 for five)"})


class RequestFilterArgs(PageArgs):
    status = fields.Str(load_default=None)
    office_id = fields.Int(load_default=None, validate=ID)


class SpareRequestSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    office_id = fields.Int()
    office = fields.Function(lambda r: r.office.code)
    status = fields.Str()
    year = fields.Int()
    note = fields.Str()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.Str()
    issued_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_note = fields.Str()
    shipment_id = fields.Int(allow_none=True)
    status_label = fields.Function(lambda r: spares.request_status_label(r.status))
    actions = fields.Function(lambda r: spares.allowed_actions(r),
                              metadata={"description": "the steps still possible (empty: a final state)"})
    lines = fields.Function(lambda r: [{"sku": line.part.sku,
                                        "brand": line.part.brand.name if line.part.brand else None,
                                        "requested": line.requested_qty,
                                        "approved": line.approved_qty,
                                        "serials": line.issued_serials.split()} for line in r.lines])


class RequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(SpareRequestSchema))


class SwapArgs(Schema):
    sku = fields.Str(required=True, metadata={"label": _l("SKU")})
    spare_serial = fields.Str(load_default=None, allow_none=True, metadata={"label": _l("Spare serial")})
    defective_serial = fields.Str(load_default=None, allow_none=True, metadata={"label": _l("Defective serial")})
    dealer_id = fields.Int(required=True, validate=ID, metadata={"label": _l("Dealer"), "description": "a dealer of the office's region"})
    note = fields.Str(load_default="", metadata={"label": _l("Note")})


class SwapSchema(Schema):
    out = fields.Nested(MovementSchema)
    came_in = fields.Nested(MovementSchema)


class OfficeReturnSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    office_id = fields.Int()
    year = fields.Int()
    status = fields.Str()
    status_label = fields.Function(lambda r: spares.return_status_label(r.status))
    created_at = fields.DateTime()
    shipped_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    override_note = fields.Str()
    lines = fields.Function(lambda r: [{"sku": line.part.sku, "quantity": line.quantity, "serial": line.serial,
                                        "defective": line.defective} for line in r.lines])


class YearEndArgs(Schema):
    confirm = fields.Bool(load_default=False, metadata={"description": "true after checking the preview's lines"})
    override = fields.Bool(load_default=False,
                           metadata={"description": "supervisor: prepare outside the return window"})
    override_note = fields.Str(load_default="", validate=validate.Length(max=500), metadata={"label": _l("Override note")})


class YearEndPreviewSchema(Schema):
    office_id = fields.Function(lambda p: p["office"].id)
    window_start = fields.Date()
    window_end = fields.Date()
    inside_window = fields.Bool()
    open_return = fields.Function(lambda p: p["open_return"].number if p["open_return"] else None)
    lines = fields.Function(lambda p: [{"sku": h["part"].sku, "location": h["location"].code,
                                        "quantity": h["quantity"], "serial": h["serial"],
                                        "defective": h["defective"]} for h in p["lines"]])


class DefectiveArgs(Schema):
    sku = fields.Str(required=True, metadata={"label": _l("SKU")})
    serial = fields.Str(load_default=None, allow_none=True, metadata={"label": _l("Serial")})
    quantity = fields.Int(load_default=1, validate=QTY, metadata={"label": _l("Quantity")})
    ref_type = fields.Str(load_default=None, allow_none=True)
    ref_id = fields.Int(load_default=None, allow_none=True, validate=ID)


class BatchArgs(Schema):
    vendor_id = fields.Int(required=True, validate=ID, metadata={"label": _l("Vendor")})
    month = fields.Str(load_default=None, allow_none=True, metadata={"label": _l("Month"), "description": "YYYY-MM (default: this month)"})


class VendorSalesArgs(Schema):
    sku = fields.Str(required=True, validate=validate.Length(min=1, max=60), metadata={"label": _l("SKU")})
    month = fields.Str(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$", error=_l("Give the month as YYYY-MM.")),
                       metadata={"label": _l("Month"), "description": "YYYY-MM"})
    quantity = fields.Int(required=True, validate=validate.Range(min=0, max=10_000_000),
                          metadata={"label": _l("Units sold")})


class VendorSalesSchema(Schema):
    sku = fields.Function(lambda r: r.part.sku)
    month = fields.Function(lambda r: r.month.strftime("%Y-%m"))
    quantity = fields.Int()
    recorded_by = fields.Str()
    recorded_at = fields.DateTime()


class CheckInLineArgs(Schema):
    sku = fields.Str(required=True)
    quantity = fields.Int(load_default=0, validate=QTY0, metadata={"label": _l("Quantity")})
    serials = fields.List(fields.Str(), load_default=list)


class CheckInArgs(Schema):
    received = fields.List(fields.Nested(CheckInLineArgs), required=True)
    note = fields.Str(load_default="", metadata={"label": _l("Note")})


class BatchSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    vendor_id = fields.Int()
    month = fields.Str()
    status = fields.Str()
    status_label = fields.Function(lambda b: vendor.batch_status_label(b.status))
    shipped_at = fields.DateTime()
    checked_in_at = fields.DateTime(allow_none=True)
    check_note = fields.Str()
    lines = fields.Function(lambda b: [{"sku": line.part.sku, "sent": line.sent_qty,
                                        "sent_serials": line.sent_serials.split(), "received": line.received_qty,
                                        "received_serials": line.received_serials.split(),
                                        "difference": line.difference} for line in b.lines])


class StatementLineArgs(Schema):
    day = fields.Date(required=True)
    direction = fields.Str(required=True, validate=validate.OneOf(["in", "out"]))
    sku = fields.Str(required=True)
    quantity = fields.Int(load_default=1, validate=QTY)
    serial = fields.Str(load_default=None, allow_none=True)
    reference = fields.Str(load_default="")


class StatementArgs(Schema):
    week_start = fields.Date(required=True, metadata={"label": _l("Week")})
    lines = fields.List(fields.Nested(StatementLineArgs), required=True)


class WeekArgs(Schema):
    week_start = fields.Date(required=True, metadata={"label": _l("Week")})


class DifferenceSchema(Schema):
    direction = fields.Str()
    sku = fields.Str()
    serial = fields.Str(allow_none=True)
    cs_quantity = fields.Int()
    shipping_quantity = fields.Int()
    difference = fields.Int()


class WeeklyReconciliationSchema(Schema):
    week_start = fields.Date()
    statement_received = fields.Bool()
    cs_lines = fields.Int()
    shipping_lines = fields.Int()
    differences = fields.List(fields.Nested(DifferenceSchema))


# --- signed documents ---------------------------------------------------------------------------

class SignedDocumentSchema(Schema):
    """A signed scan kept on a spare request, a year-end return or a count (download: ``download_url``)."""

    id = fields.Int()
    original_name = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    uploaded_at = fields.DateTime()
    uploaded_by = fields.Str()
    download_url = fields.Function(lambda d: f"/api/v1/inventory/attachments/{d.id}")


class SignedDocumentFileArgs(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


def _documents(record):
    return SignedDocumentSchema(many=True).dump(documents.documents(record))


class SpareRequestDetailSchema(SpareRequestSchema):
    """One spare request with its signed documents."""

    attachments = fields.Function(_documents)


class OfficeReturnDetailSchema(OfficeReturnSchema):
    """One year-end return with its signed documents."""

    attachments = fields.Function(_documents)


class CountDetailSchema(CountSchema):
    """One count with its signed documents."""

    attachments = fields.Function(_documents)
