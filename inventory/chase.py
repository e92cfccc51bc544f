"""What the inventory package chases (core.chase): offices whose periodic spare count is missing.

Offices count their spares weekly and monthly (DOMAIN.md C.2). Once a Monday-
to-Sunday week has ended without a weekly or monthly count of the office's
stock counted in it, or a month has ended without a monthly count, the office
is chased (its mailbox and the supervisor) every day until the count comes in.
A count submitted after the period still stops the chase; the figures' on-time
rate is where lateness is judged.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import chase
from core.authz import scope_to_office
from core.calendar import SHANGHAI
from core.directory.models import Office
from core.extensions import db
from inventory.models import Location, StockCount

KIND = "office_count"
# Counts that cover a week or a month: a weekly count covers its week, a monthly one its week and its month.
WEEK_KINDS = ("weekly", "monthly")
MONTH_KINDS = ("monthly",)
# A withdrawn count was never submitted; a superseded one was, and its recount follows it.
NOT_SUBMITTED = ("withdrawn",)


def last_ended_week(today: date) -> tuple[date, date]:
    """(Monday, Sunday) of the last Monday-to-Sunday week that ended before ``today``."""
    sunday = today - timedelta(days=today.weekday() + 1)
    return sunday - timedelta(days=6), sunday


def last_ended_month(today: date) -> tuple[date, date]:
    """(first, last day) of the month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


def _offices_counted(kinds, first: date, last: date, office_ids) -> set[int]:
    stmt = (select(Location.office_id).distinct()
            .join(StockCount, StockCount.location_id == Location.id)
            .where(Location.office_id.in_(office_ids), StockCount.kind.in_(kinds),
                   StockCount.status.notin_(NOT_SUBMITTED),
                   StockCount.counted_at >= _start(first), StockCount.counted_at < _start(last + timedelta(days=1))))
    return set(db.session.scalars(stmt))


def _words(office: str, week: tuple[date, date] | None, month: tuple[date, date] | None) -> str:
    parts = []
    if week:
        parts.append(_("no weekly count for %(first)s – %(last)s", first=week[0].isoformat(), last=week[1].isoformat()))
    if month:
        parts.append(_("no monthly count for %(month)s", month=month[0].strftime("%Y-%m")))
    return _("%(office)s: %(missing)s", office=office, missing="; ".join(parts))


def overdue_count_items(today: date, actor):
    """Offices holding spares whose last ended week (or month) has no count."""
    stmt = (select(Office).where(Office.active.is_(True),
                                 Office.id.in_(select(Location.office_id).where(Location.active.is_(True))))
            .order_by(Office.code))
    stmt = scope_to_office(stmt, actor, Office.id)
    offices = list(db.session.scalars(stmt))
    if not offices:
        return
    ids = [o.id for o in offices]
    week = last_ended_week(today)
    month = last_ended_month(today)
    week_done = _offices_counted(WEEK_KINDS, *week, ids)
    month_done = _offices_counted(MONTH_KINDS, *month, ids)
    for office in offices:
        missing_week = None if office.id in week_done else week
        missing_month = None if office.id in month_done else month
        if not (missing_week or missing_month):
            continue
        due = min(p[1] for p in (missing_week, missing_month) if p)
        yield chase.ChaseItem(
            kind=KIND, item_id=office.id, owner=chase.owner(f"office:{office.id}", office.name, office.email),
            reference=office.code, description=chase.Words(_words, office.name, missing_week, missing_month),
            due=due, late=chase.calendar_days_late(due, today), link="/inventory/counts",
            late_unit=chase.CALENDAR,
        )


chase.register_chase(KIND, overdue_count_items, title=_l("Office spare counts missing"), order=50)
