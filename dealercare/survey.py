"""The quarterly dealer satisfaction survey (代理商满意度回访调查, manual ch. 1 3.3 and ch. 3 二.1.4).

1. Customer service keeps a questionnaire per quarter: questions rated 1-5, each optionally about
   one brand, and a free-text comment. A new quarter starts with the previous quarter's questions.
2. One command sends every active dealer with an e-mail address a personal link to a page that
   needs no login. The link is signed (the app's secret key, its own salt), names the dealer and
   the survey, and works until the end of the quarter's answer deadline. Sending freezes the questions.
3. Each dealer answers once (a unique row, inserted in a savepoint: a second answer or a replayed
   link is a 409). Any score of 2 or less opens one follow-up task for customer service, due in
   one working day, on the shared task model.
4. Reminders go to dealers who have not answered, each at most once a day.
5. The results per quarter, region and brand are summarised and mailed to the departments, once
   (``dealercare.survey_summary``).

Each step is claimed with a guarded UPDATE, so a second click or a concurrent request is a 409
and nothing is sent twice.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import authz, mail
from core.accounts.roles import Role
from core.calendar import SHANGHAI
from core.calendar.service import add_working_days, local_day
from core.directory.models import Brand, Dealer, Department
from core.errors import Conflict, DomainError, MailNotSent, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import N_, message
from core.ids import is_id
from core.tasks import service as task_service
from core.types import utcnow
from core.workflow import who
from dealercare.models import (
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyQuestion,
    SurveyScore,
)

STAFF = (Role.SERVICE, Role.SUPERVISOR)
PROCESS = "dealercare"
FOLLOW_UP = "survey_follow_up"
ANSWER = "survey_answer"
# A score at or below this is a complaint to call back about.
LOW_SCORE = 2
SCORES = (1, 2, 3, 4, 5)
# A low score is called back within one working day.
FOLLOW_UP_DAYS = 1
MAX_QUESTIONS = 30
# The link's signature is keyed by SECRET_KEY with this salt, so no other signed value of the app fits.
LINK_SALT = "depot.dealercare.survey-link"
# Where the dealer's page lives (``dealercare.survey_public``).
PUBLIC_PATH = "/dealer-survey"
QUARTER_RE = re.compile(r"^(20\d\d)-Q([1-4])$")
# Dealers answer within the quarter or soon after it: a deadline further out is a typing error.
LATEST_DEADLINE_DAYS = 366


class LinkExpired(DomainError):
    """A survey link past its quarter's answer deadline."""

    status = 410


def _staff(actor) -> None:
    authz.require(actor, *STAFF, message=_("Dealer care is for customer service."))


# --------------------------------------------------------------------------- reading

def surveys(actor):
    """Select statement of every quarter's survey, newest quarter first."""
    _staff(actor)
    return select(Survey).order_by(Survey.quarter.desc(), Survey.id.desc())


