"""The quarterly survey's figures: response rate and average score per question, region and brand,
as a page, an XLSX workbook and a PDF, mailed to the departments once
(manual ch. 1 3.3: 及时总结分析,邮件发送相关部门人员).

Averages are over the scores given (a dealer that did not answer counts in the response rate
only); they are rounded to two decimals, rates to one decimal of a percent.
"""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable
from sqlalchemy import update

from core import authz, pdf_fonts, sheets
from core.errors import Conflict
from core.extensions import db
from core.types import utcnow
from core.workflow import who
from dealercare.models import Survey
from dealercare.survey import (
    LOW_SCORE,
    STAFF,
    answers,
    invites,
    send_mail,
    sender,
    summary_departments,
)


def _avg(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def pct(value: float | None) -> str:
    """A rate as shown: ``66.7%`` (``–`` when nobody was asked)."""
    return "–" if value is None else f"{value:.1f}%"


def num(value: float | None) -> str:
    """An average as shown: ``3.67`` (``–`` without scores)."""
    return "–" if value is None else f"{value:.2f}"


@dataclass
class QuestionResult:
    position: int
    text: str
    brand: str
    count: int
    average: float | None
    low: int


@dataclass
class GroupResult:
    """One region or one brand: who was asked and answered, and the average per question."""

    name: str
    invited: int
    answered: int
    rate: float | None
    average: float | None
    per_question: list = field(default_factory=list)  # one average (or None) per question


@dataclass
class Results:
    survey: Survey
    invited: int
    answered: int
    rate: float | None
    average: float | None
    low_answers: int
    questions: list[QuestionResult]
    regions: list[GroupResult]
    brands: list[GroupResult]
    comments: list[tuple[str, str]]
    generated_at: object


def results(survey: Survey) -> Results:
    """The figures of one quarter's survey."""
    questions = list(survey.questions)
    invited = invites(survey)
    given = answers(survey)
    region_of = {i.dealer_id: (i.dealer.region or "").strip() or str(_("(no region)")) for i in invited}
    for a in given:
        region_of.setdefault(a.dealer_id, (a.dealer.region or "").strip() or str(_("(no region)")))
    by_question: dict[int, list[int]] = defaultdict(list)
    by_region_question: dict[tuple[str, int], list[int]] = defaultdict(list)
    all_scores: list[int] = []
    low_answers = 0
    for a in given:
        region = region_of[a.dealer_id]
        scored = {s.question_id: s.score for s in a.scores}
        if any(v <= LOW_SCORE for v in scored.values()):
            low_answers += 1
        for qid, value in scored.items():
            by_question[qid].append(value)
            by_region_question[(region, qid)].append(value)
            all_scores.append(value)
    q_results = [QuestionResult(q.position, q.text, q.brand.name if q.brand else "", len(by_question[q.id]),
                                _avg(by_question[q.id]), sum(1 for v in by_question[q.id] if v <= LOW_SCORE))
                 for q in questions]

    regions = []
    invited_in: dict[str, int] = defaultdict(int)
    answered_in: dict[str, int] = defaultdict(int)
    for i in invited:
        invited_in[region_of[i.dealer_id]] += 1
    for a in given:
        answered_in[region_of[a.dealer_id]] += 1
    for name in sorted(set(invited_in) | set(answered_in)):
        per_q = [_avg(by_region_question[(name, q.id)]) for q in questions]
        scores = [v for q in questions for v in by_region_question[(name, q.id)]]
        regions.append(GroupResult(name, invited_in[name], answered_in[name],
                                   _rate(answered_in[name], invited_in[name]), _avg(scores), per_q))

    # A brand's figures come from the questions about it, asked of every dealer.
    brands = []
    brand_questions: dict[str, list] = defaultdict(list)
    for q in questions:
        if q.brand is not None:
            brand_questions[q.brand.name].append(q)
    for name in sorted(brand_questions):
        qs = brand_questions[name]
        scores = [v for q in qs for v in by_question[q.id]]
        per_q = [_avg(by_question[q.id]) if q in qs else None for q in questions]
        brands.append(GroupResult(name, len(invited), len(given), _rate(len(given), len(invited)),
                                  _avg(scores), per_q))
    comments = [(f"{a.dealer.code} {a.dealer.name}", a.comment) for a in given if a.comment]
    return Results(survey, len(invited), len(given), _rate(len(given), len(invited)), _avg(all_scores),
                   low_answers, q_results, regions, brands, comments, utcnow())


# --------------------------------------------------------------------------- XLSX

def _group_sheet(title: str, groups: list[GroupResult], res: Results, used: set) -> sheets.Sheet:
    columns = [sheets.Column(title), sheets.Column(_("Dealers asked"), "int"), sheets.Column(_("Answered"), "int"),
               sheets.Column(_("Response rate %"), "percent"), sheets.Column(_("Average score"), "number")]
    columns += [sheets.Column(f"Q{q.position}", "number") for q in res.questions]
    rows = [[g.name, g.invited, g.answered, g.rate, g.average, *g.per_question] for g in groups]
    return sheets.Sheet(sheets.sheet_name(title, used), columns, rows)


def summary_xlsx(res: Results, *, locale=None) -> bytes:
    """The summary workbook: an overview with the questions, then one sheet per region and per brand."""
    used: set[str] = set()
    overview = sheets.Sheet(
        sheets.sheet_name(str(_("Questions")), used),
        [sheets.Column("#", "int"), sheets.Column(_("Question")), sheets.Column(_("Brand")),
         sheets.Column(_("Scores"), "int"), sheets.Column(_("Average score"), "number"),
         sheets.Column(_("Scores of 2 or less"), "int")],
        [[q.position, q.text, q.brand, q.count, q.average, q.low] for q in res.questions],
        preamble=[[_("Dealer satisfaction survey %(q)s", q=res.survey.quarter)],
                  [_("Dealers asked"), res.invited], [_("Answered"), res.answered],
                  [_("Response rate %"), res.rate], [_("Average score"), res.average],
                  [_("Answers with a low score"), res.low_answers],
                  [_("Generated"), res.generated_at], []])
    out = [overview, _group_sheet(str(_("Region")), res.regions, res, used),
           _group_sheet(str(_("Brand")), res.brands, res, used),
           sheets.Sheet(sheets.sheet_name(str(_("Comments")), used), [_("Dealer"), _("Comment")],
                        [list(c) for c in res.comments])]
    return sheets.xlsx_bytes(out, locale=locale)


# --------------------------------------------------------------------------- PDF

def summary_pdf(res: Results) -> bytes:
    """The summary as a small A4 landscape PDF, Chinese text in the embedded CJK font."""
    cjk = pdf_fonts.cjk_font()

    def font_for(text: str, bold=False) -> str:
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            return cjk
        return "Helvetica-Bold" if bold else "Helvetica"

    styles = getSampleStyleSheet()

    def para(text: str, style="BodyText", size=None, bold=False) -> Paragraph:
        base = styles[style]
        st = ParagraphStyle(f"s-{style}-{size}-{bold}", parent=base,
                            fontName=font_for(text, bold or style.startswith("Heading") or style == "Title"),
                            fontSize=size or base.fontSize, leading=(size or base.fontSize) * 1.25)
        return Paragraph(escape(text), st)

    def table(header: list[str], rows: list[list[str]]):
        data = [[para(h, size=8, bold=True) for h in header]] + [[para(c[:120], size=8) for c in r] for r in rows]
        t = PdfTable(data, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    quarter = res.survey.quarter
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=str(_("Dealer satisfaction survey %(q)s", q=quarter)), author="Depot")
    story = [para(str(_("Dealer satisfaction survey %(q)s", q=quarter)), "Title", size=16),
             para(str(_("Response rate: %(r)s (%(a)s of %(n)s dealers).", r=pct(res.rate), a=res.answered,
                        n=res.invited)) + " " + str(_("Average score: %(s)s.", s=num(res.average))), size=10),
             Spacer(1, 3 * mm)]
    qcols = [f"Q{q.position}" for q in res.questions]
    story += [para(str(_("Questions")), "Heading3", size=11),
              table(["#", str(_("Question")), str(_("Brand")), str(_("Scores")), str(_("Average score")),
                     str(_("Scores of 2 or less"))],
                    [[f"Q{q.position}", q.text, q.brand or "–", str(q.count), num(q.average), str(q.low)]
                     for q in res.questions]),
              Spacer(1, 3 * mm)]
    for title, groups in ((str(_("Region")), res.regions), (str(_("Brand")), res.brands)):
        story.append(para(title, "Heading3", size=11))
        if not groups:
            story.append(para(str(_("Nothing here.")), size=8.5))
            continue
        story.append(table([title, str(_("Dealers asked")), str(_("Answered")), str(_("Response rate")),
                            str(_("Average score")), *qcols],
                           [[g.name, str(g.invited), str(g.answered), pct(g.rate), num(g.average),
                             *[num(v) for v in g.per_question]] for g in groups]))
        story.append(Spacer(1, 3 * mm))
    if res.comments:
        story.append(para(str(_("Comments")), "Heading3", size=11))
        story.append(table([str(_("Dealer")), str(_("Comment"))], [list(c) for c in res.comments]))
    doc.build(story)
    return buf.getvalue()


# --------------------------------------------------------------------------- to the departments

def mail_summary(actor, survey: Survey, *, at: datetime | None = None) -> Survey:
    """E-mail the quarter's summary (XLSX and PDF attached) to every department with an e-mail, once."""
    authz.require(actor, *STAFF, message=_("Dealer care is for customer service."))
    if survey.sent_at is None:
        raise Conflict(_("Send the survey first."))
    departments = summary_departments()
    if not departments:
        raise Conflict(_("No department has an e-mail address in the directory."))
    to = ", ".join(d.email for d in departments)
    now = at or utcnow()
    done = db.session.execute(update(Survey).where(Survey.id == survey.id, Survey.summary_sent_at.is_(None))
                              .values(summary_sent_at=now, summary_sent_by=who(actor)[1], summary_sent_to=to[:500])
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.refresh(survey)
        raise Conflict(_("The summary was already mailed to the departments."))
    db.session.refresh(survey)
    res = results(survey)
    msg = EmailMessage()
    msg["Subject"] = _("Dealer satisfaction survey %(q)s: summary", q=survey.quarter)
    msg["From"] = sender()
    msg["To"] = to
    lines = [_("The summary of the %(q)s dealer satisfaction survey is attached (XLSX and PDF).", q=survey.quarter),
             _("Response rate: %(r)s (%(a)s of %(n)s dealers).", r=pct(res.rate),
               a=res.answered, n=res.invited),
             _("Average score: %(s)s.", s=num(res.average)),
             "", _("Sent by %(staff)s from Depot.", staff=who(actor)[1])]
    msg.set_content("\n".join(str(line) for line in lines))
    msg.add_attachment(summary_xlsx(res), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       filename=f"dealer-survey-{survey.quarter}.xlsx")
    msg.add_attachment(summary_pdf(res), maintype="application", subtype="pdf",
                       filename=f"dealer-survey-{survey.quarter}.pdf")
    send_mail(msg)
    return survey
