"""The figures over records written by the repairs services themselves (not hand-made rows)."""
from __future__ import annotations

from datetime import date, datetime, time

from core.calendar import SHANGHAI


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


def test_unit_late_across_the_holiday_through_the_services(app, make_user):
    from core.accounts.service import get_user
    from core.directory.models import Dealer, Factory, Office, RepairRoute
    from core.extensions import db
    from figures import service as figures
    from figures.periods import parse_month
    from repairs import factory as factory_legs
    from repairs import inspection, intake, receiving

    make_user("clerk1", "clerk", "service")
    with app.app_context():
        office = Office(code="BJ", name="Beijing")
        db.session.add(office)
        db.session.flush()
        factory = Factory(code="FAC", name="Factory")
        db.session.add(factory)
        db.session.flush()
        db.session.add(RepairRoute(code="FAC", name="Factory repair", factory_id=factory.id, promise_days=7,
                                   dispatch_days=2))
        dealer = Dealer(code="D1", name="Dealer One", office_id=office.id)
        db.session.add(dealer)
        db.session.commit()
        actor = get_user("clerk1")
        parcel = intake.create_parcel(actor, dealer_id=dealer.id, lines=[
            {"serial": "SN-LATE", "model": "X1", "fault": "no power"},
            {"serial": "SN-OK", "model": "X1", "fault": "no power"},
        ], at=at(date(2026, 9, 29)))
        late = receiving.receive_unit(actor, "SN-LATE", parcel, at=at(date(2026, 9, 30)))
        ok = receiving.receive_unit(actor, "SN-OK", parcel, at=at(date(2026, 9, 30)))
        assert late.dispatch_due == date(2026, 10, 9)  # two working days after the National Day holiday
        inspection.inspect_unit(actor, late, at=at(date(2026, 9, 30), 11))
        inspection.inspect_unit(actor, ok, at=at(date(2026, 9, 30), 11))
        factory_legs.dispatch_to_factory(actor, [ok], at=at(date(2026, 10, 9), 16))
        factory_legs.dispatch_to_factory(actor, [late], at=at(date(2026, 10, 10), 9))  # the make-up Saturday
        for unit in (late, ok):
            factory_legs.receive_from_factory(actor, unit, "repaired", at=at(date(2026, 10, 14)))
        factory_legs.ship_to_dealer(actor, [late, ok], at=at(date(2026, 10, 15), 16))
        db.session.commit()

        report = figures.compute_report(parse_month("2026-10"), figures.Scope(None))
        rows = {str(r[0]): r for r in report.table("summary").rows}
        assert rows["Sent to the factory within 2 working days"][2:] == [1, 2, 50.0]
        assert rows["Returned within 7 working days of acceptance"][2:] == [2, 2, 100.0]
        assert report.table("turnaround").rows[0][:3] == [2, 7.0, 7]
        freight = {r[0]: r for r in report.table("freight").rows}
        assert freight["cs"][2] == 0  # the legs are packed, not shipped: no freight spent yet
