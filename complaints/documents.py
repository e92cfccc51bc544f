"""The complaint forms as PDFs (附件6-9, forms ZFKFBFJ007-0010), each with the CS number (客服部编号).

- ``dealer-letter``: 代理商客诉反馈函 (ZFKFBFJ007)
- ``internal-letter``: 内部客诉反馈函, 内部专用 (ZFKFBFJ008)
- ``report``: 客诉处理报告 with its sign-off block (ZFKFBFJ009)
- ``mediation``: 顾客投诉调解协议 with every field of 附件9 (ZFKFBFJ0010)

The forms are the department's Chinese paperwork, so their text is Chinese whatever the
reader's language; the Chinese font is embedded (:mod:`core.pdf_fonts`). The mediation
agreement carries the customer's personal data: only the supervisor and the GM's assistant
print it.
"""
from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from complaints import pii
from complaints import states as st
from complaints.models import Complaint
from core.errors import Conflict, Forbidden, NotFound
from core.pdf_forms import chinese_day, company_name, field_grid, form_styles, paragraph

KINDS = ("dealer-letter", "internal-letter", "report", "mediation")
FORM_CODES = {"dealer-letter": "ZFKFBFJ007", "internal-letter": "ZFKFBFJ008", "report": "ZFKFBFJ009",
              "mediation": "ZFKFBFJ0010"}
TITLES = {"dealer-letter": "代理商客诉反馈函", "internal-letter": "内部客诉反馈函", "report": "客诉处理报告",
          "mediation": "顾客投诉调解协议"}


def _header(kind: str, complaint: Complaint, s, company: str, *, dated=None) -> list:
    parts = [paragraph(f"附件 {FORM_CODES[kind]}", s["code"]), paragraph(f"{company}{TITLES[kind]}", s["title"])]
    if kind == "internal-letter":
        parts.append(paragraph("内部专用", s["code"]))
    parts.append(paragraph(f"日期:{chinese_day(dated or complaint.created_at)}　　客服部编号:{complaint.number}", s["body"]))
    parts.append(Spacer(1, 3 * mm))
    return parts


def _dealer_letter(complaint: Complaint, s, company: str) -> list:
    dealer = complaint.dealer
    return [*_header("dealer-letter", complaint, s, company, dated=complaint.received_on), field_grid([
        ("代理商", dealer.name if dealer else ""), ("代理商编号", dealer.code if dealer else ""),
        ("客诉级别", st.Tier.label_of(complaint.tier)), ("客诉事由", complaint.subject),
        ("详细情况", complaint.description), ("受理日期", chinese_day(complaint.received_on)),
    ], s)]


def _internal_letter(complaint: Complaint, s, company: str) -> list:
    return [*_header("internal-letter", complaint, s, company, dated=complaint.referred_at), field_grid([
        ("责任部门", complaint.department.name if complaint.department else ""),
        ("代理商", complaint.dealer.name if complaint.dealer else ""), ("客诉事由", complaint.subject),
        ("内容", complaint.internal_letter), ("回复期限", "一个工作日内书面回复"),
        ("部门书面回复", complaint.department_answer), ("回复日期", chinese_day(complaint.department_answered_at)
                                                      if complaint.department_answered_at else ""),
    ], s)]


def _report(complaint: Complaint, s, company: str) -> list:
    rows = [("代理商", complaint.dealer.name if complaint.dealer else ""), ("客诉级别", st.Tier.label_of(complaint.tier)),
            ("客诉事由", complaint.subject), ("责任部门回复", complaint.department_answer),
            ("处理报告", complaint.report)]
    if complaint.compensation is not None:
        rows.append(("赔偿金额", f"{complaint.compensation} 元"))
    signed = f"{complaint.signed_by}　{chinese_day(complaint.signed_at)}" if complaint.signed_at else ""
    block = [("渠道部", ""), ("客服主管", signed), ("客服专员", complaint.report_by or "")]
    if complaint.tier == st.Tier.VERY_SERIOUS:
        block.append(("总经理助理审批", f"{complaint.gm_approved_by}　{chinese_day(complaint.gm_approved_at)}"
                      if complaint.gm_approved_at else ""))
    return [*_header("report", complaint, s, company, dated=complaint.report_at), field_grid(rows, s),
            paragraph("签字", s["head"]), field_grid(block, s)]


def _mediation(complaint: Complaint, s, company: str) -> list:
    row = complaint.mediation
    if row is None:
        raise Conflict(_("%(n)s has no mediation agreement yet.", n=complaint.number))
    complained = chinese_day(row.complained_on)
    return [
        paragraph(f"附件 {FORM_CODES['mediation']}", s["code"]), paragraph(f"{company}{TITLES['mediation']}", s["title"]),
        paragraph(f"编号:{row.agreement_number or '__________'}　　客服部编号:{complaint.number}", s["body"]),
        Spacer(1, 3 * mm),
        field_grid([("甲方(顾客)", row.customer_name), ("家庭住址", row.customer_address),
               ("联系电话", row.customer_phone), ("身份证号", pii.decrypt(row.id_number_token)),
               ("乙方", row.company_name or company), ("公司地址", row.company_address),
               ("联系电话", row.company_phone), ("联系人", row.company_contact), ("订立日期", chinese_day(row.signed_on))], s),
        Spacer(1, 3 * mm),
        paragraph(f"鉴于甲方曾于{complained}向乙方提出{row.product}产品投诉(详见《客诉处理报告》第2条),"
           "甲乙双方经协商一致,在平等、自愿的基础下达成协议如下:", s["body"]),
        paragraph(f"1:甲方应负责{row.customer_duties}。", s["body"]),
        paragraph(f"2:乙方应负责{row.company_duties}。", s["body"]),
        paragraph("3:自本协议签字之日起,甲方投诉均一次性最终解决,任何一方不得以任何名义要求对方支付任何费用或承担任何责任。", s["body"]),
        paragraph("4:本协议自甲方签字、乙方代表签字盖章后立即生效。", s["body"]),
        Spacer(1, 6 * mm),
        field_grid([("甲方", row.customer_name), ("授权代表", row.customer_representative), ("盖章", ""),
               ("乙方", row.company_name or company), ("授权代表", row.company_representative), ("盖章", "")], s),
    ]


BUILDERS = {"dealer-letter": _dealer_letter, "internal-letter": _internal_letter, "report": _report,
            "mediation": _mediation}


def render(actor, complaint: Complaint, kind: str) -> tuple[bytes, str]:
    """The PDF of form ``kind`` for ``complaint`` and its file name (the caller read the complaint)."""
    if kind not in BUILDERS:
        raise NotFound(_("No such form."))
    if kind == "mediation" and not pii.may_see(actor):
        raise Forbidden(_("Only the supervisor or the GM's assistant prints the mediation agreement."))
    if kind == "internal-letter" and not complaint.internal_letter:
        raise Conflict(_("%(n)s has no internal complaint letter yet.", n=complaint.number))
    if kind == "report" and not complaint.report:
        raise Conflict(_("%(n)s has no handling report yet.", n=complaint.number))
    company = company_name()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{TITLES[kind]} {complaint.number}")
    doc.build(BUILDERS[kind](complaint, form_styles(), company))
    return out.getvalue(), f"{complaint.number}-{FORM_CODES[kind]}.pdf"


