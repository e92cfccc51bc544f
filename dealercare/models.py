"""A new dealer's onboarding, and the policy documents every new dealer is sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow


class Onboarding(db.Model):
    """One new dealer's first steps with customer service (manual ch. 3 二.1.1-1.3).

    The welcome call is a task (``call_task_id``); the welcome pack (policy, warranty terms and the
    staff member's contact) goes by e-mail; then the completed file is handed to the channel department.
    """

    __tablename__ = "dealer_onboarding"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), unique=True)
    call_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pack_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pack_sent_by: Mapped[str | None] = mapped_column(String(64))
    pack_sent_to: Mapped[str | None] = mapped_column(String(200))
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_off_by: Mapped[str | None] = mapped_column(String(64))
    handed_off_to: Mapped[str | None] = mapped_column(String(200))

    dealer = relationship("Dealer", lazy="joined")
    call_task = relationship("Task", lazy="joined")


class PolicyDocument(db.Model):
    """A document every new dealer is sent with the welcome pack (service policy, warranty terms)."""

    __tablename__ = "dealer_policy_document"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    size: Mapped[int] = mapped_column()
    # The same file is kept once: a second upload of it (or two at once) is refused.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(64), default="")
