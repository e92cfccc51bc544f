"""The hand-off letter's rules: writing it, the receiving department's answers, the lists.

Every step takes the acting user; the services only flush (the request commits once).
The letter's task is the receiving department's: ``done`` and ``return`` close it through
:func:`core.tasks.service.answer` (the tasks page records them the same way), so the letter
and its task never disagree; ``accept`` keeps it open and moves its due day to the day the
department committed to.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from core import authz
from core.calendar import is_working_day, local_day, local_today
from core.directory.models import Department
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import N_, message
from core.ids import is_id
from core.sequences import next_number
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from core.workflow import who
from handoff import states as st
from handoff.models import HandoffLetter, HandoffLetterEvent

KIND = "letter"
REASON_MAX = 500


def require_desk(actor) -> None:
    """Customer service (and its supervisor) writes the letters and records the departments' answers."""
    authz.require(actor, *st.DESK, message=_("Only customer service writes and records hand-off letters."))


def departments() -> list[Department]:
    """Every department, for the form's drop-downs."""
    return list(db.session.scalars(select(Department).order_by(Department.name, Department.id)))


def _department(department_id, field: str) -> Department:
    dept = db.session.get(Department, department_id) if is_id(department_id) else None
    if dept is None:
        raise ValidationFailed(_("Choose a department from the directory."), errors={field: [_("No such department.")]})
    return dept


def check_committed_day(day: date | None, field: str = "committed_on", *, today: date | None = None) -> date:
    """The committed completion day, if it is a working day and not in the past; else a 422 on ``field``."""
    if day is None:
        raise ValidationFailed(_("Give the committed completion date."), errors={field: [_("Required.")]})
    today = today or local_today()
    if day < today:
        raise ValidationFailed(_("The committed completion date cannot be in the past."),
                               errors={field: [_("Not before %(d)s.", d=today.isoformat())]})
    if not is_working_day(day):
        raise ValidationFailed(_("The committed completion date must be a working day."),
                               errors={field: [_("%(d)s is not a working day.", d=day.isoformat())]})
    return day


# --------------------------------------------------------------------------- reading

def get_letter(actor, letter_id) -> HandoffLetter:
    """Letter ``letter_id`` if ``actor`` may read the letters; 404 if there is none."""
    require_desk(actor)
    letter = db.session.get(HandoffLetter, letter_id) if is_id(letter_id) else None
    if letter is None:
        raise NotFound(_("No such hand-off letter."))
    return letter


def letters(actor, *, state: str | None = None, department_id: int | None = None):
    """Select statement of the letters, newest first (in ``state``; to or from ``department_id``)."""
    require_desk(actor)
    stmt = select(HandoffLetter).order_by(HandoffLetter.id.desc())
    if state:
        stmt = stmt.where(HandoffLetter.state == state)
    if department_id:
        stmt = stmt.where((HandoffLetter.to_department_id == department_id)
                          | (HandoffLetter.from_department_id == department_id))
    return stmt


def history(letter: HandoffLetter) -> list:
    """The letter's events, oldest first."""
    return list(db.session.scalars(select(HandoffLetterEvent).where(HandoffLetterEvent.letter_id == letter.id)
                                   .order_by(HandoffLetterEvent.id)))


def allowed_actions(actor, letter: HandoffLetter) -> list[str]:
    """What ``actor`` may do to ``letter`` now (the page's buttons)."""
    return st.WORKFLOW.allowed_actions(letter, actor)


def is_late(letter: HandoffLetter, today: date | None = None) -> bool:
    """Still waiting for the department after its committed day."""
    return letter.state in st.WAITING and letter.committed_on < (today or local_today())


# --------------------------------------------------------------------------- steps

