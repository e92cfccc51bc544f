"""The factory reports each shipment by the next working day (DOMAIN.md D.4)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from core.authz import SYSTEM
from core.calendar import SHANGHAI


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _factory_shipment(user, world, serial, *, shipped: date, reported: datetime, waybill: str):
    from shipments.service import create_shipment, mark_shipped

    clerk = user("clerk")
    s = create_shipment(clerk, leg="factory_dealer", dealer_id=world.dealer_bj,
                        lines=[{"kind": "unit", "serial": serial, "model": "M"}])
    return mark_shipped(clerk, s, waybill=waybill, carrier="顺丰", shipped_at=shipped, reported_at=reported)


def test_deadline_skips_the_national_day_holiday(app, world, user):
    from shipments.service import report_due_for

    with app.app_context():
        assert report_due_for(date(2026, 9, 30)) == date(2026, 10, 8)
        # Friday 2026-10-09 -> make-up working Saturday 2026-10-10.
        assert report_due_for(date(2026, 10, 9)) == date(2026, 10, 10)


def test_reports_after_the_next_working_day_are_late(app, world, user):
    from core.extensions import db
    from shipments.late_reports import late_reports

    with app.app_context():
        on_time = _factory_shipment(user, world, "L-1", shipped=date(2026, 9, 30), reported=_at(date(2026, 10, 8), 23),
                                    waybill="SF-ON-TIME")
        late = _factory_shipment(user, world, "L-2", shipped=date(2026, 9, 30), reported=_at(date(2026, 10, 9), 1),
                                 waybill="SF-LATE")
        # HQ's own legs have no reporting rule.
        from shipments.service import create_shipment, mark_shipped

        hq = create_shipment(user("clerk"), leg="hq_factory", lines=[{"kind": "unit", "serial": "L-3"}])
        mark_shipped(user("clerk"), hq, waybill="SF-HQ", carrier="x", shipped_at=date(2026, 9, 30),
                     reported_at=_at(date(2026, 10, 20)))
        db.session.commit()
        assert on_time.report_due == date(2026, 10, 8) and late.report_due == date(2026, 10, 8)
        reports = late_reports(SYSTEM, today=date(2026, 11, 1))
        assert [(r.shipment.number, r.reported_on, r.days_late()) for r in reports] == [
            (late.number, date(2026, 10, 9), 1)]


def test_factory_shipments_never_reported_are_listed_once_the_deadline_passes(app, world, user):
    from core.extensions import db
    from shipments.late_reports import late_reports
    from shipments.service import create_shipment

    with app.app_context():
        s = create_shipment(user("clerk"), leg="fg_dealer", dealer_id=world.dealer_bj, paying_account="sales",
                            lines=[{"kind": "unit", "serial": "P-1", "model": "M"}])
        s.created_at = _at(date(2026, 9, 30)).astimezone(timezone.utc)
        db.session.commit()
        assert late_reports(SYSTEM, today=date(2026, 10, 8)) == []
        [report] = late_reports(SYSTEM, today=date(2026, 10, 9))
        assert report.pending and report.due == date(2026, 10, 8) and report.days_late(date(2026, 10, 9)) == 1
        assert late_reports(SYSTEM, today=date(2026, 10, 9), include_pending=False) == []


def test_late_reports_page_and_api_are_scoped_and_role_checked(app, world, user, login, api_as):
    from core.extensions import db

    with app.app_context():
        late = _factory_shipment(user, world, "L-9", shipped=date(2026, 9, 30), reported=_at(date(2026, 10, 12)),
                                 waybill="SF-LATE-9")
        db.session.commit()
        number = late.number
    page = login("supervisor").get("/shipments/late-reports")
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    data = api_as("clerk").get("/api/v1/shipments/late-reports").get_json()
    assert [r["shipment"]["number"] for r in data] == [number]
    assert data[0]["due"] == "2026-10-08" and data[0]["reported_on"] == "2026-10-12" and data[0]["days_late"] == 4
    assert api_as("office", office_id=world.bj).get("/api/v1/shipments/late-reports").status_code == 403
    assert api_as("channel").get("/api/v1/shipments/late-reports").status_code == 403


def test_the_chase_reads_unreported_shipments_by_the_same_deadline_day_by_day(app, world, user):
    """The chase pages shipments by a bound on their packing time; for every packing day and every
    day after it across the National Day holiday, it chases exactly the shipments the rule calls late."""
    from datetime import timedelta

    from core import chase
    from core.extensions import db
    from shipments.late_reports import late_reports
    from shipments.service import create_shipment

    with app.app_context():
        packed_days = [date(2026, 9, 28) + timedelta(days=i) for i in range(16)]  # Mon 28 Sep .. Tue 13 Oct
        for i, day in enumerate(packed_days):
            for hour in (0, 23):  # the first and the last hour of the packing day, Beijing time
                s = create_shipment(user("clerk"), leg="fg_dealer", dealer_id=world.dealer_bj, paying_account="sales",
                                    lines=[{"kind": "unit", "serial": f"C-{i}-{hour}", "model": "M"}])
                s.created_at = _at(day, hour).astimezone(timezone.utc)
        db.session.commit()
        for today in [date(2026, 9, 28) + timedelta(days=i) for i in range(20)]:
            expected = [r.shipment.number for r in late_reports(SYSTEM, today=today) if r.pending]
            [section] = chase.sections(today, SYSTEM, kinds=["factory_report"])
            assert sorted(item.reference for item in section.items) == sorted(expected), today
            first = chase.first_pages(today, SYSTEM, kinds=["factory_report"], per_page=3)[0]
            assert first.total == len(expected)
            assert [item.due for item in first.items] == sorted(item.due for item in section.items)[:3]
