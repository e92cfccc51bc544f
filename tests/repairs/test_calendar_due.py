"""Due dates across the 2026 Spring Festival and National Day follow the official calendar."""
from __future__ import annotations

from datetime import date

import pytest

from core.authz import SYSTEM
from tests.repairs.conftest import at


@pytest.mark.parametrize("received,inspected,dispatch_due,ship_due", [
    # Spring Festival 2026: Feb 15-23 off; Sat Feb 14 and Sat Feb 28 are make-up working days.
    (date(2026, 2, 13), date(2026, 2, 13), date(2026, 2, 24), date(2026, 3, 2)),
    (date(2026, 2, 12), date(2026, 2, 14), date(2026, 2, 14), date(2026, 3, 3)),
    # National Day 2026: Oct 1-7 off; Sat Oct 10 is a make-up working day.
    (date(2026, 9, 30), date(2026, 9, 30), date(2026, 10, 9), date(2026, 10, 15)),
    (date(2026, 9, 29), date(2026, 10, 8), date(2026, 10, 8), date(2026, 10, 16)),
])
def test_due_dates_follow_the_official_calendar(ctx, world, received, inspected, dispatch_due, ship_due):
    from core.extensions import db
    from repairs import inspection, intake, receiving

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "M", "serial": "C1"}],
                                   at=at(received, 8))
    unit = receiving.receive_unit(SYSTEM, "C1", parcel, at=at(received, 16))
    assert unit.dispatch_due == dispatch_due
    inspection.inspect_unit(SYSTEM, unit, at=at(inspected, 17))
    assert unit.ship_due == ship_due
    db.session.rollback()


def test_late_evening_utc_counts_as_the_next_shanghai_day(ctx, world):
    from datetime import datetime, timezone

    from core.extensions import db
    from repairs import intake, receiving

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "M", "serial": "C2"}])
    # 2026-09-29 17:00 UTC is already Wednesday 30 Sep 01:00 in Shanghai.
    unit = receiving.receive_unit(SYSTEM, "C2", parcel, at=datetime(2026, 9, 29, 17, 0, tzinfo=timezone.utc))
    assert unit.dispatch_due == date(2026, 10, 9)
    db.session.rollback()


def test_taiwan_route_has_no_ship_back_promise(ctx, world):
    from core.extensions import db
    from repairs import inspection, intake, receiving

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj,
                                   lines=[{"model": "M", "serial": "T1", "route": "TW"}])
    unit = receiving.receive_unit(SYSTEM, "T1", parcel, at=at(date(2026, 11, 16)))
    inspection.inspect_unit(SYSTEM, unit, at=at(date(2026, 11, 16), 15))
    assert unit.dispatch_due == date(2026, 11, 18)
    assert unit.ship_due is None
    db.session.rollback()


def test_company_closure_moves_the_due_date(ctx, world):
    from core.calendar.service import add_closure
    from core.extensions import db
    from repairs import intake, receiving

    add_closure(date(2026, 11, 17), "盘点")
    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "M", "serial": "K1"}])
    unit = receiving.receive_unit(SYSTEM, "K1", parcel, at=at(date(2026, 11, 16)))
    assert unit.dispatch_due == date(2026, 11, 19)
    db.session.rollback()
