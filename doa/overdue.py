"""Overdue DOA cases: the internal-approval and replacement clocks past their due day.

Other packages call :func:`overdue_doa` (overdue page).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select

from core import authz
from core.calendar import local_today, working_days_between
from core.extensions import db
from doa import states as st
from doa.models import DoaApplication


def _overdue_clause(today: date):
    return or_(
        and_(DoaApplication.state.in_(sorted(st.APPROVAL_CLOCK)), DoaApplication.approval_due < today),
        and_(DoaApplication.state.in_(sorted(st.REPLACEMENT_CLOCK)), DoaApplication.request == "replacement",
             DoaApplication.replacement_due < today),
    )


def overdue_doa(actor, *, today: date | None = None) -> list[DoaApplication]:
    """Applications past their internal-approval or replacement due date, oldest due first."""
    today = today or local_today()
    stmt = select(DoaApplication).where(_overdue_clause(today))
    stmt = authz.scope_to_office(stmt, actor, DoaApplication.office_id, approvers_see_all=True)
    rows = list(db.session.scalars(stmt))
    rows.sort(key=lambda a: (a.next_due, a.id))
    return rows


def overdue_rows(actor, *, today: date | None = None) -> list[dict]:
    """Overdue applications with the clock that runs and the working days late."""
    today = today or local_today()
    out = []
    for app in overdue_doa(actor, today=today):
        clock = "approval" if app.state in st.APPROVAL_CLOCK else "replacement"
        out.append({"application": app, "clock": clock, "due": app.next_due, "state_label": st.state_label(app.state),
                    "late": max(1, working_days_between(app.next_due, today))})
    return out
