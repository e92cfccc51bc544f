"""Overdue complaints: the dealer's answer past its due day, the return visit past its week (or two)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, select

from complaints import states as st
from complaints.models import Complaint
from complaints.service import READER_ROLES, overdue_clause, scoped
from core.calendar import local_today
from core.extensions import db
from core.pagination import Key

# The running deadline in SQL (Complaint.next_due of an overdue complaint), then the id: the keyset order.
KEYS = (Key(case((Complaint.state.in_(sorted(st.ANSWER_CLOCK)), Complaint.answer_due), else_=Complaint.visit_due),
            "date"), Key(Complaint.id, "int"))


def overdue_statement(actor, today: date):
    """The overdue complaints ``actor`` may read, unordered (with :data:`KEYS`: a keyset list); None
    for someone who reads no complaints."""
    if not actor.has_role(*READER_ROLES):
        return None
    return scoped(select(Complaint).where(overdue_clause(today)), actor)


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