def get_survey(actor, survey_id) -> Survey:
    """One quarter's survey; 404 if there is none."""
    _staff(actor)
    found = db.session.get(Survey, survey_id) if is_id(survey_id) else None
    if found is None:
        raise NotFound(_("No such survey."))
    return found


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and last day of ``"2026-Q4"``."""
    match = QUARTER_RE.match(quarter or "")
    if not match:
        raise ValueError(quarter)
    year, q = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def link_expires_at(survey: Survey) -> datetime:
    """The end of the answer deadline, Asia/Shanghai: the moment every link of the quarter stops working."""
    return datetime.combine(survey.deadline + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def is_open(survey: Survey, *, at: datetime | None = None) -> bool:
    """Sent and not past its deadline: dealers may answer."""
    return survey.sent_at is not None and (at or utcnow()) < link_expires_at(survey)


def answered_ids(survey: Survey) -> set[int]:
    """The dealers who have answered ``survey``."""
    return set(db.session.scalars(select(SurveyAnswer.dealer_id).where(SurveyAnswer.survey_id == survey.id)))


def invites(survey: Survey) -> list[SurveyInvite]:
    """The dealers sent a link, by dealer code."""
    return list(db.session.scalars(select(SurveyInvite).join(Dealer, Dealer.id == SurveyInvite.dealer_id)
                                   .where(SurveyInvite.survey_id == survey.id).order_by(Dealer.code)))


def answers(survey: Survey) -> list[SurveyAnswer]:
    """Every answer to ``survey``, oldest first."""
    return list(db.session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id)
                                   .order_by(SurveyAnswer.answered_at, SurveyAnswer.id)))


def can_edit(actor, survey: Survey) -> bool:
    """Whether the page offers changing the questions: CS, before the links are sent."""
    return actor is not None and actor.has_role(*STAFF) and survey.sent_at is None


def can_send(actor, survey: Survey) -> bool:
    """Whether the page offers sending the links: CS, questions on file, not sent, deadline ahead."""
    return (can_edit(actor, survey) and bool(survey.questions)
            and survey.deadline >= local_day(utcnow()))


def can_remind(actor, survey: Survey) -> bool:
    """Whether the page offers reminders: CS, while dealers may still answer."""
    return actor is not None and actor.has_role(*STAFF) and is_open(survey)


def can_mail_summary(actor, survey: Survey) -> bool:
    """Whether the page offers mailing the summary: CS, after sending, not yet mailed."""
    return (actor is not None and actor.has_role(*STAFF) and survey.sent_at is not None
            and survey.summary_sent_at is None)


# --------------------------------------------------------------------------- the questionnaire

def create_survey(actor, quarter: str, deadline: date, *, at: datetime | None = None) -> Survey:
    """Start ``quarter``'s survey, with the questions of the latest earlier quarter (one survey per quarter)."""
    _staff(actor)
    quarter = (quarter or "").strip().upper()
    if not QUARTER_RE.match(quarter):
        raise ValidationFailed(_("Some fields need correcting."),
                               errors={"quarter": [_("A quarter like 2026-Q4.")]})
    start, end = quarter_bounds(quarter)
    if deadline < start:
        raise ValidationFailed(_("Some fields need correcting."),
                               errors={"deadline": [_("The deadline cannot be before the quarter starts.")]})
    if deadline > end + timedelta(days=LATEST_DEADLINE_DAYS):
        raise ValidationFailed(_("Some fields need correcting."),
                               errors={"deadline": [_("The deadline must be within a year after the quarter.")]})
    _refuse_known_quarter(quarter)
    now = at or utcnow()
    survey = Survey(quarter=quarter, deadline=deadline, created_at=now, created_by=who(actor)[1])
    try:
        # In a savepoint: the same quarter started twice at once is a 409, not a 500.
        with db.session.begin_nested():
            db.session.add(survey)
    except IntegrityError:
        _refuse_known_quarter(quarter)
        raise
    previous = db.session.scalar(select(Survey).where(Survey.quarter < quarter, Survey.id != survey.id)
                                 .order_by(Survey.quarter.desc()).limit(1))
    if previous is not None:
        for q in previous.questions:
            db.session.add(SurveyQuestion(survey_id=survey.id, position=q.position, text=q.text,
                                          brand_id=q.brand_id))
    db.session.flush()
    db.session.refresh(survey)
    return survey


def _refuse_known_quarter(quarter: str) -> None:
    if db.session.scalar(select(Survey.id).where(Survey.quarter == quarter)) is not None:
        raise Conflict(_("There is already a survey for %(q)s.", q=quarter),
                       errors={"quarter": [_("Already on record.")]})


def _hold_draft(survey: Survey) -> None:
    """Lock the survey row while it is a draft; once sent its questions are frozen (409)."""
    held = db.session.execute(update(Survey).where(Survey.id == survey.id, Survey.sent_at.is_(None))
                              .values(created_by=Survey.created_by)
                              .execution_options(synchronize_session=False)).rowcount
    if not held:
        db.session.refresh(survey)
        raise Conflict(_("The survey has been sent: its questions can no longer change."))


