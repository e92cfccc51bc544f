"""The department's printed forms (附件): one look for every process that prints one.

A4 with the CJK font embedded (:mod:`core.pdf_fonts`), a centred title, the form code in the
corner, body text that wraps Chinese, labelled two-column grids and dates written 2026年10月8日
(blank lines to fill in by hand when a date is not known yet).
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from markupsafe import escape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from core.calendar import local_day
from core.pdf_fonts import cjk_font

DEFAULT_COMPANY = "置富科技"
BLANK_DAY = "________年_____月_____日"


def company_name() -> str:
    """The company named on the forms (``DEPOT_COMPANY_NAME``)."""
    return current_app.config.get("DEPOT_COMPANY_NAME") or DEFAULT_COMPANY


def form_styles() -> dict[str, ParagraphStyle]:
    """The forms' paragraph styles: title, form code, body and section heading."""
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm),
        "code": ParagraphStyle("code", fontName=font, fontSize=8, leading=10, alignment=2),
        "body": ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK"),
        "head": ParagraphStyle("head", fontName=font, fontSize=11, leading=16, spaceBefore=4 * mm),
    }


def paragraph(text, style) -> Paragraph:
    """``text`` as a paragraph: escaped, its line breaks kept."""
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def chinese_day(value) -> str:
    """A date (or a moment, in Shanghai) written 2026年10月8日; blanks to fill in when None."""
    if value is None:
        return BLANK_DAY
    day = value if isinstance(value, date) and not hasattr(value, "hour") else local_day(value)
    return f"{day.year}年{day.month}月{day.day}日"


def field_grid(rows, styles, widths=(38 * mm, 132 * mm)) -> Table:
    """A ruled two-column grid of (label, value) rows."""
    table = Table([[paragraph(a, styles["body"]), paragraph(b, styles["body"])] for a, b in rows], colWidths=widths)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#444444"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
