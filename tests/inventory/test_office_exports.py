"""An office's stock detail and ledger (流水账) as it sends them to HQ, and the movements list's date filter."""
from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

# 2026-03-01 00:30 in Shanghai is 2026-02-28 16:30 UTC: a day boundary the filter must respect.
BEFORE = datetime(2026, 2, 10, 2, 0, tzinfo=timezone.utc)
EARLY_MARCH = datetime(2026, 2, 28, 16, 30, tzinfo=timezone.utc)
MID_MARCH = datetime(2026, 3, 15, 4, 0, tzinfo=timezone.utc)
LATE_FEB = datetime(2026, 2, 28, 15, 30, tzinfo=timezone.utc)  # 23:30 on 28 Feb in Shanghai
APRIL = datetime(2026, 4, 2, 4, 0, tzinfo=timezone.utc)


@pytest.fixture()
def office_stock(app, stock):
    """BJ gets stock over February to April; one serial looks like a formula."""
    from core.accounts.service import get_user
    from core.extensions import db
    from inventory import service
    from inventory.models import DEALER, FINISHED_GOODS, HQ_STORE

    with app.app_context():
        boss = get_user("boss")
        usb, ssd = service.get_part(stock.usb), service.get_part(stock.ssd)
        hq, fg = service.system_location(HQ_STORE), service.system_location(FINISHED_GOODS)
        dealer = service.system_location(DEALER)
        bj, sh = service.get_location(stock.bj_loc), service.get_location(stock.sh_loc)
        bin_ = service.create_bin(boss, parent=bj, code="BJ-BIN1", name="BJ shelf 1")
        post = service.post_movement
        post(actor=boss, part=usb, from_location=hq, to_location=bj, quantity=10, reason="office_issue", at=BEFORE)
        post(actor=boss, part=usb, from_location=hq, to_location=bj, quantity=4, reason="office_issue", at=LATE_FEB)
        post(actor=boss, part=usb, from_location=bj, to_location=dealer, quantity=3, reason="swap_out",
             at=EARLY_MARCH)
        post(actor=boss, part=usb, from_location=bj, to_location=bin_, quantity=2, reason="shelved", at=MID_MARCH)
        post(actor=boss, part=usb, from_location=hq, to_location=sh, quantity=7, reason="office_issue", at=MID_MARCH)
        post(actor=boss, part=ssd, from_location=fg, to_location=hq, serial="=1+2", reason="receipt", at=BEFORE)
        post(actor=boss, part=ssd, from_location=hq, to_location=bj, serial="=1+2", reason="office_issue",
             at=MID_MARCH, note="@SUM(A1)")
        post(actor=boss, part=ssd, from_location=fg, to_location=hq, serial="S9", reason="receipt", at=BEFORE)
        post(actor=boss, part=ssd, from_location=hq, to_location=bj, serial="S9", reason="office_issue",
             at=MID_MARCH)
        post(actor=boss, part=usb, from_location=bj, to_location=hq, quantity=1, reason="year_end_return",
             at=APRIL)
        db.session.commit()
    return stock


def _csv_blocks(body: bytes) -> list[list[list[str]]]:
    text = body.decode("utf-8-sig")
    blocks, current = [], []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            blocks.append(current)
            current = []
        else:
            current.append(row)
    blocks.append(current)
    return blocks


def _book(body: bytes):
    return openpyxl.load_workbook(io.BytesIO(body))


