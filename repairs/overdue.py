"""Units past their due dates and the overdue report.

At a year's data (a million units) the overdue list is read a page at a time
(:func:`overdue_page`, keyset on the unit's stored ``chase_due`` and id: one range of the
index ``ix_repair_unit_chase_due``, read in its order, no sort) and the counts above it
(by band, by owner, by route) are one grouped query: no list is held in memory, and a
page costs the same number of statements at any size.

The order is the day the unit's first running clock ran out (``chase_due``); a row shows
the clock it is chased for (:func:`repairs.clocks.late_clock`), which at the factory is the
factory's clock once that ran out too. The chased clock depends on today, so no stored
column can give its order; the first clock's day is stored and never changes by itself.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import selectinload

from core import authz
from core.calendar import local_today
from core.directory.models import RepairRoute
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from repairs import clocks
from repairs import states as st
from repairs.models import RepairUnit, ReturnParcel
from repairs.service import DESK

PER_PAGE = 50
# How far back the band limits are looked for: past the longest closure run plus the largest limit.
_CUTOFF_SEARCH_DAYS = 400


# --------------------------------------------------------------------------- the chased clock in SQL

def _factory_late(u, today: date):
    """SQL: the unit is at the repairer past the factory's (or long-outstanding) clock."""
    return and_(u.state == st.AT_FACTORY, u.factory_due < today)


def chased_due(u, today: date):
    """SQL: the due day of the clock :func:`repairs.clocks.late_clock` chases, for an overdue unit.

    At the repairer the repairer's clock comes first once it ran out; in the other states the
    earliest of the running clocks (an accepted unit runs both CS clocks).
    """
    earliest_cs = case((or_(u.ship_due.is_(None), u.dispatch_due <= u.ship_due), u.dispatch_due), else_=u.ship_due)
    return case(
        (_factory_late(u, today), u.factory_due),
        (u.state == st.AT_FACTORY, u.ship_due),
        (u.state == st.INSPECTED, earliest_cs),
        (u.state == st.RECEIVED, u.dispatch_due),
        else_=u.ship_due,
    )


def _scoped(actor, today: date):
    stmt = (select(RepairUnit).join(ReturnParcel, RepairUnit.parcel_id == ReturnParcel.id)
            .where(clocks.overdue_condition(RepairUnit, today)))
    return authz.scope_to_office(stmt, actor, ReturnParcel.office_id)


def _keys(today: date) -> tuple[Key, Key]:
    # Both columns of ix_repair_unit_chase_due: the page is a range read of the index in its order.
    return (Key(RepairUnit.chase_due, "date"), Key(RepairUnit.id, "int"))


def overdue_statement(actor, today: date):
    """The overdue units ``actor`` may see, unordered (with :func:`overdue_keys`: a keyset list)."""
    return _scoped(actor, today)


def overdue_keys(today: date) -> tuple[Key, Key]:
    """The overdue list's keyset order (covered by ``ix_repair_unit_chase_due``)."""
    return _keys(today)


def overdue_page(actor, *, today: date | None = None, after=None, per_page=PER_PAGE) -> KeysetPage:
    """One page of overdue units, the unit whose first clock ran out earliest first (then by unit id).

    ``after`` and ``per_page`` are the request's arguments (checked: 422). The unit's parcel
    (with its dealer) and route come with the page, in a fixed number of statements.
    """
    today = today or local_today()
    stmt = _scoped(actor, today).options(selectinload(RepairUnit.parcel), selectinload(RepairUnit.route))
    return keyset(stmt, _keys(today), after, per_page, default_per_page=PER_PAGE)


