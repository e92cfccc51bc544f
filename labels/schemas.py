"""Input schemas for printing labels: the output format, the A4 grid and batches."""
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
