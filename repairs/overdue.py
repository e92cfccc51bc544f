"""Units past their due dates and the overdue report."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import authz
from core.calendar import local_today
from core.extensions import db
from repairs import clocks
from repairs.models import RepairUnit, ReturnParcel
from repairs.service import DESK

# --------------------------------------------------------------------------- overdue

def overdue_units(actor, *, today: date | None = None) -> list[RepairUnit]:
    """Units with some clock run out (repairs.clocks), including long-outstanding units at a
    promise-free repairer; the clock that ran out first first."""
    today = today or local_today()
    stmt = (select(RepairUnit).options(selectinload(RepairUnit.parcel), selectinload(RepairUnit.route))
            .join(ReturnParcel, RepairUnit.parcel_id == ReturnParcel.id)
            .where(clocks.overdue_condition(RepairUnit, today)))
    stmt = authz.scope_to_office(stmt, actor, ReturnParcel.office_id)
    late = [(clocks.late_clock(unit, today), unit) for unit in db.session.scalars(stmt)]
    late = [(clock, unit) for clock, unit in late if clock is not None]
    late.sort(key=lambda pair: (pair[0].due, pair[1].id))
    return [unit for _clock, unit in late]


def overdue_report(actor, today: date | None = None) -> dict:
    """Overdue units grouped by route and by age, each saying whose clock ran out.

    A row's ``late`` is in working days for the CS clocks (dispatch, dealer
    promise) and in calendar days for the factory's and long-outstanding clocks.
    """
    authz.require(actor, *DESK)
    today = today or local_today()
    rows = []
    for unit in overdue_units(actor, today=today):
        clock = clocks.late_clock(unit, today)
        rows.append({"unit": unit, "late": clock.days_late, "bucket": clocks.LATE_BANDS.key(clock.days_late),
                     "clock": clock.kind, "clock_label": clock.label, "owner": clock.owner,
                     "owner_label": clock.owner_label, "due": clock.due,
                     "working_days": clock.working_days, "late_clock": clock})
    by_route: dict[str, list] = {}
    for row in rows:
        by_route.setdefault(row["unit"].route.name if row["unit"].route else "—", []).append(row)
    # Keyed by the band's words: the page shows them as they are.
    buckets = {label: sum(1 for r in rows if r["bucket"] == key)
               for key, label in zip(clocks.LATE_BANDS.keys(), clocks.LATE_BANDS.labels())}
    by_owner = [{"owner": owner, "label": clocks.owner_label(owner),
                 "units": sum(1 for r in rows if r["owner"] == owner)}
                for owner in (clocks.CS, clocks.FACTORY, clocks.REPAIRER)]
    return {"today": today, "rows": rows, "by_route": by_route, "buckets": buckets, "by_owner": by_owner}