def test_ledger_for_march_reads_back_in_xlsx_and_csv(office_stock, login):
    c = login("office", username="bj-office", office_id=office_stock.bj)
    resp = c.get("/inventory/offices/ledger.xlsx?from=2026-03-01&to=2026-03-31")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert 'filename="ledger-BJ-20260301-20260331.xlsx"' in resp.headers["Content-Disposition"]
    book = _book(resp.data)
    summary, moves = book.worksheets
    rows = [[cell.value for cell in row] for row in summary.iter_rows()]
    assert rows[0][:3] == ["Movement ledger", "BJ office", "BJ"]
    assert rows[2] == ["SKU", "Model", "Opening balance", "Quantity in", "Quantity out", "Closing balance"]
    lines = {r[0]: r[1:] for r in rows[3:]}
    # USB: 10 + 4 before March (23:30 on 28 Feb in Shanghai is still February); 3 out on 1 March;
    # the move into BJ's own bin is neither in nor out; April's return is after the period.
    assert lines["USB-64"] == ["USB 64GB", 14, 0, 3, 11]
    assert lines["SSD-1T"] == ["SSD 1TB", 0, 2, 0, 2]
    for _model, opening, received, issued, closing in lines.values():
        assert opening + received - issued == closing
    move_rows = [[cell.value for cell in row] for row in moves.iter_rows()]
    assert move_rows[0][:8] == ["When", "SKU", "Model", "Serial", "From", "To", "Quantity in", "Quantity out"]
    body = move_rows[1:]
    assert len(body) == 4  # the swap out, the shelving, two serialized units; not SH's, not February's
    assert body[0][0] == datetime(2026, 3, 1, 0, 30)  # Shanghai wall-clock time
    assert body[0][1] == "USB-64" and body[0][6:8] == [0, 3] and body[0][8] == "Swapped out to a customer"
    formula_row = next(r for r in body if r[3] == "=1+2")
    assert formula_row[6:8] == [1, 0] and formula_row[11] == "@SUM(A1)"
    # Text cells, never formulas.
    for row in moves.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"

    resp = c.get("/inventory/offices/ledger.csv?from=2026-03-01&to=2026-03-31")
    assert resp.status_code == 200
    summary_csv, moves_csv = _csv_blocks(resp.data)
    assert summary_csv[2] == ["SKU", "Model", "Opening balance", "Quantity in", "Quantity out", "Closing balance"]
    assert ["USB-64", "USB 64GB", "14", "0", "3", "11"] in summary_csv
    assert moves_csv[1][0] == "2026-03-01 00:30:00"
    assert any(r[3] == "'=1+2" and r[11] == "'@SUM(A1)" for r in moves_csv[1:])


def test_ledger_closing_matches_current_stock_and_headers_follow_language(office_stock, login, app):
    from inventory import service

    c = login("office", username="bj-office", office_id=office_stock.bj)
    resp = c.get("/inventory/offices/ledger.xlsx?from=2026-01-01&to=2199-12-30")
    summary = _book(resp.data).worksheets[0]
    lines = {r[0]: r for r in summary.iter_rows(min_row=4, values_only=True)}
    with app.app_context():
        usb_now = service.balance_of(office_stock.bj_loc, office_stock.usb) + service.balance_of(
            service.location_by_code("BJ-BIN1").id, office_stock.usb)
    assert lines["USB-64"][2:] == (0, 14, 4, usb_now) and usb_now == 10

    zh = login("office", username="bj-zh", office_id=office_stock.bj)
    resp = zh.get("/inventory/offices/ledger.csv?from=2026-03-01&to=2026-03-31",
                  headers={"Accept-Language": "zh-CN"})
    summary_csv = _csv_blocks(resp.data)[0]
    assert summary_csv[2] == ["料号", "型号", "期初结存", "入库", "出库", "期末结存"]


