"""What the hotline modules share: who may do what, finding one entry, the due date, the lists."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core import authz
from core.accounts.roles import Role
from core.calendar import add_working_days, local_day
from core.directory.models import Department
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.queries import contains
from hotline import states as st
from hotline.models import HotlineAttachment, HotlineEntry, HotlineMessage

# CS answers the lines and the mailbox; the supervisor watches; the departments read the
# questions sent to them (they answer through the task, recorded by CS).
DESK = st.DESK
READERS = (Role.SERVICE, Role.SUPERVISOR)
CASE = "hotline_entry"


def require_desk(actor) -> None:
    """Only customer service logs and answers questions."""
    authz.require(actor, *DESK, message=_("Only customer service answers the hotline and the mailbox."))


def require_reader(actor) -> None:
    authz.require(actor, *READERS, message=_("Only customer service reads the hotline log."))


def due_on(asked_at: datetime) -> date:
    """The working day by which the asker has the standard answer: one working day after the day asked."""
    return add_working_days(local_day(asked_at), st.ANSWER_DAYS)


def get_entry(actor, entry_id: int) -> HotlineEntry:
    """Entry ``entry_id`` if ``actor`` may read the log."""
    require_reader(actor)
    entry = db.session.get(HotlineEntry, entry_id) if is_id(entry_id) else None
    if entry is None:
        raise NotFound(_("No such hotline entry."))
    return entry


def entry_by_number(actor, number: str) -> HotlineEntry:
    """The entry numbered ``number`` (HL2612-0001) if ``actor`` may read the log."""
    require_reader(actor)
    entry = db.session.scalar(select(HotlineEntry).where(HotlineEntry.number == (number or "").strip().upper()))
    if entry is None:
        raise NotFound(_("No such hotline entry."))
    return entry


def entries(actor, *, state: str | None = None, channel: str | None = None, brand_id: int | None = None,
            category: str | None = None, q: str | None = None):
    """Select statement of the log, newest first, filtered."""
    require_reader(actor)
    stmt = select(HotlineEntry).order_by(HotlineEntry.asked_at.desc(), HotlineEntry.id.desc())
    if state == "waiting":
        stmt = stmt.where(HotlineEntry.state.in_(st.WAITING))
    elif state:
        stmt = stmt.where(HotlineEntry.state == state)
    if channel:
        stmt = stmt.where(HotlineEntry.channel == channel)
    if brand_id:
        stmt = stmt.where(HotlineEntry.brand_id == brand_id)
    if category:
        stmt = stmt.where(HotlineEntry.category == category)
    text = (q or "").strip()
    if text:
        stmt = stmt.where(or_(contains(HotlineEntry.question, text), contains(HotlineEntry.answer, text),
                              contains(HotlineEntry.asker_name, text), contains(HotlineEntry.contact, text),
                              HotlineEntry.number == text.upper()))
    return stmt


def messages_of(entry: HotlineEntry) -> list[HotlineMessage]:
    """The entry's e-mails, oldest first."""
    return list(db.session.scalars(select(HotlineMessage).where(HotlineMessage.entry_id == entry.id)
                                   .order_by(HotlineMessage.at, HotlineMessage.id)))


def attachments_of(entry: HotlineEntry) -> list[HotlineAttachment]:
    """The files that came with the entry's e-mails."""
    return list(db.session.scalars(select(HotlineAttachment).where(HotlineAttachment.entry_id == entry.id)
                                   .order_by(HotlineAttachment.id)))


def department_or_422(department_id: int | None) -> Department:
    """The department a question goes to, or a 422 on the field."""
    dept = db.session.get(Department, department_id) if is_id(department_id) else None
    if dept is None:
        raise ValidationFailed(_("Choose the department that answers this question."),
                               errors={"department_id": [_("No such department.")]})
    return dept


def departments() -> list[Department]:
    """Every department, for the form's drop-down."""
    return list(db.session.scalars(select(Department).order_by(Department.code)))
