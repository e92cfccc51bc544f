"""The packing slip of a shipment: an A4 PDF with its barcodes and every line.

The shipment number is a Code 128 barcode at the top of every page (scanning
any page finds the shipment on the receiving screen); the carrier's waybill is
a second barcode on the first page. The lines table lists each unit by serial
and each part by SKU with its quantity and a box for the receiver to tick, then
totals and signature fields. Texts (dealer names, models) may be Chinese.

Codes that Code 128 cannot carry are refused as on the labels
(:func:`labels.render.validate_code`): a slip whose waybill cannot be scanned
is corrected, not printed.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from reportlab.pdfgen.canvas import Canvas

from core.calendar import local_day
from core.errors import ValidationFailed
from core.extensions import db
from inventory.models import Location
from labels.render import (
    CODE_FONT,
    MM,
    QUIET_MODULES,
    _draw_bars,
    _fit_line,
    _font_for,
    _register_fonts,
    _snap,
    code_problem,
    module_mm,
    symbol,
)
from shipments.views import ACCOUNT_LABELS, LEG_LABELS, STATUS_LABELS

PAGE_W, PAGE_H = 210 * MM, 297 * MM
MARGIN = 15 * MM
ROW_H = 6.2 * MM
SLIP_MODULE_DOTS = 3      # 0.375 mm bars (3 dots at 203 dpi); long waybills get 0.25 mm
BARCODE_COLUMN = 80 * MM  # the right-hand column holding the barcodes


@dataclass
class SlipLine:
    """One row of the slip: ``kind`` is "unit" or "part"."""

    kind: str
    code: str
    description: str
    quantity: int


@dataclass
class Slip:
    """What a packing slip shows, taken from a shipment (see :func:`slip_from_shipment`)."""

    number: str
    waybill: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    ship_to: list[str] = field(default_factory=list)
    lines: list[SlipLine] = field(default_factory=list)
    note: str = ""


def _text(value) -> str:
    return "" if value is None else str(value)


def _party_lines(shipment) -> list[str]:
    out = []
    for attr in ("dealer", "office", "vendor"):
        party = getattr(shipment, attr, None)
        if party is None:
            continue
        name = _text(getattr(party, "name", ""))
        code = _text(getattr(party, "code", ""))
        out.append(f"{name} ({code})" if code else name)
        for extra in ("contact", "phone", "address"):
            value = _text(getattr(party, extra, "")).strip()
            if value:
                out.append(value.replace("\n", " "))
    for attr, label in (("from_location_id", _("From")), ("to_location_id", _("To"))):
        location_id = getattr(shipment, attr, None)
        if location_id is None:
            continue

        loc = db.session.get(Location, location_id)
        if loc is not None:
            out.append(f"{label}: {loc.name} ({loc.code})")
    return out


def slip_from_shipment(shipment) -> Slip:
    """The slip contents of a :class:`shipments.models.Shipment`."""

    # The shipments package owns the display names of legs, statuses and accounts.
    legs, accounts, statuses = LEG_LABELS, ACCOUNT_LABELS, STATUS_LABELS
    weight = getattr(shipment, "weight_kg", None)
    created = getattr(shipment, "created_at", None)
    shipped = getattr(shipment, "shipped_at", None)
    facts = [
        (_("Leg"), _text(legs.get(shipment.leg, shipment.leg))),
        (_("Carrier"), _text(shipment.carrier) or "—"),
        (_("Waybill"), _text(shipment.waybill) or _("not yet assigned")),
        (_("Pieces"), _text(shipment.pieces) if shipment.pieces is not None else "—"),
        (_("Weight"), f"{weight} kg" if weight is not None else "—"),
        (_("Freight paid by"), _text(accounts.get(shipment.paying_account, shipment.paying_account))),
        (_("Status"), _text(statuses.get(shipment.status, shipment.status))),
        (_("Packed on"), local_day(created).isoformat() if created else "—"),
    ]
    if shipped:
        facts.append((_("Shipped on"), local_day(shipped).isoformat()))
    lines = []
    for line in shipment.lines:
        if line.kind == "unit":
            lines.append(SlipLine("unit", _text(line.serial), _text(line.model), int(line.quantity or 1)))
        else:
            part = getattr(line, "part", None)
            sku = _text(getattr(part, "sku", "")) or _text(line.part_id)
            desc = _text(getattr(part, "model", "")) or _text(line.model)
            if line.serial:
                desc = f"{desc} · {_('serial')} {line.serial}" if desc else f"{_('serial')} {line.serial}"
            lines.append(SlipLine("part", sku, desc, int(line.quantity or 0)))
    return Slip(number=shipment.number, waybill=shipment.waybill or None, facts=facts,
                ship_to=_party_lines(shipment), lines=lines, note=_text(getattr(shipment, "note", "")))


def packing_slip_pdf(shipment) -> bytes:
    """The packing slip PDF of ``shipment`` (a Shipment or a :class:`Slip`)."""
    slip = shipment if isinstance(shipment, Slip) else slip_from_shipment(shipment)
    problems = [p for p in (code_problem(slip.number), slip.waybill and code_problem(slip.waybill)) if p]
    if problems:
        raise ValidationFailed(problems[0], errors={"codes": problems})
    return _SlipWriter(slip).write()


class _SlipWriter:
    def __init__(self, slip: Slip):
        self.slip = slip
        self.buf = io.BytesIO()

    # -- helpers --------------------------------------------------------------------------
    def text(self, x, y, value, size, *, bold=False, width=None, align="left"):
        font = _font_for(value, bold=bold)
        if width is not None:
            value, size = _fit_line(value, font, size, width, size * 0.8)
        self.c.setFont(font, size)
        if align == "right":
            self.c.drawRightString(x, y, value)
        elif align == "center":
            self.c.drawCentredString(x, y, value)
        else:
            self.c.drawString(x, y, value)

    def barcode(self, code: str, right: float, top: float, height: float, caption: str) -> float:
        """A barcode whose right edge is at ``right``, top at ``top``; returns its bottom y."""
        sym = symbol(code)
        # Long waybills get narrower bars so the symbol and its quiet zone stay in the column.
        module = module_mm(sym, BARCODE_COLUMN / MM, code, max_dots=SLIP_MODULE_DOTS) * MM
        width = sym.modules * module
        x = _snap(right - width - QUIET_MODULES * module)
        self.text(x, top - 8, caption, 7.5)
        _draw_bars(self.c, sym, x, top - 10 - height, module, height)
        self.c.setFont(CODE_FONT, 10)
        self.c.drawCentredString(x + width / 2, top - 10 - height - 11, code)
        return top - 10 - height - 14

    # -- layout ---------------------------------------------------------------------------
    def _capacity(self, top: float, last: bool) -> int:
        bottom = self.closing_bottom if last else MARGIN + 4 * MM
        return max(1, int((top - bottom) // ROW_H) - 1)

    def _paginate(self, rows: list[SlipLine]) -> list[list[SlipLine]]:
        """Rows per page: full pages, then a last page that leaves room for totals and signatures."""
        pages, rest, first = [], list(rows), True
        while True:
            top = self.table_top_first if first else self.table_top_other
            if len(rest) <= self._capacity(top, last=True):
                pages.append(rest)
                return pages
            take = min(self._capacity(top, last=False), len(rest) - 1)
            pages.append(rest[:take])
            rest = rest[take:]
            first = False

    def write(self) -> bytes:
        _register_fonts()
        slip = self.slip
        self.c = Canvas(self.buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1, invariant=1)
        self.c.setTitle(_("Packing slip %(number)s", number=slip.number))
        self.c.setCreator("Depot")
        self.closing_bottom = MARGIN + 42 * MM  # room for totals, note and signatures on the last page
        self.table_top_first = PAGE_H - MARGIN - 92 * MM
        self.table_top_other = PAGE_H - MARGIN - 26 * MM

        chunks = self._paginate(slip.lines or [])
        index = 0
        for page, chunk in enumerate(chunks, start=1):
            top = self.first_header() if page == 1 else self.other_header()
            self.table(top, chunk, index)
            index += len(chunk)
            if page == len(chunks):
                self.closing()
            self.footer(page, len(chunks))
            self.c.showPage()
        self.c.save()
        return self.buf.getvalue()

    def first_header(self) -> float:
        slip, c = self.slip, self.c
        top = PAGE_H - MARGIN
        self.text(MARGIN, top - 18, _("Packing slip"), 18, bold=True)
        self.text(MARGIN, top - 36, slip.number, 14, bold=True)
        self.barcode(slip.number, PAGE_W - MARGIN, top, 13 * MM, _("Shipment"))

        # Facts down the left; the barcodes stack in the right-hand column.
        left_w = PAGE_W - 2 * MARGIN - BARCODE_COLUMN - 5 * MM
        y = top - 46
        for label, value in slip.facts[:10]:
            y -= 12
            self.text(MARGIN, y, f"{label}:", 8.5, bold=True, width=31 * MM)
            self.text(MARGIN + 32 * MM, y, value, 9, width=left_w - 32 * MM)
        if slip.ship_to:
            y -= 18
            self.text(MARGIN, y, _("Consignee and route"), 8.5, bold=True)
            for line in slip.ship_to[:6]:
                y -= 11
                self.text(MARGIN, y, line, 9, width=left_w)
        if slip.waybill:
            self.barcode(slip.waybill, PAGE_W - MARGIN, top - 75, 12 * MM, _("Waybill"))
        c.setLineWidth(0.8)
        return self.table_top_first

    def other_header(self) -> float:
        top = PAGE_H - MARGIN
        self.text(MARGIN, top - 14, _("Packing slip"), 12, bold=True)
        self.text(MARGIN, top - 30, self.slip.number, 11, bold=True)
        self.barcode(self.slip.number, PAGE_W - MARGIN, top + 4, 9 * MM, "")
        return self.table_top_other

    def table(self, top: float, rows: list[SlipLine], start: int) -> None:
        c = self.c
        x0, x1 = MARGIN, PAGE_W - MARGIN
        cols = [x0, x0 + 10 * MM, x0 + 26 * MM, x0 + 80 * MM, x1 - 28 * MM, x1 - 12 * MM, x1]
        heads = ["#", _("Kind"), _("Serial / SKU"), _("Model / part"), _("Qty"), _("Recv.")]
        c.setFillGray(0.9)
        c.rect(x0, top - ROW_H, x1 - x0, ROW_H, stroke=0, fill=1)
        c.setFillGray(0)
        for i, head in enumerate(heads):
            self.text(cols[i] + 1.5 * MM, top - ROW_H + 2 * MM, head, 8.5, bold=True,
                      width=cols[i + 1] - cols[i] - 2 * MM)
        y = top - ROW_H
        c.setLineWidth(0.4)
        for n, row in enumerate(rows, start=start + 1):
            y -= ROW_H
            base = y + 2 * MM
            self.text(cols[0] + 1.5 * MM, base, str(n), 9)
            kind = _("unit") if row.kind == "unit" else _("part")
            self.text(cols[1] + 1.5 * MM, base, kind, 9, width=cols[2] - cols[1] - 2 * MM)
            self.text(cols[2] + 1.5 * MM, base, row.code, 9, bold=True, width=cols[3] - cols[2] - 2 * MM)
            self.text(cols[3] + 1.5 * MM, base, row.description, 9, width=cols[4] - cols[3] - 2 * MM)
            self.text(cols[5] - 1.5 * MM, base, str(row.quantity), 9, align="right")
            c.rect(cols[5] + 3 * MM, y + 1.4 * MM, 3.5 * MM, 3.5 * MM, stroke=1, fill=0)
            c.line(x0, y, x1, y)
        if not rows and start == 0:
            y -= ROW_H
            self.text(x0 + 1.5 * MM, y + 2 * MM, _("This shipment has no lines."), 9)
        c.setLineWidth(0.8)
        c.line(x0, top, x1, top)
        c.line(x0, top - ROW_H, x1, top - ROW_H)
        self.last_y = y

    def closing(self) -> None:
        slip = self.slip
        units = sum(1 for line in slip.lines if line.kind == "unit")
        parts = sum(line.quantity for line in slip.lines if line.kind != "unit")
        y = self.last_y - 14
        self.text(MARGIN, y, _("Total: %(units)d units, %(parts)d parts in %(lines)d lines",
                               units=units, parts=parts, lines=len(slip.lines)), 9.5, bold=True)
        if slip.note:
            y -= 13
            self.text(MARGIN, y, f"{_('Note')}: {slip.note}", 9, width=PAGE_W - 2 * MARGIN)
        y = MARGIN + 22 * MM
        half = (PAGE_W - 2 * MARGIN) / 2
        for i, label in enumerate((_("Packed by"), _("Received by"))):
            x = MARGIN + i * half
            self.text(x, y, label, 9, bold=True)
            self.c.setLineWidth(0.5)
            self.c.line(x, y - 10 * MM, x + half - 10 * MM, y - 10 * MM)
            self.text(x, y - 14 * MM, _("Signature and date"), 7.5)

    def footer(self, page: int, pages: int) -> None:
        label = _("%(number)s · page %(page)d of %(pages)d", number=self.slip.number, page=page, pages=pages)
        self.text(PAGE_W / 2, MARGIN - 6 * MM, label, 8, align="center")


__all__ = ["Slip", "SlipLine", "packing_slip_pdf", "slip_from_shipment"]
