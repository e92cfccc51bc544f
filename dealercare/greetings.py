"""Birthday and holiday greetings to dealers (manual ch. 2 二.10 and 2.3: 代理商生日当天应发祝福, 节假日也应及时发送祝福).

1. The supervisor opens a batch: the dealers whose stored birthday (day and month) falls in a
   date range, or every active dealer with an e-mail for a holiday of the official China
   calendar (the ``holidays`` package). The recipients are fixed then, one row each.
2. The supervisor reviews and edits the text (``{name}`` becomes each dealer's contact).
3. The batch is sent once: a guarded step (a second send is a 409); each dealer's mail is
   recorded as sent or failed. Retrying sends only the failed ones, each claimed with a
   guarded UPDATE so two retries at once send nothing twice.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage

import holidays
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from core import authz, mail
from core.accounts.roles import Role
from core.calendar import local_day
from core.directory.models import Dealer
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.input_limits import single_line_problem
from core.types import utcnow
from core.workflow import LabelledEnum, Workflow, who
from dealercare.greeting_models import GreetingBatch, GreetingMail

READERS = (Role.SERVICE, Role.SUPERVISOR)
SENDERS = (Role.SUPERVISOR,)
BIRTHDAY, HOLIDAY = "birthday", "holiday"
KINDS = (BIRTHDAY, HOLIDAY)
MAX_RANGE_DAYS = 366
NAME_FIELD = "{name}"
# Observed days (补假) repeat a holiday: a holiday is greeted on its first day only.
_OBSERVED = ("补假", "observed")


class BatchState(LabelledEnum):
    """Where a greeting batch stands."""

    DRAFT = "draft", _l("being prepared")
    SENT = "sent", _l("sent")


class MailStatus(LabelledEnum):
    """Whether one dealer's greeting went."""

    PENDING = "pending", _l("not sent yet")
    SENDING = "sending", _l("sending")
    SENT = "sent", _l("sent")
    FAILED = "failed", _l("failed")


WORKFLOW = Workflow(
    states=BatchState, transitions={BatchState.DRAFT: {"send": BatchState.SENT}},
    action_labels={"send": _l("send the greetings")}, roles={"send": SENDERS}, stamp="updated_at",
)

DEFAULT_TEXT = {
    BIRTHDAY: (_l("Happy birthday!"),
               _l("Dear {name},\n\nAll of us in customer service wish you a very happy birthday, good health and "
                  "a prosperous year. Thank you for your support!")),
    HOLIDAY: (_l("Season's greetings: %(occasion)s"),
              _l("Dear {name},\n\nCustomer service wishes you and your team a happy %(occasion)s. "
                 "Thank you for your support!")),
}


# --------------------------------------------------------------------------- the calendar

def holiday_choices(year: int) -> list[tuple[date, str]]:
    """The official holidays of ``year`` in mainland China, first day each, with their Chinese names."""
    if not 1900 <= year <= 2199:
        raise ValidationFailed(_("Choose a year between 1900 and 2199."), errors={"year": [_("Out of range.")]})
    seen: dict[str, date] = {}
    for day, name in sorted(holidays.China(years=year, language="zh_CN").items()):
        if any(mark in name for mark in _OBSERVED):
            continue
        seen.setdefault(name, day)
    return sorted(((day, name) for name, day in seen.items()), key=lambda pair: pair[0])


def _holiday_name(day: date) -> str | None:
    return dict(holiday_choices(day.year)).get(day)


def birthday_in(birthday: date, starts_on: date, ends_on: date) -> bool:
    """Whether ``birthday``'s day and month falls in ``starts_on``..``ends_on`` (a range may cross New Year).

    A dealer born on 29 February is greeted on 28 February in other years.
    """
    year = starts_on.year
    while year <= ends_on.year:
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if starts_on <= day <= ends_on:
            return True
        year += 1
    return False


def recipients(kind: str, starts_on: date, ends_on: date) -> list[Dealer]:
    """The active dealers with an e-mail a batch greets, by code."""
    stmt = (select(Dealer).where(Dealer.active.is_(True), Dealer.email.is_not(None), Dealer.email != "")
            .order_by(Dealer.code))
    if kind == BIRTHDAY:
        stmt = stmt.where(Dealer.birthday.is_not(None))
        return [d for d in db.session.scalars(stmt) if birthday_in(d.birthday, starts_on, ends_on)]
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------- reading

