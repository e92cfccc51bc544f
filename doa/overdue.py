"""Overdue DOA cases: the internal-approval and replacement clocks past their due day.

Other packages call :func:`overdue_doa` (overdue page); the chase reads :func:`overdue_statement`
a page at a time.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, or_, select

from core import authz
from core.calendar import local_today, working_days_between
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset, keyset_order
from doa import states as st
from doa.models import DoaApplication


def _overdue_clause(today: date):
    return or_(
        and_(DoaApplication.state.in_(sorted(st.APPROVAL_CLOCK)), DoaApplication.approval_due < today),
        and_(DoaApplication.state.in_(sorted(st.REPLACEMENT_CLOCK)), DoaApplication.request == "replacement",
             DoaApplication.replacement_due < today),
    )


def next_due_sql(today: date | None = None):
    """SQL: the deadline running now (:attr:`DoaApplication.next_due` for an overdue application)."""
    return case((DoaApplication.state.in_(sorted(st.APPROVAL_CLOCK)), DoaApplication.approval_due),
                else_=DoaApplication.replacement_due)


KEYS = (Key(next_due_sql(), "date"), Key(DoaApplication.id, "int"))
PER_PAGE = 50


def _scoped(actor, today: date):
    stmt = select(DoaApplication).where(_overdue_clause(today))
    return authz.scope_to_office(stmt, actor, DoaApplication.office_id, approvers_see_all=True)


def overdue_statement(actor, today: date):
    """The overdue applications ``actor`` may see, unordered (with :data:`KEYS`: a keyset list)."""
    return _scoped(actor, today)


def overdue_doa(actor, *, today: date | None = None) -> list[DoaApplication]:
    """Applications past their internal-approval or replacement due date, oldest due first (every one:
    the nightly sweep chases them all)."""
    today = today or local_today()
    return list(db.session.scalars(_scoped(actor, today).order_by(*keyset_order(KEYS))))


def _row(app: DoaApplication, today: date) -> dict:
    clock = "approval" if app.state in st.APPROVAL_CLOCK else "replacement"
    return {"application": app, "clock": clock, "due": app.next_due, "state_label": st.state_label(app.state),
            "late": max(1, working_days_between(app.next_due, today))}


def overdue_page(actor, *, today: date | None = None, after=None, per_page=PER_PAGE) -> KeysetPage:
    """One page of overdue applications as rows (clock, due day, working days late), oldest due first;
    ``after`` and ``per_page`` are the request's arguments (checked: 422)."""
    today = today or local_today()
    page = keyset(_scoped(actor, today), KEYS, after, per_page, default_per_page=PER_PAGE)
    page.items = [_row(app, today) for app in page.items]
    return page


def overdue_rows(actor, *, today: date | None = None) -> list[dict]:
    """The first page of overdue applications with the clock that runs and the working days late."""
    return overdue_page(actor, today=today).items
