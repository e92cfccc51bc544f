"""The printable hand-off letter (置富科技部门工作提交函, 附件2, form ZFKFBFJ002).

The form is the department's Chinese paperwork, so its text is Chinese whatever the reader's
language; the Chinese font is embedded (:mod:`core.pdf_fonts`). It names both departments, the
dates (sent, committed, first asked for when the receiving department committed to another
day) and ends with the sign-off block: each department's head signs, and the receiving one
commits to the date (对接承诺).
"""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from core.pdf_forms import chinese_day, company_name, field_grid, form_styles, paragraph
from handoff import states as st
from handoff.models import HandoffLetter

FORM_CODE = "ZFKFBFJ002"
TITLE = "部门工作提交函"
STATE_WORDS = {st.SENT: "已提交,待接收部门确认", st.ACCEPTED: "已接收", st.DONE: "已完成", st.RETURNED: "已退回"}


def render(letter: HandoffLetter) -> tuple[bytes, str]:
    """The letter's PDF and its file name (the caller read the letter)."""
    s = form_styles()
    company = company_name()
    rows = [("提交部门", letter.from_department.name), ("接收部门", letter.to_department.name),
            ("工作事项", letter.subject), ("具体内容", letter.body), ("承诺完成日期", chinese_day(letter.committed_on))]
    if letter.first_committed_on != letter.committed_on:
        rows.append(("原定完成日期", chinese_day(letter.first_committed_on)))
    rows.append(("状态", STATE_WORDS.get(letter.state, letter.state)))
    if letter.state == st.RETURNED:
        rows.append(("退回原因", letter.return_reason))
    if letter.closed_at and letter.state == st.DONE:
        rows.append(("完成日期", chinese_day(letter.closed_at)))
    sign = [("提交部门负责人签字", ""), ("签字日期", chinese_day(letter.created_at)),
            ("接收部门负责人签字", letter.accepted_by or ""),
            ("接收日期", chinese_day(letter.accepted_at) if letter.accepted_at else chinese_day(None)),
            ("执行部门承诺", f"于{chinese_day(letter.committed_on)}前完成;如未完成,按承诺内容由部门负责人监督实施。")]
    story = [paragraph(f"附件 {FORM_CODE}", s["code"]), paragraph(f"{company}{TITLE}", s["title"]),
             paragraph(f"提交日期:{chinese_day(letter.created_at)}　　客服部编号:{letter.number}", s["body"]), Spacer(1, 3 * mm),
             field_grid(rows, s), paragraph("签字确认", s["head"]), field_grid(sign, s)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{TITLE} {letter.number}")
    doc.build(story)
    return out.getvalue(), f"{letter.number}-{FORM_CODE}.pdf"
