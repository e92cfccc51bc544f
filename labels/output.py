"""Turn label specs and print options into a file: PDF for sheets and thermal rolls, ZPL for Zebra."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Response
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from core.errors import ValidationFailed
from labels import render
from labels.schemas import LabelArgs

GRID_KEYS = ("margin_top", "margin_bottom", "margin_left", "margin_right", "col_gap", "row_gap", "skip", "outline")
ZPL_MIMETYPE = "text/plain; charset=utf-8"   # raw printer language: sent as-is to the printer


@dataclass(frozen=True)
class Rendered:
    """A printable file."""

    body: bytes
    mimetype: str
    filename: str

    def response(self) -> Response:
        """The file as a response: PDFs open inline (to print), ZPL downloads."""
        resp = Response(self.body, mimetype=None, content_type=self.mimetype)
        disposition = "inline" if self.filename.endswith(".pdf") else "attachment"
        resp.headers["Content-Disposition"] = f'{disposition}; filename="{self.filename}"'
        # Labels hold record data: never cached by a shared proxy.
        resp.headers["Cache-Control"] = "private, no-store"
        return resp


def parse_options(values, *, strict: bool = False) -> dict:
    """Print options from query or form values (``strict``: unknown keys are an error)."""
    data = {k: v for k, v in dict(values).items() if v not in ("", None)}
    if "outline" in data and isinstance(data["outline"], str) and data["outline"].lower() in ("on", "yes"):
        data["outline"] = True
    try:
        return LabelArgs(unknown=None if strict else EXCLUDE).load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed(_("These print options are not valid: %(fields)s.", fields=", ".join(messages)),
                               errors=messages) from None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "labels"


def render_labels(specs, options: dict, *, default_format: str, name: str) -> Rendered:
    """Render ``specs`` in the format the options ask for (``default_format`` when they don't)."""
    fmt = options.get("format") or default_format
    base = f"labels-{_safe(name)}"
    if fmt == "zpl":
        text = render.zpl(specs, size=options.get("size", "60x40"), dpi=options.get("dpi", 203))
        return Rendered(text.encode("utf-8"), ZPL_MIMETYPE, f"{base}.zpl")
    if fmt.startswith("thermal"):
        pdf = render.thermal_pdf(specs, size=fmt[len("thermal"):], title=name)
        return Rendered(pdf, "application/pdf", f"{base}-{fmt[len('thermal'):]}.pdf")
    grid = {k: options[k] for k in GRID_KEYS if k in options}
    pdf = render.a4_sheet_pdf(specs, options.get("cols", 3), options.get("rows", 8), title=name, **grid)
    return Rendered(pdf, "application/pdf", f"{base}-a4.pdf")
