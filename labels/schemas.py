"""Input schemas for printing labels: the output format, the A4 grid and batches."""
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from labels import ipp
from labels.models import PRINTER_KINDS, RAW_PORT
from labels.render import FORMATS, THERMAL_SIZES, ZPL_CJK_MODES, ZPL_DPIS
from labels.sources import KINDS, MAX_BATCH_CODES

PDF_FORMATS = ("a4", "thermal60x40", "thermal100x50")   # the paper an IPP printer holds

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


def _printer_name(value: str) -> None:
    if not 0 < len(value.strip()) <= 80:
        raise ValidationError(str(_l("Give the printer a name (at most 80 characters).")))


def _choice(choices, message):
    return validate.OneOf(tuple(choices), error=message)


class PrinterArgs(Schema):
    """A printer's settings, to register it or change it (the API and the printers page).

    ``kind`` says how Depot reaches it: ``zpl`` (raw TCP: ``host``, ``port``, label size,
    dpi, how it draws Chinese) or ``ipp`` (``uri``, the paper it holds). The settings of
    the other kind are not kept. Every wrong field is named at once.
    """

    name = fields.String(required=True, validate=_printer_name, metadata={"label": _l("Name")})
    kind = fields.String(required=True, validate=_choice(
        PRINTER_KINDS, _l("Choose how Depot reaches the printer: ZPL over TCP or IPP.")),
        metadata={"label": _l("Connection"), "description": "zpl (raw TCP) or ipp (PDF)"})
    host = fields.String(load_default=None, allow_none=True, metadata={"label": _l("Host or IP address")})
    port = fields.Integer(load_default=RAW_PORT, allow_none=True, validate=validate.Range(
        min=1, max=65535, error=_l("The port must be between 1 and 65535 (Zebra printers listen on 9100).")),
        metadata={"label": _l("Port")})
    label_size = fields.String(load_default="60x40", allow_none=True,
                               validate=_choice(THERMAL_SIZES, _l("Unknown label size.")),
                               metadata={"label": _l("Label size")})
    dpi = fields.Integer(load_default=203, allow_none=True, validate=_choice(ZPL_DPIS, _l(
        "Printer resolution must be one of %(dpis)s dpi.", dpis=", ".join(map(str, ZPL_DPIS)))),
        metadata={"label": _l("Printer resolution (dpi)")})
    cjk_mode = fields.String(load_default="graphic", allow_none=True,
                             validate=_choice(ZPL_CJK_MODES, _l("Choose how the printer draws Chinese.")),
                             metadata={"label": _l("Chinese text")})
    cjk_font = fields.String(load_default=None, allow_none=True,
                             metadata={"label": _l("Font on the printer (e.g. E:SIMSUN.TTF)")})
    uri = fields.String(load_default=None, allow_none=True, metadata={"label": _l("IPP address")})
    pdf_format = fields.String(load_default="a4", allow_none=True, validate=_choice(
        PDF_FORMATS, _l("Choose the paper the printer holds: A4 sheets or a thermal roll.")),
        metadata={"label": _l("Paper")})
    active = fields.Boolean(load_default=None, allow_none=True,
                            metadata={"label": _l("In use"), "description": "Left out: as it was (a new one: in use)."})

    # Checked even when another field is wrong, so one answer names every wrong field.
    @validates_schema(skip_on_field_errors=False)
    def _settings_of_the_kind(self, data, **_kwargs):
        errors = {}
        if data.get("kind") == "zpl":
            host = (data.get("host") or "").strip()
            if not host or len(host) > 255 or any(c.isspace() for c in host):
                errors["host"] = [str(_l("Give the printer's host name or IP address."))]
            font = (data.get("cjk_font") or "").strip()
            if data.get("cjk_mode") == "font" and (not font or len(font) > 64 or any(c in font for c in "^~,")):
                errors["cjk_font"] = [str(_l("Name the CJK font stored on the printer, e.g. E:SIMSUN.TTF."))]
        elif data.get("kind") == "ipp":
            uri = (data.get("uri") or "").strip()
            try:
                ipp.http_target(uri)
                ok = len(uri) <= 500
            except ValueError:
                ok = False
            if not ok:
                errors["uri"] = [str(_l(
                    "Give the printer's IPP address, e.g. ipp://192.168.1.20:631/printers/labels."))]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _kept(self, data, **_kwargs):
        """The columns of a printer: the other kind's settings cleared, defaults for the ones left empty."""
        out = {"name": data["name"].strip(), "kind": data["kind"]}
        if data.get("active") is not None:
            out["active"] = data["active"]
        if data["kind"] == "zpl":
            out.update(host=data["host"].strip(), port=data.get("port") or RAW_PORT, uri=None,
                       label_size=data.get("label_size") or "60x40", dpi=data.get("dpi") or 203,
                       cjk_mode=data.get("cjk_mode") or "graphic",
                       cjk_font=(data.get("cjk_font") or "").strip() or None)
        else:
            out.update(host=None, port=None, uri=data["uri"].strip(), pdf_format=data.get("pdf_format") or "a4")
        return out
