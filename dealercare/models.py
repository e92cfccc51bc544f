"""A new dealer's onboarding, and the policy documents every new dealer is sent."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
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


# --------------------------------------------------------------------------- the quarterly survey

class Survey(db.Model):
    """A quarter's dealer satisfaction survey (manual ch. 1 3.3, ch. 3 二.1.4).

    Its questions are kept while it is a draft and frozen once the links are sent (``sent_at``);
    each dealer's link works until the end of ``deadline`` (Asia/Shanghai).
    """

    __tablename__ = "dealer_survey"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), unique=True)  # "2026-Q4"
    deadline: Mapped[date] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by: Mapped[str | None] = mapped_column(String(64))
    summary_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary_sent_by: Mapped[str | None] = mapped_column(String(64))
    summary_sent_to: Mapped[str | None] = mapped_column(String(500))

    questions = relationship("SurveyQuestion", order_by="SurveyQuestion.position", lazy="selectin",
                             back_populates="survey")


class SurveyQuestion(db.Model):
    """One question rated 1-5, optionally about one brand (so results split per brand)."""

    __tablename__ = "dealer_survey_question"
    __audited__ = True
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("dealer_survey.id"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(300))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"))

    survey = relationship("Survey", back_populates="questions")
    brand = relationship("Brand", lazy="joined")


class SurveyInvite(db.Model):
    """The personal link sent to one dealer for one quarter, and the last reminder it got."""

    __tablename__ = "dealer_survey_invite"
    __audited__ = True
    __table_args__ = (UniqueConstraint("survey_id", "dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("dealer_survey.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_to: Mapped[str] = mapped_column(String(200))
    # At most one reminder a day: the local day of the last one.
    reminded_on: Mapped[date | None] = mapped_column()
    reminders: Mapped[int] = mapped_column(default=0)

    dealer = relationship("Dealer", lazy="joined")


class SurveyAnswer(db.Model):
    """A dealer's one answer to a quarter's survey; a low score opens a follow-up task."""

    __tablename__ = "dealer_survey_answer"
    __audited__ = True
    __table_args__ = (UniqueConstraint("survey_id", "dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("dealer_survey.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))

    dealer = relationship("Dealer", lazy="joined")
    scores = relationship("SurveyScore", lazy="selectin")


class SurveyScore(db.Model):
    """One rating (1-5) of one question in one answer."""

    __tablename__ = "dealer_survey_score"
    __table_args__ = (UniqueConstraint("answer_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("dealer_survey_answer.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("dealer_survey_question.id"))
    score: Mapped[int] = mapped_column()
