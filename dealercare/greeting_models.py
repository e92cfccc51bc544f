"""Birthday and holiday greetings to dealers: a batch and each dealer's mail in it.

Kept apart from ``dealercare/models.py`` (onboarding) so each concept has its module.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow


class GreetingBatch(db.Model):
    """Birthday or holiday greetings to dealers (manual ch. 2 二.10, 2.3: 生日及节假日祝福), sent once as a batch.

    ``kind`` is ``birthday`` (dealers whose birthday falls in ``starts_on``..``ends_on``) or
    ``holiday`` (every active dealer with an e-mail, for ``occasion`` on ``starts_on``).
    The recipients are fixed when the batch is opened (:class:`GreetingMail`); the text is
    edited until the batch is sent.
    """

    __tablename__ = "dealer_greeting_batch"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    occasion: Mapped[str] = mapped_column(String(60), default="")
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column()
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Opened in the dealers' code order, so by id is by dealer code.
    mails = relationship("GreetingMail", order_by="GreetingMail.id", lazy="selectin", viewonly=True)


class GreetingMail(db.Model):
    """One dealer's greeting of a batch: to whom, and whether it went (``pending``, ``sent``, ``failed``)."""

    __tablename__ = "dealer_greeting_mail"
    __table_args__ = (UniqueConstraint("batch_id", "dealer_id", name="uq_dealer_greeting_mail_batch_dealer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("dealer_greeting_batch.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    error: Mapped[str] = mapped_column(String(120), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dealer = relationship("Dealer", lazy="joined")
