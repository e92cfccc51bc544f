"""Complaints (客诉): the complaint, its history, the dealer's letter on file, the mediation agreement.

``Complaint.state`` changes only through :mod:`complaints.service` (``WORKFLOW.apply``),
each change appending a :class:`ComplaintEvent` in the same transaction.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.states import ANSWER_CLOCK, VISIT_CLOCK
from core.extensions import db
from core.stored_files import StoredFileColumns
from core.types import UTCDateTime, utcnow
from core.workflow import EventColumns


class Complaint(db.Model):
    """A dealer's complaint under one CS number (客服部编号): tier, deadlines, answers, report, visit."""

    __tablename__ = "complaint"
    __audited__ = True
    __table_args__ = (
        Index("ix_complaint_state_answer_due", "state", "answer_due"),
        Index("ix_complaint_state_visit_due", "state", "visit_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    tier: Mapped[str] = mapped_column(String(16))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    # Copied from the dealer so office scoping is one indexed column.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    # A complaint about CS staff themselves (manual ch. 1, 1.7): the supervisor's alone.
    about_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The brand the complaint is about (the desk's figures split by brand); None when it is about no product.
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date] = mapped_column()
    state: Mapped[str] = mapped_column(String(24), default="registered", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    # Ordinary: 2 working days; serious: 7; very serious: set by the supervisor (None until then).
    answer_due: Mapped[date | None] = mapped_column()
    due_set_by: Mapped[str | None] = mapped_column(String(64))

    # The internal complaint letter (内部客诉反馈函) and the department's written answer.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    internal_letter: Mapped[str] = mapped_column(Text, default="")
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    department_answer: Mapped[str] = mapped_column(Text, default="")
    department_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The handling report (客诉处理报告), its sign-off and (very serious) the GM assistant's approval.
    report: Mapped[str] = mapped_column(Text, default="")
    report_by: Mapped[str | None] = mapped_column(String(64))
    report_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compensation: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    signed_by: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gm_approved_by: Mapped[str | None] = mapped_column(String(64))
    gm_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dealer_answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fix: Mapped[str] = mapped_column(Text, default="")
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A week after the fix for a serious complaint, two weeks for an ordinary one (calendar days).
    visit_due: Mapped[date | None] = mapped_column()
    visit_outcome: Mapped[str] = mapped_column(Text, default="")
    visit_satisfied: Mapped[bool | None] = mapped_column(Boolean)
    visited_by: Mapped[str | None] = mapped_column(String(64))
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dealer = relationship("Dealer", lazy="joined")
    brand = relationship("Brand", lazy="joined")
    department = relationship("Department", lazy="joined")
    mediation: Mapped[MediationAgreement | None] = relationship(back_populates="complaint", lazy="selectin",
                                                                  uselist=False)

    @property
    def next_due(self) -> date | None:
        """The deadline running now: the dealer's answer, then the return visit."""
        if self.state in ANSWER_CLOCK:
            return self.answer_due
        if self.state in VISIT_CLOCK:
            return self.visit_due
        return None

    def is_overdue(self, today: date) -> bool:
        """Whether the running deadline is past."""
        due = self.next_due
        return due is not None and due < today


class ComplaintEvent(EventColumns, db.Model):
    """Append-only history of a complaint."""

    __tablename__ = "complaint_event"
    __table_args__ = (Index("ix_complaint_event_complaint_id_id", "complaint_id", "id"),)

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))


class ComplaintAttachment(StoredFileColumns, db.Model):
    """The dealer's written complaint letter (代理商客诉反馈函) kept on file, stored under UPLOAD_FOLDER."""

    __tablename__ = "complaint_attachment"
    __audited__ = True

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)


# The end customer's personal data: never in the audit log, exports or lists.
PII_FIELDS = ("customer_name", "customer_address", "customer_phone", "id_number_token", "customer_representative")


class MediationAgreement(db.Model):
    """The signed mediation agreement (顾客投诉调解协议, 附件9) of a very serious complaint.

    The ID number (身份证号) is stored only encrypted (``id_number_token``, Fernet), so a
    database dump alone does not reveal it; name, address and phone are shown only to
    the supervisor and the GM's assistant.
    """

    __tablename__ = "complaint_mediation"
    __audited__ = True
    __audit_exclude__ = PII_FIELDS

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    agreement_number: Mapped[str] = mapped_column(String(40), default="")
    # 甲方 (顾客)
    customer_name: Mapped[str] = mapped_column(String(80))
    customer_address: Mapped[str] = mapped_column(String(300), default="")
    customer_phone: Mapped[str] = mapped_column(String(40), default="")
    id_number_token: Mapped[str] = mapped_column(String(400), default="")
    # 乙方 (the company)
    company_name: Mapped[str] = mapped_column(String(120), default="")
    company_address: Mapped[str] = mapped_column(String(300), default="")
    company_phone: Mapped[str] = mapped_column(String(40), default="")
    company_contact: Mapped[str] = mapped_column(String(80), default="")
    signed_on: Mapped[date] = mapped_column()
    complained_on: Mapped[date | None] = mapped_column()
    product: Mapped[str] = mapped_column(String(300), default="")
    customer_duties: Mapped[str] = mapped_column(Text, default="")
    company_duties: Mapped[str] = mapped_column(Text, default="")
    customer_representative: Mapped[str] = mapped_column(String(80), default="")
    company_representative: Mapped[str] = mapped_column(String(80), default="")
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="mediation")