def create_letter(actor, *, from_department_id, to_department_id, subject: str, committed_on: date | None,
                  body: str = "", at: datetime | None = None) -> HandoffLetter:
    """Send a letter: the receiving department's task opens, due the committed day."""
    require_desk(actor)
    source = _department(from_department_id, "from_department_id")
    target = _department(to_department_id, "to_department_id")
    if source.id == target.id:
        raise ValidationFailed(_("A department does not hand work to itself: choose another receiving department."),
                               errors={"to_department_id": [_("Same as the sending department.")]})
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed(_("Say what is handed over."), errors={"subject": [_("Required.")]})
    now = at or utcnow()
    day = check_committed_day(committed_on, today=local_day(now))
    letter = HandoffLetter(number=next_number("HF", local_day(now).strftime("%y%m")), from_department_id=source.id,
                           to_department_id=target.id, subject=subject, body=(body or "").strip(),
                           committed_on=day, first_committed_on=day, state=st.SENT, created_at=now,
                           created_by=who(actor)[1], updated_at=now)
    db.session.add(letter)
    db.session.flush()
    task = task_service.open_task(
        st.PROCESS, KIND, message(N_("Hand-off letter %(number)s from %(department)s: %(subject)s"),
                                  number=letter.number, department=source.name, subject=subject[:200]),
        case=(st.CASE, letter.id), department_id=target.id, due_on=day, at=now)
    letter.task_id = task.id
    db.session.flush()
    st.WORKFLOW.event(actor, "send", None, st.SENT, at=now, data={"committed_on": day.isoformat()},
                      letter_id=letter.id)
    return letter


def accept(actor, letter: HandoffLetter, *, committed_on: date | None = None, note: str = "",
           at: datetime | None = None) -> HandoffLetter:
    """The receiving department accepts the letter, by its day or by another working day it commits to."""
    require_desk(actor)
    st.WORKFLOW.require(letter, "accept")
    now = at or utcnow()
    previous = letter.committed_on
    day = previous if committed_on is None else check_committed_day(committed_on, today=local_day(now))
    data = {"committed_on": day.isoformat()}
    if day != previous:
        data["previous_committed_on"] = previous.isoformat()
    st.WORKFLOW.apply(actor, letter, "accept", note=note or "", data=data, at=at, committed_on=day,
                      accepted_at=now, accepted_by=who(actor)[1])
    if day != previous and letter.task_id is not None:
        # The department's task is due the day it committed to (it is open: the letter was waiting).
        db.session.execute(update(Task).where(Task.id == letter.task_id, Task.status == "open")
                           .values(due_on=day).execution_options(synchronize_session=False))
        if letter.task is not None:
            db.session.refresh(letter.task)
    return letter


def _open_task(letter: HandoffLetter) -> Task:
    task = letter.task
    if task is None:
        raise Conflict(_("%(n)s has no task on record.", n=letter.number))
    return task


def complete(actor, letter: HandoffLetter, *, note: str = "", at: datetime | None = None) -> HandoffLetter:
    """The receiving department reports the work done: the letter is done and its task closed."""
    require_desk(actor)
    st.WORKFLOW.require(letter, "done")
    task_service.answer(actor, _open_task(letter), "done", note or "", at=at)
    return letter


def return_letter(actor, letter: HandoffLetter, *, reason: str, at: datetime | None = None) -> HandoffLetter:
    """The receiving department returns the letter with its reason: returned, its task closed."""
    require_desk(actor)
    st.WORKFLOW.require(letter, "return")
    check_reason(reason)
    task_service.answer(actor, _open_task(letter), "returned", reason, at=at)
    return letter


def check_reason(reason: str | None) -> str:
    """A return's reason: required, at most 500 characters."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(_("Say why the letter is returned."), errors={"reason": [_("Required.")]})
    if len(text) > REASON_MAX:
        raise ValidationFailed(_("Say why the letter is returned."),
                               errors={"reason": [_("At most %(n)s characters.", n=REASON_MAX)]})
    return text


def apply_from_task(actor, letter: HandoffLetter, decision: str, note: str, now: datetime) -> None:
    """The task's answer moved the letter (called once the task is claimed: see :mod:`handoff.tasks`)."""
    if decision == "done":
        st.WORKFLOW.apply(actor, letter, "done", note=note, at=now, closed_at=now, closed_by=who(actor)[1])
    else:
        st.WORKFLOW.apply(actor, letter, "return", note=note, at=now, closed_at=now, closed_by=who(actor)[1],
                          return_reason=note[:REASON_MAX])
