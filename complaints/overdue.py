"""Overdue complaints: the dealer's answer past its due day, the return visit past its week (or two)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from complaints import states as st
from complaints.models import Complaint
from complaints.service import READER_ROLES, overdue_clause, scoped
from core.calendar import local_today
from core.extensions import db


def overdue_complaints(actor, *, today: date | None = None) -> list[Complaint]:
    """Complaints ``actor`` may read whose running deadline is past, oldest due first.

    The sweep asks as SYSTEM (every complaint); someone who reads no complaints gets none,
    so the overdue page shows them the other sections as before.
    """
    if actor is None or not actor.has_role(*READER_ROLES):
        return []
    today = today or local_today()
    stmt = scoped(select(Complaint).where(overdue_clause(today)), actor)
    rows = list(db.session.scalars(stmt))
    rows.sort(key=lambda c: (c.next_due, c.id))
    return rows


def clock(complaint: Complaint) -> str:
    """Which deadline runs: ``answer`` or ``visit``."""
    return "answer" if complaint.state in st.ANSWER_CLOCK else "visit"