def get_batch(actor, batch_id) -> GreetingBatch:
    """Batch ``batch_id``; 404 if there is none."""
    authz.require(actor, *READERS, message=_("Dealer care is for customer service."))
    batch = db.session.get(GreetingBatch, batch_id) if is_id(batch_id) else None
    if batch is None:
        raise NotFound(_("No such greeting batch."))
    return batch


def batches(actor):
    """Select statement of the batches, newest first."""
    authz.require(actor, *READERS, message=_("Dealer care is for customer service."))
    return select(GreetingBatch).order_by(GreetingBatch.id.desc())


def mails(batch: GreetingBatch) -> list[GreetingMail]:
    """The batch's mails, by dealer code (read afresh: a send or a retry changed them with UPDATEs)."""
    return list(db.session.scalars(select(GreetingMail).where(GreetingMail.batch_id == batch.id)
                                   .order_by(GreetingMail.id)))


def counts(batch: GreetingBatch) -> dict[str, int]:
    """How many of the batch's mails are in each status."""
    out = {str(s): 0 for s in MailStatus}
    for row in mails(batch):
        out[row.status] = out.get(row.status, 0) + 1
    return out


def can_edit(actor, batch: GreetingBatch) -> bool:
    """The page offers editing the text: the supervisor, before the batch is sent."""
    return actor is not None and actor.has_role(*SENDERS) and batch.state == BatchState.DRAFT


def can_retry(actor, batch: GreetingBatch) -> bool:
    """The page offers retrying: the supervisor, a sent batch with failed mails."""
    return (actor is not None and actor.has_role(*SENDERS) and batch.state == BatchState.SENT
            and any(m.status == MailStatus.FAILED for m in mails(batch)))


# --------------------------------------------------------------------------- steps

def _require_sender(actor) -> None:
    authz.require(actor, *SENDERS, message=_("Only the supervisor sends greetings to dealers."))


def _check_text(subject: str, body: str) -> tuple[str, str]:
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    problem = single_line_problem(subject) if subject else _("Required.")
    if problem:
        errors["subject"] = [str(problem)]
    elif len(subject) > 200:
        errors["subject"] = [_("At most %(n)s characters.", n=200)]
    if not body:
        errors["body"] = [_("Required.")]
    elif len(body) > 5000:
        errors["body"] = [_("At most %(n)s characters.", n=5000)]
    if errors:
        raise ValidationFailed(_("Write the greeting's subject and text."), errors=errors)
    return subject, body


def open_batch(actor, *, kind: str, starts_on: date | None = None, ends_on: date | None = None,
               holiday_on: date | None = None, subject: str | None = None, body: str | None = None,
               at: datetime | None = None) -> GreetingBatch:
    """Open a batch: birthdays in ``starts_on``..``ends_on``, or a holiday of the China calendar on ``holiday_on``."""
    _require_sender(actor)
    occasion = ""
    if kind == BIRTHDAY:
        if starts_on is None or ends_on is None:
            raise ValidationFailed(_("Give the first and last day of the birthdays to greet."),
                                   errors={k: [_("Required.")] for k, v in (("starts_on", starts_on),
                                                                           ("ends_on", ends_on)) if v is None})
        if ends_on < starts_on:
            raise ValidationFailed(_("The last day comes before the first."),
                                   errors={"ends_on": [_("Not before %(d)s.", d=starts_on.isoformat())]})
        if (ends_on - starts_on).days >= MAX_RANGE_DAYS:
            raise ValidationFailed(_("Greet at most a year of birthdays at once."),
                                   errors={"ends_on": [_("At most %(n)s days.", n=MAX_RANGE_DAYS)]})
    elif kind == HOLIDAY:
        name = _holiday_name(holiday_on) if holiday_on is not None else None
        if name is None:
            raise ValidationFailed(_("Choose a holiday of the official China calendar."),
                                   errors={"holiday_on": [_("Not a holiday.") if holiday_on else _("Required.")]})
        starts_on = ends_on = holiday_on
        occasion = name
    else:
        raise ValidationFailed(_("Choose birthdays or a holiday."), errors={"kind": [_("Not valid.")]})
    dealers = recipients(kind, starts_on, ends_on)
    if not dealers:
        raise ValidationFailed(_("No active dealer with an e-mail address to greet for this choice."),
                               errors={"starts_on" if kind == BIRTHDAY else "holiday_on": [_("Nobody to greet.")]})
    default_subject, default_body = DEFAULT_TEXT[kind]
    subject, body = _check_text(subject if subject else str(default_subject) % {"occasion": occasion},
                                body if body else str(default_body) % {"occasion": occasion})
    now = at or utcnow()
    batch = GreetingBatch(kind=kind, occasion=occasion, starts_on=starts_on, ends_on=ends_on, subject=subject,
                          body=body, state=BatchState.DRAFT, created_at=now, created_by=who(actor)[1], updated_at=now)
    db.session.add(batch)
    db.session.flush()
    db.session.add_all([GreetingMail(batch_id=batch.id, dealer_id=d.id, email=d.email, status=MailStatus.PENDING)
                        for d in dealers])
    db.session.flush()
    return batch


