"""Exports of the figures: CSV (one table), XLSX (every table, one sheet each) and a PDF summary.

The PDF is the monthly summary meant to be mailed: the headline tables in
full and the top rows of each breakdown, a few pages and a few tens of
kilobytes. It uses Helvetica, and reportlab's built-in CID font STSong-Light
for text with Chinese characters, so no font file is embedded.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask_babel import gettext as _

from repairs.figures.service import Report, Table

# A cell that a spreadsheet would run as a formula (CSV injection): shown as text instead.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PDF_TOP_ROWS = 10


def _safe_text(value: str) -> str:
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value, kind: str):
    """A value as written to CSV/XLSX: numbers stay numbers, text is made formula-safe."""
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return _safe_text(str(value))


def table_csv(table: Table) -> bytes:
    """One table as UTF-8 CSV (with a byte-order mark so Excel reads Chinese correctly)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in (_cell(v, c.kind) for v, c in zip(row, table.columns))])
    if table.unavailable and table.note:
        writer.writerow([str(table.note)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


_NUMBER_FORMATS = {"int": "0", "pct": "0.0", "days": "0.00", "money": "#,##0.00"}


def _sheet_name(title: str, used: set[str]) -> str:
    bad = '[]:*?/\\'
    name = "".join("_" if ch in bad else ch for ch in title)[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def report_xlsx(report: Report, extra_tables: list[Table] = ()) -> bytes:
    """Every table of the report on its own sheet, after a cover sheet naming the period and scope."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    cover = wb.active
    cover.title = _sheet_name(_("Report"), set())
    used = {cover.title.lower()}
    cover.append([_("Depot figures")])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([_("Period"), report.period.key, str(report.period.label)])
    cover.append([_("From"), report.period.start.isoformat(), _("to"), report.period.last_day.isoformat()])
    cover.append([_("Scope"), str(report.scope_label)])
    cover.append([_("Generated"), report.generated_at.strftime("%Y-%m-%d %H:%M UTC")])
    cover.append([])
    cover.append([_("Sheet"), _("Table")])
    for table in list(report.tables) + list(extra_tables):
        ws = wb.create_sheet(_sheet_name(table.key, used))
        cover.append([ws.title, str(table.title)])
        ws.append([str(table.title)])
        ws["A1"].font = Font(bold=True)
        if table.note:
            ws.append([str(table.note)])
        ws.append([str(c.label) for c in table.columns])
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([float(v) if isinstance(v, Decimal) else v
                       for v in (_cell(v, c.kind) for v, c in zip(row, table.columns))])
            for cell, col in zip(ws[ws.max_row], table.columns):
                if col.kind in _NUMBER_FORMATS and cell.value is not None:
                    cell.number_format = _NUMBER_FORMATS[col.kind]
        for i, col in enumerate(table.columns, start=1):
            width = max([len(str(col.label))] + [len(str(r[i - 1])) for r in table.rows[:200] if i - 1 < len(r)])
            ws.column_dimensions[ws.cell(row=header_row, column=i).column_letter].width = min(60, max(8, width + 2))
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table as PdfTable, TableStyle
    from xml.sax.saxutils import escape

    cjk = "STSong-Light"
    try:
        pdfmetrics.getFont(cjk)
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont(cjk))

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
             + str(_("generated %(t)s", t=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"))), size=9),
        Spacer(1, 4 * mm),
    ]
    for table in report.tables:
        story.append(para(str(table.title), "Heading3", size=11))
        keep = _PDF_COLUMNS.get(table.key)
        cols = [c for c in table.columns if keep is None or c.key in keep]
        index = [table.columns.index(c) for c in cols]
        rows = table.rows[:PDF_TOP_ROWS] if keep else table.rows
        if table.unavailable or not rows:
            story.append(para(str(table.note) if table.unavailable else str(_("Nothing in this period.")), size=8.5))
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
