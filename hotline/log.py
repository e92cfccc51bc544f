"""The hotline log (4.1.1-4.1.3): every question logged, answered at once or sent to a department.

A question CS cannot answer goes to the responsible department the same day, as a task on
the one task model (core.tasks, process "hotline") due the entry's day (one working day after
it was asked); the department's answer, recorded on the task, is the entry's answer.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.calendar import local_day
from core.directory.models import Dealer
from core.directory.service import brand_or_422
from core.errors import ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.sequences import next_number
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from core.workflow import who
from hotline import service
from hotline import states as st
from hotline.models import HotlineEntry, StandardAnswer

MAX_QUESTION = 5000
MAX_ANSWER = 5000


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(_("Some fields need correcting."), errors={field: [_("Required.")]})
    if len(text) > limit:
        raise ValidationFailed(_("Some fields need correcting."),
                               errors={field: [_("At most %(n)s characters.", n=limit)]})
    return text


def _standard_answer(answer_id: int | None) -> StandardAnswer | None:
    if answer_id is None:
        return None
    found = db.session.get(StandardAnswer, answer_id) if is_id(answer_id) else None
    if found is None:
        raise ValidationFailed(_("No such standard answer."), errors={"standard_answer_id": [_("No such entry.")]})
    return found


def log_question(actor, *, asker: str, channel: str, category: str, question: str, brand_id: int | None = None,
                 asker_name: str = "", contact: str = "", dealer_id: int | None = None, subject: str = "",
                 answer: str = "", standard_answer_id: int | None = None, department_id: int | None = None,
                 department_note: str = "", asked_at: datetime | None = None) -> HotlineEntry:
    """Log one question; with ``answer`` it is answered at once, with ``department_id`` it goes to
    that department (a task due one working day after the day asked), else it waits for CS."""
    service.require_desk(actor)
    now = utcnow()
    asked = asked_at or now
    if asked > now:
        raise ValidationFailed(_("A question cannot be asked in the future."), errors={"asked_at": [_("In the future.")]})
    for value, enum, field in ((asker, st.Asker, "asker"), (channel, st.Channel, "channel"),
                               (category, st.Category, "category")):
        if value not in set(enum):
            raise ValidationFailed(_("Some fields need correcting."), errors={field: [_("Not a valid choice.")]})
    question = _text(question, "question", MAX_QUESTION, required=True)
    answer = _text(answer, "answer", MAX_ANSWER, required=False)
    if answer and department_id is not None:
        raise ValidationFailed(_("Answer the question or send it to a department, not both."),
                               errors={"department_id": [_("Leave empty when the question is answered.")]})
    brand_or_422(brand_id)
    if dealer_id is not None and (not is_id(dealer_id) or db.session.get(Dealer, dealer_id) is None):
        raise ValidationFailed(_("No such dealer."), errors={"dealer_id": [_("No such dealer.")]})
    if department_id is not None:
        service.department_or_422(department_id)
    standard = _standard_answer(standard_answer_id)
    entry = HotlineEntry(
        number=next_number("HL", local_day(asked).strftime("%y%m")), asker=asker, asker_name=asker_name.strip(),
        contact=contact.strip(), dealer_id=dealer_id, channel=channel, brand_id=brand_id, category=category,
        subject=subject.strip()[:200], question=question, state=st.OPEN, due_on=service.due_on(asked),
        asked_at=asked, logged_by=who(actor)[1], updated_at=now)
    db.session.add(entry)
    db.session.flush()
    st.WORKFLOW.event(actor, "log", None, st.OPEN, at=now, entry_id=entry.id,
                      data={"channel": channel, "category": category})
    if answer:
        apply_answer(actor, entry, answer, standard=standard, at=now)
    elif department_id is not None:
        refer(actor, entry, department_id, department_note, at=now)
    return entry


def apply_answer(actor, entry: HotlineEntry, answer: str, *, standard: StandardAnswer | None = None,
                 at: datetime | None = None) -> HotlineEntry:
    """Record the standard answer given (the guarded step open/referred -> answered)."""
    now = at or utcnow()
    st.WORKFLOW.apply(actor, entry, "answer", note=answer[:200], at=now, answer=answer, answered_at=now,
                      answered_by=who(actor)[1], standard_answer_id=standard.id if standard else None)
    return entry


def open_task_of(entry: HotlineEntry) -> Task | None:
    """The department's task of ``entry`` while it waits for an answer."""
    if entry.task_id is None:
        return None
    return db.session.scalar(select(Task).where(Task.id == entry.task_id, Task.status.in_(task_service.WAITING)))


def answer(actor, entry: HotlineEntry, text: str, *, standard_answer_id: int | None = None) -> HotlineEntry:
    """CS gives the answer. For a question with a department, the answer is recorded on its task
    (closing it), so the task page and the entry never disagree."""
    service.require_desk(actor)
    text = _text(text, "answer", MAX_ANSWER, required=True)
    standard = _standard_answer(standard_answer_id)
    task = open_task_of(entry)
    if entry.state == st.REFERRED and task is not None and task.status == "open":
        task_service.answer(actor, task, "answered", text)
        if standard is not None:
            entry.standard_answer_id = standard.id
            db.session.flush()
        return entry
    return apply_answer(actor, entry, text, standard=standard)


def refer(actor, entry: HotlineEntry, department_id: int, note: str = "", *,
          at: datetime | None = None) -> HotlineEntry:
    """Send the question to the department that answers it, the same day (4.1.2): a task due
    the entry's day, on the tasks page and the overdue page until it is answered."""
    service.require_desk(actor)
    dept = service.department_or_422(department_id)
    note = _text(note, "note", 400, required=False)
    now = at or utcnow()
    st.WORKFLOW.apply(actor, entry, "refer", note=note, at=now, data={"department": dept.code},
                      department_id=dept.id)
    detail = _("%(number)s: %(question)s", number=entry.number, question=entry.question[:300])
    if note:
        detail += " · " + note
    task = task_service.open_task(st.PROCESS, "question", detail, case=(service.CASE, entry.id),
                                  department_id=dept.id, due_on=entry.due_on, at=now)
    entry.task_id = task.id
    db.session.flush()
    return entry


def reopen(actor, entry: HotlineEntry, note: str = "", *, at: datetime | None = None) -> HotlineEntry:
    """The asker wrote again in an answered thread: the entry waits for CS again, due one working day later."""
    now = at or utcnow()
    st.WORKFLOW.apply(actor, entry, "reopen", note=note[:200], at=now, due_on=service.due_on(now))
    return entry


def classify(actor, entry: HotlineEntry, *, asker: str | None = None, brand_id: int | None = None,
             category: str | None = None, brand_given: bool = False) -> HotlineEntry:
    """Say who asked, which brand and what about (an e-mail arrives without them)."""
    service.require_desk(actor)
    if asker is not None:
        entry.asker = asker
    if category is not None:
        entry.category = category
    if brand_given:
        brand_or_422(brand_id)
        entry.brand_id = brand_id
    entry.updated_at = utcnow()
    db.session.flush()
    return entry