def test_stock_detail_lists_serials_and_quantities(office_stock, login, api_as):
    c = login("office", username="bj-office", office_id=office_stock.bj)
    resp = c.get("/inventory/offices/stock.xlsx")
    assert resp.status_code == 200
    ws = _book(resp.data).worksheets[0]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True)]
    assert ("BJ-BIN1", "BJ shelf 1", "USB-64", "USB 64GB", 2, None) in rows
    loc = [r for r in rows if r[0] != "BJ-BIN1"]
    assert {(r[2], r[4], r[5]) for r in loc} == {("USB-64", 8, None), ("SSD-1T", 1, "=1+2"), ("SSD-1T", 1, "S9")}
    assert all(cell.data_type != "f" for row in ws.iter_rows(min_row=4) for cell in row)

    api = api_as("clerk", username="api-clerk")
    resp = api.get(f"/api/v1/inventory/offices/stock.csv?office_id={office_stock.bj}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    rows = _csv_blocks(resp.data)[0]
    assert rows[2] == ["Location", "Location name", "SKU", "Model", "Quantity", "Serial"]
    assert [r[2:] for r in rows[3:] if r[0] != "BJ-BIN1"] == [
        ["SSD-1T", "SSD 1TB", "1", "'=1+2"], ["SSD-1T", "SSD 1TB", "1", "S9"], ["USB-64", "USB 64GB", "8", ""]]


@pytest.mark.parametrize("path", ["offices/stock.csv", "offices/ledger.xlsx"])
def test_office_user_cannot_export_another_office(office_stock, login, api_as, path):
    page = login("office", username="bj-office", office_id=office_stock.bj)
    assert page.get(f"/inventory/{path}?office_id={office_stock.sh}").status_code == 403
    assert page.get(f"/inventory/{path}?office_id={office_stock.bj}").status_code == 200
    api = api_as("office", username="api-bj", office_id=office_stock.bj)
    resp = api.get(f"/api/v1/inventory/{path}?office_id={office_stock.sh}")
    assert resp.status_code == 403 and resp.is_json
    assert api.get(f"/api/v1/inventory/{path}").status_code == 200
    approver = login("finance", username="fin")
    assert approver.get(f"/inventory/{path}?office_id={office_stock.bj}").status_code == 403


def test_export_inputs_refused_clearly(office_stock, login, api_as):
    hq = login("clerk", username="hq-clerk")
    assert hq.get("/inventory/offices/stock.csv").status_code == 422  # HQ must choose an office
    assert hq.get("/inventory/offices/stock.csv?office_id=999999").status_code == 404
    assert hq.get(f"/inventory/offices/stock.pdf?office_id={office_stock.bj}").status_code in (404, 405)
    api = api_as("clerk", username="api-clerk")
    bj = f"office_id={office_stock.bj}"
    for query in [f"{bj}&from=2026-03-31&to=2026-03-01", f"{bj}&from=0001-01-01", f"{bj}&to=9999-12-31",
                  f"{bj}&from=2026-02-30", f"{bj}&from=yesterday", "office_id=x"]:
        resp = api.get(f"/api/v1/inventory/offices/ledger.csv?{query}")
        assert resp.status_code == 422 and resp.is_json, (query, resp.status_code)
        page = hq.get(f"/inventory/offices/ledger.csv?{query}")
        assert page.status_code == 422, (query, page.status_code)


def test_movements_date_filter_page_and_api(office_stock, login, api_as):
    api = api_as("office", username="api-bj", office_id=office_stock.bj)
    resp = api.get("/api/v1/inventory/movements?from=2026-03-01&to=2026-03-31&per_page=200")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    items = resp.get_json()["items"]
    assert len(items) == 4 and all(i["sku"] in ("USB-64", "SSD-1T") for i in items)
    resp = api.get("/api/v1/inventory/movements?to=2026-02-28&per_page=200")
    assert {i["quantity"] for i in resp.get_json()["items"]} == {10, 4}
    resp = api.get("/api/v1/inventory/movements?from=2026-04-01")
    assert [i["quantity"] for i in resp.get_json()["items"]] == [1]
    assert api.get("/api/v1/inventory/movements?from=2026-04-02&to=2026-04-01").status_code == 422
    assert api.get("/api/v1/inventory/movements?from=1066-10-14").status_code == 422

    page = login("office", username="bj-office", office_id=office_stock.bj)
    html = page.get("/inventory/movements?from=2026-03-01&to=2026-03-01").get_data(as_text=True)
    assert html.count("<tr><td>") == 1  # only the swap out at 00:30 on 1 March
    assert page.get("/inventory/movements?from=2026-13-01").status_code == 422
    assert page.get("/inventory/movements?from=2026-03-02&to=2026-03-01").status_code == 422


# --- the ledger's arithmetic over random histories ------------------------------------------

_examples = itertools.count(1)
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
# (from, to) by place: 0 HQ store, 1 the office, 2 the office's bin, 3 a dealer.
ROUTES = [(0, 1), (1, 3), (1, 2), (2, 1), (2, 3), (1, 0), (3, 1)]

# Hours after BASE, crowded around Shanghai's midnights (16:00 UTC) where a day boundary is easy to get wrong.
hours = st.builds(lambda day, hour: day * 24 + hour, st.integers(0, 9), st.sampled_from([0, 7, 8, 15, 16, 17, 23]))
moves = st.lists(st.tuples(st.sampled_from(ROUTES), st.integers(1, 5), hours), min_size=1, max_size=20)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=moves, split=st.integers(0, 9))
def test_ledger_periods_chain_and_match_the_movements(app, history, split):
    from core.accounts.models import User
    from core.accounts.service import create_user
    from core.directory.models import Office
    from core.errors import DomainError
    from core.extensions import db
    from inventory import office_reports, service
    from inventory.models import BIN, DEALER, HQ_STORE, Location, Part

    n = next(_examples)
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "ledger-boss"))
        if boss is None:
            boss = create_user("ledger-boss", "ledger-boss-pass", ["supervisor", "clerk"])
        office = Office(code=f"L{n}", name=f"Ledger office {n}", region="")
        part = Part(sku=f"LEDGER-{n}", model="M")
        db.session.add_all([office, part])
        db.session.flush()
        main = service.office_location(office.id)
        bin_ = Location(code=f"L{n}-BIN", name="bin", kind=BIN, parent_id=main.id, office_id=office.id)
        db.session.add(bin_)
        db.session.flush()
        places = [service.system_location(HQ_STORE), main, bin_, service.system_location(DEALER)]
        service.post_movement(actor=boss, part=part, from_location=service.system_location(DEALER),
                              to_location=places[0], quantity=100, reason="receipt", at=BASE)
        posted = []  # (hour, into the office, out of it)
        for (frm, to), qty, hour in sorted(history, key=lambda h: h[2]):
            try:
                with db.session.begin_nested():
                    service.post_movement(actor=boss, part=part, from_location=places[frm], to_location=places[to],
                                          quantity=qty, reason="t", at=BASE + timedelta(hours=hour))
            except DomainError:
                continue  # would take a location below zero: not part of the history
            mine = {1, 2}
            posted.append((hour, qty if to in mine and frm not in mine else 0,
                           qty if frm in mine and to not in mine else 0))
        db.session.commit()

        first_day = date(2026, 1, 1)
        cut = first_day + timedelta(days=split)
        early = office_reports.ledger_summary(office, office_reports.DayRange(first_day, cut))
        late = office_reports.ledger_summary(office, office_reports.DayRange(cut + timedelta(days=1),
                                                                             date(2026, 6, 30)))

        def line(summary):
            found = [s for s in summary if s.part.id == part.id]
            return (found[0].opening, found[0].received, found[0].issued, found[0].closing) if found else (0, 0, 0, 0)

        # A day is a Shanghai day: the cut falls at 16:00 UTC.
        cut_hour = (split + 1) * 24 - 8
        expected_in = sum(i for h, i, _o in posted if h < cut_hour), sum(i for h, i, _o in posted if h >= cut_hour)
        expected_out = sum(o for h, _i, o in posted if h < cut_hour), sum(o for h, _i, o in posted if h >= cut_hour)
        e, l_ = line(early), line(late)
        # BASE is 08:00 on 1 January in Shanghai: nothing is before the first day.
        assert e[0] == 0
        assert (e[1], l_[1]) == expected_in and (e[2], l_[2]) == expected_out
        assert e[3] == e[0] + e[1] - e[2] and l_[3] == l_[0] + l_[1] - l_[2]
        assert l_[0] == e[3]  # one period's closing is the next one's opening
        assert l_[3] == service.balance_of(main.id, part.id) + service.balance_of(bin_.id, part.id)


def test_stock_and_movements_pages_offer_the_exports(office_stock, login):
    office = login("office", username="bj-office", office_id=office_stock.bj)
    for path in ("/inventory/", "/inventory/movements"):
        html = office.get(path).get_data(as_text=True)
        assert "/inventory/offices/ledger.xlsx" in html and 'name="office_id"' not in html
    hq = login("clerk", username="hq-clerk")
    html = hq.get("/inventory/").get_data(as_text=True)
    assert "/inventory/offices/stock.csv" in html and f'<option value="{office_stock.sh}">' in html
