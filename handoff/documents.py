"""The printable hand-off letter (置富科技部门工作提交函, 附件2, form ZFKFBFJ002).

The form is the department's Chinese paperwork, so its text is Chinese whatever the reader's
language; the Chinese font is embedded (:mod:`core.pdf_fonts`). It names both departments, the
dates (sent, committed, first asked for when the receiving department committed to another
day) and ends with the sign-off block: each department's head signs, and the receiving one
commits to the date (对接承诺).
"""
from __future__ import annotations

import io
from datetime import date
from html import escape

from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.calendar import local_day
from core.pdf_fonts import cjk_font
from handoff import states as st
from handoff.models import HandoffLetter

FORM_CODE = "ZFKFBFJ002"
TITLE = "部门工作提交函"
DEFAULT_COMPANY = "置富科技"
STATE_WORDS = {st.SENT: "已提交,待接收部门确认", st.ACCEPTED: "已接收", st.DONE: "已完成", st.RETURNED: "已退回"}


def _styles():
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm),
        "code": ParagraphStyle("code", fontName=font, fontSize=8, leading=10, alignment=2),
        "body": ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK"),
        "head": ParagraphStyle("head", fontName=font, fontSize=11, leading=16, spaceBefore=4 * mm),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _day(value) -> str:
    if value is None:
        return "________年_____月_____日"
    day = value if isinstance(value, date) and not hasattr(value, "hour") else local_day(value)
    return f"{day.year}年{day.month}月{day.day}日"


def _grid(rows, s, widths=(38 * mm, 132 * mm)) -> Table:
    table = Table([[_p(a, s["body"]), _p(b, s["body"])] for a, b in rows], colWidths=widths)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#444444"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def render(letter: HandoffLetter) -> tuple[bytes, str]:
    """The letter's PDF and its file name (the caller read the letter)."""
    s = _styles()
    company = current_app.config.get("DEPOT_COMPANY_NAME") or DEFAULT_COMPANY
    rows = [("提交部门", letter.from_department.name), ("接收部门", letter.to_department.name),
            ("工作事项", letter.subject), ("具体内容", letter.body), ("承诺完成日期", _day(letter.committed_on))]
    if letter.first_committed_on != letter.committed_on:
        rows.append(("原定完成日期", _day(letter.first_committed_on)))
    rows.append(("状态", STATE_WORDS.get(letter.state, letter.state)))
    if letter.state == st.RETURNED:
        rows.append(("退回原因", letter.return_reason))
    if letter.closed_at and letter.state == st.DONE:
        rows.append(("完成日期", _day(letter.closed_at)))
    sign = [("提交部门负责人签字", ""), ("签字日期", _day(letter.created_at)),
            ("接收部门负责人签字", letter.accepted_by or ""),
            ("接收日期", _day(letter.accepted_at) if letter.accepted_at else _day(None)),
            ("执行部门承诺", f"于{_day(letter.committed_on)}前完成;如未完成,按承诺内容由部门负责人监督实施。")]
    story = [_p(f"附件 {FORM_CODE}", s["code"]), _p(f"{company}{TITLE}", s["title"]),
             _p(f"提交日期:{_day(letter.created_at)}　　客服部编号:{letter.number}", s["body"]), Spacer(1, 3 * mm),
             _grid(rows, s), _p("签字确认", s["head"]), _grid(sign, s)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{TITLE} {letter.number}")
    doc.build(story)
    return out.getvalue(), f"{letter.number}-{FORM_CODE}.pdf"
