"""Exports of the figures: CSV (one table), XLSX (every table, one sheet each) and a PDF summary.

The PDF is the monthly summary meant to be mailed: the headline tables in
full and the top rows of each breakdown, a few pages. It uses Helvetica, and
for text with Chinese characters the CJK font of :mod:`core.pdf_fonts`,
embedded as a subset, so a mail client or print server without Chinese fonts
shows it too.
"""
from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from core import pdf_fonts, sheets
from core.calendar import SHANGHAI
from figures.service import Report, Table

PDF_TOP_ROWS = 10
# Figures column kinds as export column kinds (number formats in XLSX).
_KINDS = {"int": "int", "pct": "percent", "days": "days", "money": "money"}


def _columns(table: Table) -> list[sheets.Column]:
    return [sheets.Column(c.label, _KINDS.get(c.kind, "text")) for c in table.columns]


def _rows(table: Table):
    return ([v for v, _c in zip(row, table.columns)] for row in table.rows)


def table_csv(table: Table, *, locale=None) -> bytes:
    """One table as UTF-8 CSV (with a byte-order mark so Excel reads Chinese correctly)."""
    rows = list(_rows(table))
    return sheets.csv_bytes([sheets.Sheet(table.key, _columns(table), rows)], locale=locale)


def report_xlsx(report: Report, extra_tables: list[Table] = (), *, locale=None) -> bytes:
    """Every table of the report on its own sheet, after a cover sheet naming the period and scope."""
    tables = list(report.tables) + list(extra_tables)
    used: set[str] = set()
    cover_name = sheets.sheet_name(str(_("Report")), used)
    names = [sheets.sheet_name(table.key, used) for table in tables]
    cover = sheets.Sheet(cover_name, [_("Sheet"), _("Table")], [[name, table.title] for name, table in zip(names, tables)],
                         preamble=[[_("Depot figures")],
                                   [_("Period"), report.period.key, report.period.label],
                                   [_("From"), report.period.start, _("to"), report.period.last_day],
                                   [_("Scope"), report.scope_label],
                                   [_("Generated"), report.generated_at],
                                   []])
    out = [cover]
    for name, table in zip(names, tables):
        preamble = [[table.title]] + ([[table.note]] if table.note else [])
        out.append(sheets.Sheet(name, _columns(table), _rows(table), preamble=preamble))
    return sheets.xlsx_bytes(out, locale=locale)


# --------------------------------------------------------------------------- PDF

def _fmt(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "days":
        return f"{value:g}" if isinstance(value, int) else f"{value:.2f}"
    return str(value)


def local_stamp(moment) -> str:
    """A timestamp as the pages show it: Asia/Shanghai wall-clock time, named."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + " (Asia/Shanghai)"


def format_value(value, kind: str) -> str:
    """A value as shown on pages and in the PDF."""
    return _fmt(value, kind)


# Which columns each breakdown keeps in the PDF (the XLSX has them all).
_PDF_COLUMNS = {
    "by_route": ["route", "received", "dispatched", "returned", "dispatch_rate", "ship_rate", "turnaround_avg",
                 "turnaround_p90"],
    "by_dealer": ["dealer", "name", "received", "dispatched", "returned", "dispatch_rate", "ship_rate",
                  "turnaround_avg", "turnaround_p90"],
    "by_model": ["model", "received", "dispatched", "returned", "dispatch_rate", "ship_rate", "turnaround_avg",
                 "turnaround_p90"],
    "by_fault": ["fault", "received", "dispatched", "returned", "dispatch_rate", "ship_rate", "turnaround_avg",
                 "turnaround_p90"],
}


def report_pdf(report: Report) -> bytes:
    """The monthly (or weekly) summary as a small A4 landscape PDF."""
    cjk = pdf_fonts.cjk_font()  # embedded, so a print server without Chinese fonts prints it

    def font_for(text: str, bold=False) -> str:
        # Helvetica covers what Windows-1252 can encode (dashes and dots too); anything else is Chinese here.
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            return cjk
        return "Helvetica-Bold" if bold else "Helvetica"

    styles = getSampleStyleSheet()

    def para(text: str, style="BodyText", size=None, bold=False) -> Paragraph:
        base = styles[style]
        st = ParagraphStyle(f"p-{style}-{size}-{bold}", parent=base, fontName=font_for(text, bold or style.startswith("Heading") or style == "Title"),
                            fontSize=size or base.fontSize, leading=(size or base.fontSize) * 1.25)
        return Paragraph(escape(text), st)

    def cell(text: str, bold=False) -> Paragraph:
        return para(text, size=7.5, bold=bold)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=str(_("Depot figures %(p)s", p=report.period.key)), author="Depot")
    story = [
        para(str(_("Depot figures: %(p)s", p=report.period.label)), "Title", size=16),
        para(f"{report.scope_label} · {report.period.start.isoformat()} – {report.period.last_day.isoformat()} · "
             + str(_("generated %(t)s", t=local_stamp(report.generated_at))), size=9),
        Spacer(1, 4 * mm),
    ]
    for table in report.tables:
        story.append(para(str(table.title), "Heading3", size=11))
        keep = _PDF_COLUMNS.get(table.key)
        cols = [c for c in table.columns if keep is None or c.key in keep]
        index = [table.columns.index(c) for c in cols]
        rows = table.rows[:PDF_TOP_ROWS] if keep else table.rows
        if not rows:
            story.append(para(str(_("Nothing in this period.")), size=8.5))
            story.append(Spacer(1, 2 * mm))
            continue
        data = [[cell(str(c.label), bold=True) for c in cols]]
        for row in rows:
            data.append([cell(_fmt(row[i], c.kind)[:80]) for i, c in zip(index, cols)])
        pdf_table = PdfTable(data, repeatRows=1, hAlign="LEFT")
        pdf_table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]))
        story.append(pdf_table)
        if keep and len(table.rows) > PDF_TOP_ROWS:
            story.append(para(str(_("Top %(n)s of %(m)s rows; the XLSX export has them all.",
                                    n=PDF_TOP_ROWS, m=len(table.rows))), size=7.5))
        if table.note:
            story.append(para(str(table.note), size=7.5))
        story.append(Spacer(1, 3 * mm))
    doc.build(story)
    return buf.getvalue()
