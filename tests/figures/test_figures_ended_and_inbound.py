"""Counts on time judge only periods that have ended; inbound DOA freight is in every freight figure."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.figures.data import seed, sh


@pytest.fixture()
def data(app):
    with app.app_context():
        return seed()


def _rows(report, key):
    return {str(r[0]): r for r in report.table(key).rows}


def _inbound_doa_freight(app):
    """A dealer's DOA parcel received at HQ on 10-20: dealer -> HQ, sales account, 15.00, never marked shipped."""
    from core.extensions import db
    from shipments.models import Shipment

    with app.app_context():
        db.session.add(Shipment(number="S-DOA-IN", leg="dealer_hq", paying_account="sales", status="received",
                                freight_cost=Decimal("15.00"), created_at=sh(2026, 10, 20, 10),
                                received_at=sh(2026, 10, 20, 10)))
        # Packed but never shipped and without a cost: no freight yet, not in the figures.
        db.session.add(Shipment(number="S-PACKED", leg="hq_factory", paying_account="cs", status="packed",
                                created_at=sh(2026, 10, 21, 10)))
        db.session.commit()


def test_counts_before_a_week_or_month_has_ended_are_not_missing(app, data):
    from figures import service
    from figures.periods import parse_month, parse_week

    with app.app_context():
        october = parse_month("2026-10")
        # Wednesday 10-21: the weeks ending 10-04, 10-11 and 10-18 have ended; the month has not.
        counts = _rows(service.compute_report(october, service.Scope(None), today=date(2026, 10, 21)), "counts")
        assert counts["BJ"][2:] == [3, 2, 1, pytest.approx(66.7)]
        assert counts["SH"][2:] == [3, 0, 3, 0.0]
        # Sunday 10-25 itself: that week is still running.
        counts = _rows(service.compute_report(october, service.Scope(None), today=date(2026, 10, 25)), "counts")
        assert counts["BJ"][2] == 3
        # After the month: four weeks and the monthly count, as before.
        counts = _rows(service.compute_report(october, service.Scope(None), today=date(2026, 11, 2)), "counts")
        assert counts["BJ"][2:] == [5, 3, 2, 60.0]
        # A future month and the current week: nothing is due yet, so nothing is missing.
        counts = _rows(service.compute_report(parse_month("2026-12"), service.Scope(None),
                                              today=date(2026, 11, 30)), "counts")
        assert counts["BJ"][2:] == [0, 0, 0, None]
        week = parse_week("2026-10-21")
        counts = _rows(service.compute_report(week, service.Scope(None), today=date(2026, 10, 21)), "counts")
        assert counts["BJ"][2:5] == [0, 0, 0]


def test_future_month_on_the_page_and_api_has_no_missing_counts(app, data, login, api_as):
    from core.calendar import local_today

    future = local_today().replace(day=1) + timedelta(days=62)
    key = future.strftime("%Y-%m")
    body = api_as("supervisor").get(f"/api/v1/figures/report?month={key}").get_json()
    counts = next(t for t in body["tables"] if t["key"] == "counts")
    assert all(row[2] == 0 and row[4] == 0 for row in counts["rows"])
    text = login("supervisor").get(f"/figures/report/counts.csv?month={key}").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows and all(r[2] == "0" and r[4] == "0" for r in rows)


def test_inbound_doa_freight_is_in_the_freight_figures_everywhere(app, data, login):
    from figures import service
    from figures.periods import parse_month

    _inbound_doa_freight(app)
    with app.app_context():
        october = parse_month("2026-10")
        freight = _rows(service.compute_report(october, service.Scope(None)), "freight")
        assert freight["sales"][2:] == [2, Decimal("55.00"), 0]
        assert freight["cs"][2:] == [3, Decimal("55.50"), 1]    # the packed parcel without a cost is not counted
        assert freight["Total"][2:] == [5, Decimal("110.50"), 1]
        chart = service.compute_chart("freight_by_month", october, service.Scope(None))
        assert chart.series[1]["key"] == "sales" and chart.series[1]["data"][-1] == Decimal("55.00")
    c = login("supervisor")
    text = c.get("/figures/report/freight.csv?month=2026-10").get_data().decode("utf-8-sig")
    sales = next(r for r in csv.reader(io.StringIO(text)) if r and r[0] == "sales")
    assert sales[2:4] == ["2", "55.00"]
    book = load_workbook(io.BytesIO(c.get("/figures/report.xlsx?month=2026-10").data))
    sheet = list(book["freight"].iter_rows(values_only=True))
    assert any(r[0] == "sales" and r[3] == 55 for r in sheet)
    from tests.figures.test_web import _pdf_text

    assert "55.00" in _pdf_text(c.get("/figures/report.pdf?month=2026-10").data)
    chart_csv = c.get("/figures/charts/freight_by_month?month=2026-10&format=csv").get_data().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(chart_csv)))[-1][2] == "55.00"
    dashboard = c.get("/figures/charts/freight_by_month.json?month=2026-10").get_json()
    assert dashboard["series"][1]["data"][-1] == 55.0


def test_a_withdrawn_count_was_not_submitted(app, data):
    """An office that took its count back has not counted that week; a superseded count is judged by the
    count that replaced it, in that count's own week."""
    from core.extensions import db
    from figures import service
    from figures.periods import parse_month
    from inventory.models import Location, StockCount

    with app.app_context():
        sh_loc = db.session.query(Location).filter_by(code="OFF-SH").one()
        for number, status in (("CNT-W", "withdrawn"), ("CNT-S", "superseded")):
            db.session.add(StockCount(number=number, location_id=sh_loc.id, kind="weekly",
                                      counted_at=sh(2026, 10, 7 if status == "withdrawn" else 14, 17),
                                      created_at=sh(2026, 10, 7 if status == "withdrawn" else 14, 17), status=status))
        db.session.commit()
        counts = _rows(service.compute_report(parse_month("2026-10"), service.Scope(None),
                                              today=date(2026, 11, 2)), "counts")
        # Neither count covers its week.
        assert counts["SH"][2:4] == [5, 0]
