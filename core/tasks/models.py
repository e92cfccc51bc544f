"""The task table: one row per "contact the dealer / the department" of any process."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow


class Task(db.Model):
    """Someone must be asked something by ``due_on``; their answer settles it, a dispute goes to the supervisor.

    ``process`` says whose task it is and so what ``case_type``/``case_id`` (the
    document: a return parcel, a DOA application) and ``subject_type``/``subject_id``
    (the thing on it: a repair unit, a held unit) point at; core never reads those
    tables, the process describes them (:func:`core.tasks.registry.register_process`).
    A task is addressed to a dealer (``dealer_id``) or to a department (``department_id``).

    What to tell them is stored as words to translate when shown, not as text in
    the opener's language: ``detail_key`` (a message id) and ``detail_params``
    (:func:`core.i18n.message`); ``detail`` keeps free text, and the sentence of a
    task opened before the key existed (:func:`core.tasks.service.task_detail`).
    """

    __tablename__ = "task"
    __audited__ = True
    __table_args__ = (
        # The task lists' keyset orders (due_on, id) after each common equality filter.
        Index("ix_task_process_status_due_id", "process", "status", "due_on", "id"),
        Index("ix_task_status_due_id", "status", "due_on", "id"),
        Index("ix_task_office_status_due_id", "office_id", "status", "due_on", "id"),
        Index("ix_task_case", "case_type", "case_id"),
        Index("ix_task_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    case_type: Mapped[str | None] = mapped_column(String(30))
    case_id: Mapped[int | None] = mapped_column()
    subject_type: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column()
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    # Indexed by ix_task_office_status_due_id (office first): the list pages and the foreign key alike.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    detail_key: Mapped[str | None] = mapped_column(String(300))
    detail_params: Mapped[dict | None] = mapped_column(JSON)
    due_on: Mapped[date] = mapped_column()
    # open, agreed, disputed, resolved; indexed by ix_task_status_due_id (status first).
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")  # the answers given, one line each
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))

    dealer = relationship("Dealer", lazy="joined")
    department = relationship("Department", lazy="joined")
