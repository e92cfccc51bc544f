"""Company closures added on top of the official calendar."""
from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db


class Closure(db.Model):
    """A day the company is closed although the official calendar says work."""

    __tablename__ = "company_closure"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