def edit_text(actor, batch: GreetingBatch, *, subject: str, body: str, at: datetime | None = None) -> GreetingBatch:
    """Change the greeting's text before it is sent (409 once sent)."""
    _require_sender(actor)
    subject, body = _check_text(subject, body)
    done = db.session.execute(update(GreetingBatch).where(GreetingBatch.id == batch.id,
                                                          GreetingBatch.state == BatchState.DRAFT)
                              .values(subject=subject, body=body, updated_at=at or utcnow())
                              .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(batch)
    if not done:
        raise Conflict(_("This batch was already sent: its text is kept as it went."))
    return batch


def send_batch(actor, batch: GreetingBatch, *, at: datetime | None = None) -> GreetingBatch:
    """Send every dealer's greeting of the batch, once (a second send is a 409); each mail's outcome is recorded."""
    _require_sender(actor)
    now = at or utcnow()
    WORKFLOW.apply(actor, batch, "send", at=now, sent_at=now, sent_by=who(actor)[1])
    _send_claimed(batch, MailStatus.PENDING, now)
    db.session.refresh(batch)
    return batch


def retry_failed(actor, batch: GreetingBatch, *, at: datetime | None = None) -> GreetingBatch:
    """Send again only the batch's failed mails (409 when none failed, or the batch is not sent yet)."""
    _require_sender(actor)
    if batch.state != BatchState.SENT:
        raise Conflict(_("Send the batch first."))
    if not _send_claimed(batch, MailStatus.FAILED, at or utcnow()):
        raise Conflict(_("No failed greeting to send again."))
    db.session.refresh(batch)
    return batch


def _send_claimed(batch: GreetingBatch, expected: str, now: datetime) -> int:
    """Claim each of the batch's mails in ``expected`` with a guarded UPDATE, send it, record the outcome.

    A mail another request claimed first is left to it. Returns how many were claimed.
    """
    ids = list(db.session.scalars(select(GreetingMail.id).where(GreetingMail.batch_id == batch.id,
                                                                GreetingMail.status == expected)
                                  .order_by(GreetingMail.id)))
    claimed = 0
    for mail_id in ids:
        taken = db.session.execute(update(GreetingMail).where(GreetingMail.id == mail_id,
                                                              GreetingMail.status == expected)
                                   .values(status=MailStatus.SENDING, attempts=GreetingMail.attempts + 1)
                                   .execution_options(synchronize_session=False)).rowcount
        if not taken:
            continue
        claimed += 1
        row = db.session.get(GreetingMail, mail_id)
        db.session.refresh(row)
        try:
            mail.send(greeting_message(batch, row))
        except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
            row.status, row.error = MailStatus.FAILED, type(exc).__name__[:120]
        else:
            row.status, row.error, row.sent_at = MailStatus.SENT, "", now
        db.session.flush()
    return claimed


def greeting_message(batch: GreetingBatch, row: GreetingMail) -> EmailMessage:
    """One dealer's greeting: the batch's text with ``{name}`` as the dealer's contact."""
    dealer = row.dealer
    name = dealer.contact or dealer.name
    msg = EmailMessage()
    msg["Subject"] = batch.subject
    msg["From"] = current_app.config.get("MAIL_SENDER") or "depot@localhost"
    msg["To"] = row.email
    msg.set_content(batch.body.replace(NAME_FIELD, name))
    return msg


def today_range() -> tuple[date, date]:
    """The default birthday range: today and the next six days."""
    today = local_day(utcnow())
    return today, today + timedelta(days=6)
