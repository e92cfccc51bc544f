"""The hotline and e-mail desk's tables: the log, its e-mails and files, the standard answers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow
from core.workflow import EventColumns
from hotline import states as st


class HotlineEntry(db.Model):
    """One question asked on a brand's service line or by e-mail, and its answer.

    ``due_on`` is the working day by which the asker has the standard answer (4.2);
    a question sent to a department carries its task (core.tasks, process "hotline").
    """

    __tablename__ = "hotline_entry"
    __audited__ = True
    __table_args__ = (
        Index("ix_hotline_entry_state_due", "state", "due_on"),
        Index("ix_hotline_entry_asked_at", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    asker: Mapped[str] = mapped_column(String(20))
    asker_name: Mapped[str] = mapped_column(String(120), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")   # phone number or e-mail address
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200), default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    standard_answer_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_answer.id"))
    state: Mapped[str] = mapped_column(String(12), default=st.OPEN, index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    due_on: Mapped[date] = mapped_column()
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    logged_by: Mapped[str] = mapped_column(String(64), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand = relationship("Brand", lazy="joined")
    dealer = relationship("Dealer", lazy="joined")
    department = relationship("Department", lazy="joined")
    messages = relationship("HotlineMessage", viewonly=True, order_by="(HotlineMessage.at, HotlineMessage.id)")
    attachments = relationship("HotlineAttachment", viewonly=True, order_by="HotlineAttachment.id")

    @property
    def is_email(self) -> bool:
        """The question came by e-mail (so the answer can go back as a reply)."""
        return self.channel == st.Channel.EMAIL

    @property
    def asker_label(self) -> str:
        return st.Asker.label_of(self.asker)

    @property
    def channel_label(self) -> str:
        return st.Channel.label_of(self.channel)

    @property
    def category_label(self) -> str:
        return st.Category.label_of(self.category)

    @property
    def state_label(self) -> str:
        return st.EntryState.label_of(self.state)


class HotlineEvent(EventColumns, db.Model):
    """Append-only history of an entry (logged, answered, sent to a department, reopened)."""

    __tablename__ = "hotline_event"
    __table_args__ = (Index("ix_hotline_event_entry_id_id", "entry_id", "id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("hotline_entry.id"))


class HotlineMessage(db.Model):
    """One e-mail of an entry's thread, received from the mailbox or sent as a reply.

    ``message_id`` is unique: a message fetched again (a repeated or interrupted fetch,
    the same mail delivered twice) is imported once.
    """

    __tablename__ = "hotline_message"
    __table_args__ = (UniqueConstraint("message_id", name="uq_hotline_message_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hotline_entry.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))   # in, out
    message_id: Mapped[str] = mapped_column(String(250))
    in_reply_to: Mapped[str] = mapped_column(String(250), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(250), default="")
    recipients: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(String(250), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64), default="")

    @property
    def is_incoming(self) -> bool:
        return self.direction == "in"


class HotlineAttachment(db.Model):
    """A file that came with an e-mail, kept with the record under UPLOAD_FOLDER/hotline/."""

    __tablename__ = "hotline_attachment"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hotline_entry.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("hotline_message.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))


class MailboxState(db.Model):
    """How far the mailbox has been read: the last UID imported under one UIDVALIDITY."""

    __tablename__ = "hotline_mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200), unique=True)   # user@host/folder
    uid_validity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StandardAnswer(db.Model):
    """A standard answer (标准话术) to a representative question, per brand and category (4.1.4).

    ``brand_id`` None: the answer holds for every brand.
    """

    __tablename__ = "hotline_answer"
    __audited__ = True
    __table_args__ = (Index("ix_hotline_answer_brand_category", "brand_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"))
    category: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    # The entry it was taken from (4.1.4); no foreign key, as the entry points back at its answer.
    source_entry_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")

    brand = relationship("Brand", lazy="joined")

    @property
    def category_label(self) -> str:
        return st.Category.label_of(self.category)
