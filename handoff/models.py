"""The hand-off letter and its history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow
from core.workflow import EventColumns
from handoff.states import LetterState


class HandoffLetter(db.Model):
    """One department's work handed to another, to be done by ``committed_on`` (部门工作提交函).

    ``first_committed_on`` keeps the day the letter asked for; when the receiving department
    accepts with another day, ``committed_on`` (and the task's due day) becomes that day.
    """

    __tablename__ = "handoff_letter"
    __audited__ = True
    __table_args__ = (Index("ix_handoff_letter_state_committed", "state", "committed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    from_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    to_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    committed_on: Mapped[date] = mapped_column()
    first_committed_on: Mapped[date] = mapped_column()
    state: Mapped[str] = mapped_column(String(24), default="sent")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    return_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_department = relationship("Department", foreign_keys=[from_department_id], lazy="joined")
    to_department = relationship("Department", foreign_keys=[to_department_id], lazy="joined")
    task = relationship("Task", lazy="joined")

    @property
    def state_label(self) -> str:
        """The letter's state in words."""
        return LetterState.label_of(self.state)


class HandoffLetterEvent(EventColumns, db.Model):
    """Append-only history of a letter (sent, accepted with its day, done, returned with the reason)."""

    __tablename__ = "handoff_letter_event"
    __table_args__ = (Index("ix_handoff_letter_event_letter_id_id", "letter_id", "id"),)

    letter_id: Mapped[int] = mapped_column(ForeignKey("handoff_letter.id"))