def add_question(actor, survey: Survey, text: str, brand_id: int | None = None) -> SurveyQuestion:
    """Add a question rated 1-5 (about ``brand_id`` if given) at the end of a draft questionnaire."""
    _staff(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Some fields need correcting."), errors={"text": [_("Required.")]})
    brand = None
    if brand_id is not None:
        brand = db.session.get(Brand, brand_id) if is_id(brand_id) else None
        if brand is None:
            raise ValidationFailed(_("Some fields need correcting."), errors={"brand_id": [_("No such brand.")]})
    _hold_draft(survey)
    count, last = db.session.execute(select(func.count(SurveyQuestion.id), func.max(SurveyQuestion.position))
                                     .where(SurveyQuestion.survey_id == survey.id)).one()
    if count >= MAX_QUESTIONS:
        raise Conflict(_("A survey has at most %(n)s questions.", n=MAX_QUESTIONS))
    question = SurveyQuestion(survey_id=survey.id, position=(last or 0) + 1, text=text,
                              brand_id=brand.id if brand else None)
    try:
        with db.session.begin_nested():
            db.session.add(question)
    except IntegrityError:
        raise Conflict(_("The questionnaire changed meanwhile; reload and try again.")) from None
    db.session.refresh(survey)
    return question


def remove_question(actor, survey: Survey, question_id) -> Survey:
    """Take a question off a draft questionnaire."""
    _staff(actor)
    question = db.session.get(SurveyQuestion, question_id) if is_id(question_id) else None
    if question is None or question.survey_id != survey.id:
        raise NotFound(_("No such question."))
    _hold_draft(survey)
    # A guarded DELETE: the same question removed twice at once is removed once, the second is a 404.
    gone = db.session.execute(delete(SurveyQuestion).where(SurveyQuestion.id == question.id)
                              .execution_options(synchronize_session=False)).rowcount
    if not gone:
        raise NotFound(_("No such question."))
    db.session.expunge(question)
    db.session.expire(survey, ["questions"])
    return survey


# --------------------------------------------------------------------------- the personal links

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def make_link_token(survey: Survey, dealer_id: int) -> str:
    """The signed token of ``dealer_id``'s personal link to ``survey``."""
    return _serializer().dumps({"s": survey.id, "d": dealer_id})


def link_url(survey: Survey, dealer_id: int) -> str:
    """The dealer's personal answer page, absolute on ``DEPOT_BASE_URL`` (the e-mail may go out from a CLI too)."""
    base = current_app.config.get("DEPOT_BASE_URL", "").rstrip("/")
    return f"{base}{PUBLIC_PATH}/{make_link_token(survey, dealer_id)}"


def read_link(token: str, *, at: datetime | None = None) -> tuple[Survey, Dealer]:
    """The survey and dealer a link names: 404 for a link we did not sign, 410 for one past its deadline."""
    forged = NotFound(_("This survey link is not valid. Please use the link in your e-mail."))
    try:
        data, signed_at = _serializer().loads(token or "", return_timestamp=True)
    except BadSignature:
        raise forged from None
    if not isinstance(data, dict) or not is_id(data.get("s")) or not is_id(data.get("d")):
        raise forged
    survey = db.session.get(Survey, data["s"])
    invite = db.session.scalar(select(SurveyInvite).where(SurveyInvite.survey_id == data["s"],
                                                          SurveyInvite.dealer_id == data["d"])) \
        if survey is not None else None
    if invite is None or survey.sent_at is None:
        raise forged
    now = at or utcnow()
    # A link signed before the quarter's links went out is not one we sent: treat it as expired too.
    if now >= link_expires_at(survey) or signed_at < survey.sent_at - timedelta(minutes=1):
        raise LinkExpired(_("This survey closed on %(d)s. Thank you; please call customer service instead.",
                            d=survey.deadline.isoformat()))
    return survey, invite.dealer


def answer_of(survey: Survey, dealer_id: int) -> SurveyAnswer | None:
    """The dealer's answer to ``survey``, if any."""
    return db.session.scalar(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id,
                                                        SurveyAnswer.dealer_id == dealer_id))


def already_answered(survey: Survey) -> Conflict:
    """The 409 for a dealer whose answer to ``survey`` is on record."""
    return Conflict(_("Your answer to the %(q)s survey is already on record. Thank you!", q=survey.quarter))


# --------------------------------------------------------------------------- sending and reminding

