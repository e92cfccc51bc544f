"""The figures against the hand-computed data set in :mod:`tests.figures.data`."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.figures.data import seed


@pytest.fixture()
def data(app):
    with app.app_context():
        return seed()


def _report(period_key="2026-10", office=None, week=False):
    from core.directory.models import Office
    from core.extensions import db
    from figures import service
    from figures.periods import parse_month, parse_week

    period = parse_week(period_key) if week else parse_month(period_key)
    scope = service.Scope(None)
    if office:
        o = db.session.scalar(db.select(Office).where(Office.code == office))
        scope = service.Scope(o.id, o.code, o.name)
    return service.compute_report(period, scope)


def _rows(report, key):
    return {str(r[0]): r for r in report.table(key).rows}


def test_summary_month(app, data):
    with app.app_context():
        rep = _report()
        s = _rows(rep, "summary")
        assert s["Received"][1:3] == [2, 4]             # parcels P2, P3; units U3..U6 (U7 is November in Shanghai)
        assert s["Sent to the factory"][1:3] == [2, 4]  # U1, U2 (P1), U3, U4 (P2)
        assert s["Back from the factory"][2] == 3
        assert s["Returned to the dealer"][1:3] == [2, 3]
        # U1 late by one working day across the National Day holiday; U2, U3, U4 on time.
        assert s["Sent to the factory within 2 working days"][2:] == [3, 4, 75.0]
        # U2 shipped 10-16 against 10-15; U4 (Taiwan) is not measured.
        assert s["Returned within 7 working days of acceptance"][2:] == [2, 3, 66.7]
        t = rep.table("turnaround").rows[0]
        assert t == [3, 7.33, 8, 7, 8]


def test_breakdowns(app, data):
    with app.app_context():
        rep = _report()
        route = _rows(rep, "by_route")
        # route, name, received, dispatched, back, returned, d_ok, d_n, d_rate, s_ok, s_n, s_rate, avg, p90
        assert route["FAC"][2:] == [3, 3, 3, 3, 2, 3, 66.7, 2, 3, 66.7, 7.33, 8]
        assert route["TW"][2:] == [1, 1, 0, 0, 1, 1, 100.0, 0, 0, None, None, None]
        dealer = _rows(rep, "by_dealer")
        assert dealer["D1"][1] == "Dealer One"
        assert dealer["D1"][2:] == [2, 2, 2, 2, 1, 2, 50.0, 1, 2, 50.0, 7.5, 8]
        assert dealer["D2"][2:] == [2, 2, 1, 1, 2, 2, 100.0, 1, 1, 100.0, 7.0, 7]
        model = _rows(rep, "by_model")
        assert model["X1"][1:5] == [1, 2, 2, 2]
        assert model["Y2"][1:5] == [3, 2, 1, 1]
        fault = _rows(rep, "by_fault")
        assert fault["(not given)"][1:3] == [1, 1]   # U4
        assert fault["bad sector"][1:5] == [3, 1, 1, 1]   # U3, U5, U6 received
        assert fault["no power"][1:5] == [0, 2, 2, 2]


def test_week_report(app, data):
    with app.app_context():
        rep = _report("2026-W42", week=True)
        assert rep.period.start == date(2026, 10, 12) and rep.period.last_day == date(2026, 10, 18)
        s = _rows(rep, "summary")
        assert s["Received"][2] == 3
        assert s["Sent to the factory"][2] == 2
        assert s["Returned within 7 working days of acceptance"][2:] == [1, 2, 50.0]


def test_closure_moves_turnaround(app, data):
    """A company closure is a non-working day for the turnaround as well."""
    from core.calendar.service import add_closure, forget_closures
    from core.extensions import db

    with app.app_context():
        add_closure(date(2026, 10, 13), "stocktaking")
        db.session.commit()
        forget_closures()
        t = _report().table("turnaround").rows[0]
        assert t == [3, 6.33, 7, 6, 7]


def test_office_scope(app, data):
    with app.app_context():
        rep = _report(office="BJ")
        s = _rows(rep, "summary")
        assert s["Received"][1:3] == [1, 2]           # P3 / U5, U6
        assert s["Sent to the factory"][2] == 2      # U1, U2
        assert set(_rows(rep, "by_dealer")) == {"D1"}
        assert set(_rows(rep, "spare_stock")) == {"BJ"}
        freight = _rows(rep, "freight")
        assert freight["cs"][2:] == [1, Decimal("25.50"), 0]
        assert freight["sales"][2] == 0


def test_spares_counts_variance_freight(app, data):
    with app.app_context():
        rep = _report()
        spare = _rows(rep, "spare_stock")
        assert spare["BJ"][2:] == [9, Decimal("450.00"), 2, 1]
        assert spare["SH"][2:] == [0, Decimal("0.00"), 0, 0]
        counts = _rows(rep, "counts")
        assert counts["BJ"][2:] == [5, 3, 2, 60.0]   # weeks of 09-28 and 10-12, and the monthly count
        assert counts["SH"][2:] == [5, 0, 5, 0.0]
        variance = _rows(rep, "variance")
        assert variance["BJ"][2:] == [1, Decimal("100.00"), Decimal("0.00"), Decimal("100.00"), Decimal("0.00")]
        assert variance["factory_shipping"][2:] == [1, Decimal("20.00"), Decimal("5.00"), Decimal("25.00"),
                                                    Decimal("0.00")]
        assert variance["SH"][2] == 0
        freight = _rows(rep, "freight")
        assert freight["cs"][2:] == [3, Decimal("55.50"), 1]
        assert freight["sales"][2:] == [1, Decimal("40.00"), 0]
        assert freight["Total"][2:] == [4, Decimal("95.50"), 1]


def test_doa_figures(app, data):
    """Counts, lead times and outcomes, including a refund (A1) and a late replacement (A2)."""
    with app.app_context():
        rep = _report()
        doa = _rows(rep, "doa")
        assert doa["Applied"][1] == 2
        assert doa["… asking for a refund"][1] == 1
        assert doa["… asking for a replacement"][1] == 1
        assert doa["Approved within 1 working day"][1:] == [1, 2, 50.0]
        assert doa["Refused at approval"][1] == 1
        assert doa["Units received (applications)"][1] == 2
        assert doa["Replacement shipped within 7 working days"][1:] == [0, 1, 0.0]
        assert doa["Refunds credited"][1] == 1
        leads = _rows(rep, "doa_lead_times")
        assert leads["Application to approval"][1:] == [2, 1.5, 2]
        assert leads["Receipt to replacement shipped"][1:] == [1, 9.0, 9]
        assert leads["Receipt to refund credited"][1:] == [1, 3.0, 3]
        outcomes = {r[1]: r[2] for r in rep.table("doa_outcomes").rows}
        assert outcomes == {"replacement_shipped": 1, "refunded": 1, "refused": 1, "rejected": 0,
                            "refund_refused": 0, "cancelled": 0}
        bj = _rows(_report(office="BJ"), "doa")
        assert bj["Approved within 1 working day"][1:] == [1, 1, 100.0]
        assert bj["Replacement shipped within 7 working days"][1:] == [0, 0, None]
        assert bj["Refunds credited"][1] == 1


def test_charts(app, data):
    from figures import service
    from figures.periods import parse_month

    with app.app_context():
        period = parse_month("2026-10")
        everyone = service.Scope(None)
        weekly = service.compute_chart("ontime_by_week", period, everyone)
        assert weekly.labels[-1] == "2026-W44" and len(weekly.labels) == 12
        by_week = dict(zip(weekly.labels, zip(weekly.series[0]["data"], weekly.series[1]["data"])))
        assert by_week["2026-W41"] == (50.0, None)
        assert by_week["2026-W42"] == (100.0, 50.0)
        assert by_week["2026-W43"] == (None, 100.0)
        backlog = service.compute_chart("backlog_by_age", period, everyone, today=date(2026, 11, 2))
        assert backlog.series[0]["data"] == [2, 0, 0, 1, 0]   # U6, U7 fresh; U5 14 working days
        assert backlog.series[1]["data"] == [0, 0, 0, 1, 0]   # U4 at the factory, 15 working days
        variance = service.compute_chart("variance_by_office", period, everyone)
        assert variance.labels == ["BJ", "SH", "factory_shipping"]
        assert variance.series[0]["data"] == [Decimal("100.00"), Decimal("0.00"), Decimal("20.00")]
        freight = service.compute_chart("freight_by_month", period, everyone)
        assert freight.labels[-1] == "2026-10" and freight.labels[0] == "2025-11"
        assert freight.series[0]["data"][-1] == Decimal("55.50")
        assert freight.series[1]["data"][-1] == Decimal("40.00")
        table = freight.as_table()
        assert table.rows[-1][0] == "2026-10"


def test_percentile_and_ordinals():
    from figures.service import percentile_nearest_rank

    assert percentile_nearest_rank({}) is None
    assert percentile_nearest_rank({5: 1}) == 5
    assert percentile_nearest_rank({1: 9, 10: 1}) == 1     # 9 of 10 within 1
    assert percentile_nearest_rank({1: 8, 10: 2}) == 10
    assert percentile_nearest_rank({7: 2, 8: 1}) == 8


def test_working_ordinals_match_calendar(app):
    from core.calendar import working_days_between
    from figures.periods import daynum
    from figures.service import working_ordinals

    with app.app_context():
        ords = dict(working_ordinals(date(2026, 9, 20), date(2026, 10, 31)))
        for a, b in ((date(2026, 9, 30), date(2026, 10, 10)), (date(2026, 9, 20), date(2026, 10, 31)),
                     (date(2026, 10, 3), date(2026, 10, 8))):
            assert ords[daynum(b)] - ords[daynum(a)] == working_days_between(a, b)