def overdue_units(actor, *, today: date | None = None, limit: int | None = None) -> list[RepairUnit]:
    """Units with some clock run out (repairs.clocks), including long-outstanding units at a
    promise-free repairer; the unit whose first clock ran out earliest first (in the index's order).

    Without ``limit`` every overdue unit (the nightly sweep mails them all).
    """
    today = today or local_today()
    keys = _keys(today)
    stmt = (_scoped(actor, today).options(selectinload(RepairUnit.parcel), selectinload(RepairUnit.route))
            .order_by(*(key.expr for key in keys)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------- counts in SQL

def _cutoffs(kind: str, today: date) -> list[date]:
    """For each band limit L: the first due day not more than L days late (a due day before it is)."""
    out = []
    for limit in clocks.LATE_BANDS.limits:
        day = today - timedelta(days=1)
        for _step in range(_CUTOFF_SEARCH_DAYS):
            if clocks.days_late(kind, day, today) > limit:
                break
            day -= timedelta(days=1)
        out.append(day + timedelta(days=1))
    return out


def _band(due, factory_late, today: date):
    """SQL: the LATE_BANDS index of a due day (calendar days on the repairer's clock, else working days)."""
    working = _cutoffs(clocks.PROMISE, today)
    calendar = _cutoffs(clocks.FACTORY_CLOCK, today)
    steps = [case((due < case((factory_late, cal), else_=work), 1), else_=0)
             for work, cal in zip(working, calendar)]
    band = literal(0)
    for step in steps:
        band = band + step
    return band


def overdue_counts(actor, *, today: date | None = None) -> list[tuple]:
    """(route id, route name, promise-free?, repairer's clock?, band index, units) of every overdue unit."""
    today = today or local_today()
    u = RepairUnit
    factory_late = _factory_late(u, today)
    inner = (_scoped(actor, today).with_only_columns(
        u.route_id.label("route_id"),
        case((factory_late, 1), else_=0).label("at_repairer"),
        _band(chased_due(u, today), factory_late, today).label("band"),
    ).subquery())
    stmt = (select(inner.c.route_id, RepairRoute.name, RepairRoute.promise_days.is_(None).label("no_promise"),
                   inner.c.at_repairer, inner.c.band, func.count())
            .select_from(inner).outerjoin(RepairRoute, RepairRoute.id == inner.c.route_id)
            .group_by(inner.c.route_id, RepairRoute.name, RepairRoute.promise_days, inner.c.at_repairer,
                      inner.c.band))
    return [tuple(row) for row in db.session.execute(stmt)]


# --------------------------------------------------------------------------- the report

def _row(unit: RepairUnit, today: date) -> dict | None:
    clock = clocks.late_clock(unit, today)
    if clock is None:
        return None
    return {"unit": unit, "late": clock.days_late, "bucket": clocks.LATE_BANDS.key(clock.days_late),
            "clock": clock.kind, "clock_label": clock.label, "owner": clock.owner,
            "owner_label": clock.owner_label, "due": clock.due,
            "working_days": clock.working_days, "late_clock": clock}


def overdue_report(actor, today: date | None = None, *, after=None, per_page=PER_PAGE) -> dict:
    """One page of overdue units grouped by route, with the whole list's counts by age, owner and route.

    A row's ``late`` is in working days for the CS clocks (dispatch, dealer
    promise) and in calendar days for the factory's and long-outstanding clocks.
    ``page`` is the keyset page (``page.next``: the next page's cursor); ``total`` counts every overdue unit.
    """
    authz.require(actor, *DESK)
    today = today or local_today()
    page = overdue_page(actor, today=today, after=after, per_page=per_page)
    rows = [row for row in (_row(unit, today) for unit in page.items) if row is not None]
    by_route: dict[str, list] = {}
    for row in rows:
        by_route.setdefault(row["unit"].route.name if row["unit"].route else "—", []).append(row)
    keys = clocks.LATE_BANDS.keys()
    band_units = [0] * len(keys)
    owners = {clocks.CS: 0, clocks.FACTORY: 0, clocks.REPAIRER: 0}
    route_totals: dict[str, int] = {}
    for _route_id, name, no_promise, at_repairer, band, units in overdue_counts(actor, today=today):
        band_units[min(int(band), len(keys) - 1)] += units
        owner = (clocks.REPAIRER if no_promise and name is not None else clocks.FACTORY) if at_repairer else clocks.CS
        owners[owner] += units
        route_totals[name or "—"] = route_totals.get(name or "—", 0) + units
    # Keyed by the band's words: the page shows them as they are.
    buckets = dict(zip(clocks.LATE_BANDS.labels(), band_units))
    by_owner = [{"owner": owner, "label": clocks.owner_label(owner), "units": owners[owner]}
                for owner in (clocks.CS, clocks.FACTORY, clocks.REPAIRER)]
    return {"today": today, "rows": rows, "by_route": by_route, "route_totals": route_totals, "buckets": buckets,
            "by_owner": by_owner, "total": sum(band_units), "page": page}
