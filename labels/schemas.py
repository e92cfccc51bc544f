"""Input schemas for printing labels: the output format, the A4 grid and batches."""
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from labels.render import FORMATS, THERMAL_SIZES, ZPL_DPIS
from labels.sources import KINDS, MAX_BATCH_CODES

_margin = {"validate": validate.Range(min=0, max=60), "allow_nan": False}


class LabelArgs(Schema):
    """How to print: ``format`` and, for A4 sheets, the grid; for ZPL the label size and dpi."""

    format = fields.String(validate=validate.OneOf(FORMATS), metadata={
        "description": "a4 (sheet), thermal60x40, thermal100x50 (one label per page) or zpl (Zebra). "
                       "Default: thermal60x40 for one record, a4 for a batch."})
    size = fields.String(load_default="60x40", validate=validate.OneOf(tuple(THERMAL_SIZES)),
                         metadata={"description": "ZPL only: the label size in mm."})
    dpi = fields.Integer(load_default=203, validate=validate.OneOf(ZPL_DPIS),
                         metadata={"description": "ZPL only: the printer's resolution."})
    cols = fields.Integer(load_default=3, validate=validate.Range(min=1, max=6), metadata={"description": "A4 only"})
    rows = fields.Integer(load_default=8, validate=validate.Range(min=1, max=20), metadata={"description": "A4 only"})
    margin_top = fields.Float(load_default=12.9, **_margin, metadata={"description": "A4 only, mm"})
    margin_bottom = fields.Float(load_default=12.9, **_margin, metadata={"description": "A4 only, mm"})
    margin_left = fields.Float(load_default=6.4, **_margin, metadata={"description": "A4 only, mm"})
    margin_right = fields.Float(load_default=6.4, **_margin, metadata={"description": "A4 only, mm"})
    col_gap = fields.Float(load_default=2.5, **_margin, metadata={"description": "A4 only, mm"})
    row_gap = fields.Float(load_default=0.0, **_margin, metadata={"description": "A4 only, mm"})
    skip = fields.Integer(load_default=0, validate=validate.Range(min=0, max=119),
                          metadata={"description": "A4 only: cells to leave empty on the first sheet"})
    outline = fields.Boolean(load_default=False, metadata={"description": "A4 only: draw the cell borders"})


class LabelBatchArgs(LabelArgs):
    """Labels for many records of one kind."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    codes = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                        validate=validate.Length(min=1, max=MAX_BATCH_CODES))


class PrintArgs(Schema):
    """Labels to send to a printer: the records (kind and codes) and the printer (default: the user's)."""

    kind = fields.String(required=True, validate=validate.OneOf((*KINDS, "packing_slip")), metadata={
        "description": "the kind of label, or packing_slip (one shipment number; an IPP printer)",
        "label": _l("Kind")})
    codes = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                        validate=validate.Length(min=1, max=MAX_BATCH_CODES), metadata={"label": _l("Codes")})
    printer = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "The printer's id (GET /api/v1/labels/printers); default: your default printer.",
        "label": _l("Printer")})


class RetryArgs(Schema):
    """Send a failed print job again; ``printer`` redirects it to another printer."""

    printer = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Printer")})


class DefaultPrinterArgs(Schema):
    """A user's (a scan station's) default printer, from the printers page; no printer removes it."""

    user_id = fields.Integer(required=True, metadata={"label": _l("User")})
    printer_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Default printer")})


class PrinterOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"description": "zpl (raw TCP) or ipp (PDF)"})
    target = fields.String()
    label_size = fields.String()
    dpi = fields.Integer()
    cjk_mode = fields.String(metadata={"description": "zpl: graphic (Chinese drawn as a bitmap) or font"})
    pdf_format = fields.String()
    active = fields.Boolean()
    default = fields.Boolean(metadata={"description": "your default printer"})


class _JobPrinter(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class PrintJobOut(Schema):
    """A print job: queued, sent (done; never sent again) or failed (with the reason; may be retried)."""

    id = fields.Integer()
    token = fields.String(metadata={"description": "in the document sent (ZPL comment, IPP job name)"})
    status = fields.String()
    status_label = fields.String()
    printer = fields.Nested(_JobPrinter)
    document = fields.String()
    kind = fields.String()
    codes = fields.List(fields.String())
    labels = fields.Integer()
    attempts = fields.Integer(metadata={"description": "connections tried"})
    retries = fields.Integer(metadata={"description": "times a person retried it"})
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    bytes = fields.Integer()