def send_survey(actor, survey: Survey, *, at: datetime | None = None) -> int:
    """Freeze the questions and e-mail every active dealer with an e-mail address a personal link, once.

    Returns how many dealers were sent a link. A mail server that fails rolls the whole send back
    (the request is not committed), so the next try starts again.
    """
    _staff(actor)
    now = at or utcnow()
    if not survey.questions:
        raise Conflict(_("Add the questions first."))
    if survey.deadline < local_day(now):
        raise Conflict(_("The answer deadline has passed: change the survey's deadline first."))
    dealers = list(db.session.scalars(select(Dealer).where(Dealer.active.is_(True), Dealer.email.is_not(None),
                                                           Dealer.email != "").order_by(Dealer.code)))
    if not dealers:
        raise Conflict(_("No active dealer has an e-mail address."))
    done = db.session.execute(update(Survey).where(Survey.id == survey.id, Survey.sent_at.is_(None))
                              .values(sent_at=now, sent_by=who(actor)[1])
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.refresh(survey)
        raise Conflict(_("The survey was already sent."))
    db.session.refresh(survey)
    for dealer in dealers:
        db.session.add(SurveyInvite(survey_id=survey.id, dealer_id=dealer.id, sent_at=now, sent_to=dealer.email))
    db.session.flush()
    for dealer in dealers:
        send_mail(invitation_message(survey, dealer, reminder=False))
    return len(dealers)


def send_reminders(actor, survey: Survey, *, at: datetime | None = None) -> int:
    """Remind the dealers who have not answered yet, each at most once a day; returns how many were mailed."""
    _staff(actor)
    now = at or utcnow()
    if survey.sent_at is None:
        raise Conflict(_("Send the survey first."))
    if not is_open(survey, at=now):
        raise Conflict(_("The answer deadline has passed: no more reminders."))
    today = local_day(now)
    answered = exists().where(SurveyAnswer.survey_id == SurveyInvite.survey_id,
                              SurveyAnswer.dealer_id == SurveyInvite.dealer_id)
    sent = 0
    for invite in invites(survey):
        # Claimed one by one: a concurrent reminder run (or an answer arriving) skips this dealer.
        claimed = db.session.execute(
            update(SurveyInvite)
            .where(SurveyInvite.id == invite.id, ~answered,
                   or_(SurveyInvite.reminded_on.is_(None), SurveyInvite.reminded_on < today))
            .values(reminded_on=today, reminders=SurveyInvite.reminders + 1)
            .execution_options(synchronize_session=False)).rowcount
        if not claimed:
            continue
        db.session.refresh(invite)
        send_mail(invitation_message(survey, invite.dealer, reminder=True))
        sent += 1
    return sent


def send_mail(msg: EmailMessage) -> None:
    try:
        mail.send(msg)
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        raise MailNotSent(_("The e-mail could not be sent (%(e)s); nothing was recorded. Try again later.",
                            e=type(exc).__name__)) from exc


def sender() -> str:
    """The From address of the survey e-mails."""
    return current_app.config.get("MAIL_SENDER") or "depot@localhost"


def invitation_message(survey: Survey, dealer: Dealer, *, reminder: bool) -> EmailMessage:
    """The dealer's invitation (or reminder) with the personal link."""
    msg = EmailMessage()
    subject = _("Reminder: dealer satisfaction survey %(q)s", q=survey.quarter) if reminder \
        else _("Dealer satisfaction survey %(q)s", q=survey.quarter)
    msg["Subject"] = subject
    msg["From"] = sender()
    msg["To"] = dealer.email
    lines = [_("Dear %(contact)s,", contact=dealer.contact or dealer.name), "",
             _("Please tell us how our after-sales service did this quarter: a few questions, rated 1 to 5."),
             _("Your personal link (no sign-in needed), open until %(d)s:", d=survey.deadline.isoformat()),
             link_url(survey, dealer.id), "",
             _("Thank you for your support!"), _("Customer service")]
    msg.set_content("\n".join(str(line) for line in lines))
    return msg


# --------------------------------------------------------------------------- answering

def submit_answer(token: str, scores: dict, comment: str = "", *, at: datetime | None = None) -> SurveyAnswer:
    """Record the dealer's one answer through its personal link; a low score opens a follow-up task.

    ``scores`` maps question id to 1-5, one for every question. A second answer (or the same
    form sent twice at once) is a 409 and records nothing.
    """
    now = at or utcnow()
    survey, dealer = read_link(token, at=now)
    if answer_of(survey, dealer.id) is not None:
        raise already_answered(survey)
    questions = survey.questions
    errors = {}
    for q in questions:
        value = scores.get(q.id)
        if value not in SCORES:
            errors[f"q{q.id}"] = [_("Choose a score from 1 to 5.")]
    unknown = set(scores) - {q.id for q in questions}
    if unknown:
        errors["scores"] = [_("Not a question of this survey.")]
    if errors:
        raise ValidationFailed(_("Please rate every question from 1 to 5."), errors=errors)
    answer = SurveyAnswer(survey_id=survey.id, dealer_id=dealer.id, answered_at=now, comment=(comment or "").strip())
    try:
        # The unique (survey, dealer) row is the guard: two submits at once leave one answer.
        with db.session.begin_nested():
            db.session.add(answer)
    except IntegrityError:
        raise already_answered(survey) from None
    db.session.add_all([SurveyScore(answer_id=answer.id, question_id=q.id, score=scores[q.id]) for q in questions])
    low = [q for q in questions if scores[q.id] <= LOW_SCORE]
    if low:
        task = task_service.open_task(
            PROCESS, FOLLOW_UP,
            message(N_("Low score in the %(quarter)s dealer survey (%(n)s questions rated 2 or less): "
                       "call the dealer back"), quarter=survey.quarter, n=str(len(low))),
            case=(ANSWER, answer.id), dealer_id=dealer.id, office_id=dealer.office_id,
            due_on=add_working_days(local_day(now), FOLLOW_UP_DAYS), at=now)
        answer.follow_up_task_id = task.id
    db.session.flush()
    return answer


def follow_up_answer(task) -> SurveyAnswer | None:
    """The answer a follow-up task is about."""
    if task.case_type != ANSWER or not task.case_id:
        return None
    return db.session.get(SurveyAnswer, task.case_id)


# --------------------------------------------------------------------------- the departments

def summary_departments() -> list[Department]:
    """The departments the quarterly summary is mailed to: every one with an e-mail address."""
    return list(db.session.scalars(select(Department).where(Department.email.is_not(None), Department.email != "")
                                   .order_by(Department.code)))
