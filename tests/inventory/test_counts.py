"""Counts reconciled against the ledger as of their time; serial findings; acceptance; recounts; uploads."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from core.authz import SYSTEM
from core.errors import Conflict, Forbidden, ValidationFailed
from core.extensions import db
from core.types import utcnow
from inventory import counts, service
from inventory.models import Movement, Part, StockCount


def _move(stock, sku_id, frm, to, qty=1, serial=None, at=None):
    part = db.session.get(Part, sku_id)
    return service.post_movement(actor=SYSTEM, part=part, from_location=service.get_location(frm),
                                 to_location=service.get_location(to), quantity=qty, serial=serial, reason="t", at=at)


def _submit(user, loc_id, quantities=(), serials=(), kind="weekly", at=None, full=True, recount_of=None):
    data = counts.CountInput(quantities=[(n, s, q) for n, (s, q) in enumerate(quantities, 1)],
                             serials=[(n, sku, s) for n, (sku, s) in enumerate(serials, 1)])
    return counts.submit_count(user, location=service.get_location(loc_id), kind=kind, data=data, counted_at=at,
                               full=full, recount_of=recount_of)


def test_movements_after_the_count_do_not_distort_it(ctx, stock, user):
    t0 = utcnow() - timedelta(hours=3)
    _move(stock, stock.usb, stock.hq, stock.bj_loc, 20, at=t0)
    db.session.commit()
    count_time = utcnow() - timedelta(hours=2)
    # After the count: 5 more arrive and 3 go out to dealers.
    _move(stock, stock.usb, stock.hq, stock.bj_loc, 5, at=utcnow() - timedelta(hours=1))
    _move(stock, stock.usb, stock.bj_loc, service.system_location("dealer").id, 3)
    db.session.commit()
    assert service.balance_of(stock.bj_loc, stock.usb) == 22
    cnt = _submit(user("bj-user"), stock.bj_loc, [("USB-64", 19)], at=count_time)
    db.session.commit()
    rec = counts.reconcile(cnt)
    [line] = rec.lines
    assert (line.counted, line.ledger, line.variance) == (19, 20, -1)
    assert line.value == Decimal("-30.00")
    # Accepting posts the variance now, to count loss, and charges the office.
    counts.accept_count(user("boss"), cnt)
    db.session.commit()
    assert service.balance_of(stock.bj_loc, stock.usb) == 21
    assert cnt.status == "accepted" and cnt.liable_party == "office" and cnt.liable_office_id == stock.bj
    assert cnt.shortfall_value == Decimal("30.00")
    adj = db.session.query(Movement).filter_by(ref_type="count", ref_id=cnt.id).one()
    assert adj.to_location.code == "COUNT-LOSS" and adj.quantity == 1
    assert cnt.lines[0].ledger_qty == 20


def test_full_count_includes_uncounted_parts_as_zero(ctx, stock, user):
    cnt = _submit(user("clerk1"), stock.hq, [("MX-CDR", 0)], kind="spot")
    rec = counts.reconcile(cnt)
    by_sku = {line.sku: line for line in rec.lines}
    assert by_sku["USB-64"].variance == -100 and by_sku["SSD-1T"].variance == -5


def test_serial_movement_cannot_be_dated_before_the_units_last_one(ctx, stock):
    with pytest.raises(ValidationFailed) as err:
        _move(stock, stock.ssd, stock.hq, stock.bj_loc, serial="S0", at=utcnow() - timedelta(days=1))
    assert "at" in err.value.errors


def test_partial_count_covers_only_listed_parts(ctx, stock, user):
    cnt = _submit(user("clerk1"), stock.hq, [("USB-64", 100)], kind="spot", full=False)
    assert [(l.sku, l.variance) for l in counts.reconcile(cnt).lines] == [("USB-64", 0)]


def test_serial_count_finds_missing_unexpected_and_misplaced(ctx, stock, user):
    for s in ("S0", "S1", "S2"):
        _move(stock, stock.ssd, stock.hq, stock.bj_loc, serial=s)
    _move(stock, stock.ssd, stock.hq, stock.sh_loc, serial="S3")
    db.session.commit()
    # BJ has S0, S1, S2; it scans S0, S1 (S2 missing), S3 (registered at SH) and NEW9 (unknown).
    cnt = _submit(user("bj-user"), stock.bj_loc, serials=[(None, "S0"), (None, "S1"), (None, "S3"), ("SSD-1T", "NEW9")])
    db.session.commit()
    rec = counts.reconcile(cnt)
    assert rec.serials.missing == [("SSD-1T", "S2")]
    assert rec.serials.unexpected == [("SSD-1T", "NEW9")]
    assert rec.serials.elsewhere == [("SSD-1T", "S3", "OFF-SH")]
    assert rec.serials.matched == 2
    [line] = rec.lines
    assert (line.counted, line.ledger) == (4, 3)
    cnt.status = "submitted"  # under the threshold either way for this test
    db.session.commit()
    # S3 is SH's: taking it needs the supervisor's explicit confirmation.
    with pytest.raises(Conflict) as err:
        counts.accept_count(user("boss"), cnt)
    assert err.value.code == "confirm_relocations" and "S3 from OFF-SH" in err.value.message
    db.session.rollback()
    assert cnt.status == "submitted" and service.balance_of(stock.sh_loc, stock.ssd) == 1
    counts.accept_count(user("boss"), cnt, confirm_relocations=True)
    db.session.commit()
    assert (cnt.shortfall_value, cnt.surplus_value, cnt.relocated_value) == (400, 400, 400)
    here = {sp.serial for sp in service.serials_at(stock.bj_loc)}
    assert here == {"S0", "S1", "S3", "NEW9"}
    assert service.balance_of(stock.sh_loc, stock.ssd) == 0
    assert service.balance_of(stock.bj_loc, stock.ssd) == 4


def test_serial_count_as_of_its_time(ctx, stock, user):
    _move(stock, stock.ssd, stock.hq, stock.bj_loc, serial="S0")
    db.session.commit()
    t = utcnow()
    # After the count S0 left for a dealer and S1 arrived: neither changes what BJ held at t.
    _move(stock, stock.ssd, stock.bj_loc, service.system_location("dealer").id, serial="S0")
    _move(stock, stock.ssd, stock.hq, stock.bj_loc, serial="S1")
    db.session.commit()
    cnt = _submit(user("bj-user"), stock.bj_loc, serials=[(None, "S0")], at=t)
    rec = counts.reconcile(cnt)
    assert rec.serials.matched == 1 and not rec.serials.missing and not rec.serials.elsewhere
    assert [(l.counted, l.ledger) for l in rec.lines] == [(1, 1)]


def test_variance_over_threshold_needs_a_recount(app, ctx, stock, user):
    _move(stock, stock.usb, stock.hq, stock.bj_loc, 50)
    db.session.commit()
    app.config["INVENTORY_RECOUNT_THRESHOLD"] = 500
    first = _submit(user("bj-user"), stock.bj_loc, [("USB-64", 30)])  # 20 short x 30 = 600 RMB
    db.session.commit()
    assert first.status == "recount_required" and first.variance_value == Decimal("600.00")
    with pytest.raises(Conflict) as err:
        counts.accept_count(user("boss"), first)
    assert err.value.code == "recount_required"
    recount = _submit(user("bj-user"), stock.bj_loc, [("USB-64", 48)], recount_of=first)
    db.session.commit()
    assert first.status == "superseded" and recount.status == "submitted"
    counts.accept_count(user("boss"), recount)
    db.session.commit()
    assert service.balance_of(stock.bj_loc, stock.usb) == 48


def test_recount_over_threshold_via_api(stock, api_as):
    sup = api_as("supervisor", username="sup")
    office = api_as("office", username="bjapi", office_id=stock.bj)
    sup.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ",
                                                  "quantity": 40, "reason": "transfer"})
    c = office.post("/api/v1/inventory/counts", json={"location": "OFF-BJ", "kind": "monthly",
                                                      "lines": [{"sku": "USB-64", "quantity": 10}]}).get_json()
    assert c["status"] == "recount_required"
    refused = sup.post(f"/api/v1/inventory/counts/{c['id']}/accept")
    assert refused.status_code == 409 and refused.get_json()["code"] == "recount_required"
    again = office.post("/api/v1/inventory/counts", json={"location": "OFF-BJ", "kind": "monthly", "recount_of": c["id"],
                                                          "lines": [{"sku": "USB-64", "quantity": 39}]})
    assert again.status_code == 201
    ok = sup.post(f"/api/v1/inventory/counts/{again.get_json()['id']}/accept")
    assert ok.status_code == 200 and ok.get_json()["liable_party"] == "office"
    assert ok.get_json()["shortfall_value"] == "30.00"


def test_count_with_bad_lines_saves_nothing(ctx, stock, user):
    with pytest.raises(ValidationFailed) as err:
        _submit(user("bj-user"), stock.bj_loc, [("USB-64", 1), ("NOPE", 2), ("SSD-1T", 3), ("USB-64", 4)],
                serials=[("SSD-1T", "S0"), ("SSD-1T", "S0")])
    msgs = err.value.errors["lines"]
    assert any("Line 2" in m and "NOPE" in m for m in msgs)
    assert any("Line 3" in m and "serialized" in m for m in msgs)
    assert any("serial S0 was already scanned" in m for m in msgs)
    assert not any("Line 4" in m for m in msgs)  # a SKU on two lines is added up, not refused
    db.session.rollback()
    assert db.session.query(StockCount).count() == 0


def test_office_cannot_count_another_office_or_do_spot_checks(ctx, stock, user):
    with pytest.raises(Forbidden):
        _submit(user("bj-user"), stock.sh_loc, [("USB-64", 0)])
    with pytest.raises(Forbidden):
        _submit(user("bj-user"), stock.bj_loc, [("USB-64", 0)], kind="spot")


def test_future_count_time_refused(ctx, stock, user):
    with pytest.raises(ValidationFailed):
        _submit(user("bj-user"), stock.bj_loc, [("USB-64", 0)], at=utcnow() + timedelta(days=1))


def _csv(text):
    return (io.BytesIO(text.encode()), "count.csv")


def test_csv_upload_reports_bad_rows_with_line_numbers(stock, login):
    c = login("office", username="bjp", office_id=stock.bj)
    resp = c.submit("/inventory/counts/new", {"location": stock.bj_loc, "kind": "weekly", "full": "1",
                                              "file": _csv("sku,quantity\nUSB-64,3\nNOPE,1\nUSB-64,abc\n")},
                    content_type="multipart/form-data", follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Line 3: unknown SKU NOPE" in page and "Line 4:" in page and "nothing was imported" in page
    assert "Line 2" not in page
    listing = c.get("/inventory/counts").get_data(as_text=True)
    assert "No counts yet" in listing


def test_xlsx_upload_via_api_and_export(stock, api_as):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "数量", "序列号"])
    sheet.append(["USB-64", 98, None])
    sheet.append(["SSD-1T", None, "S0"])
    buf = io.BytesIO()
    book.save(buf)
    api = api_as("clerk")
    resp = api.post("/api/v1/inventory/counts/upload", data={"location": "HQ", "kind": "spot", "full": "false",
                                                             "file": (io.BytesIO(buf.getvalue()), "c.xlsx")},
                    content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["method"] == "upload" and body["blind"] is True
    assert sorted(body["serials"]) == ["S0"]
    # The counter is blind: no ledger figures for a clerk until accepted.
    assert api.get(f"/api/v1/inventory/counts/{body['id']}/reconciliation").status_code == 403
    sup = api_as("supervisor")
    rec = sup.get(f"/api/v1/inventory/counts/{body['id']}/reconciliation").get_json()
    assert {(l["sku"], l["counted"], l["ledger"]) for l in rec["lines"]} == {("USB-64", 98, 100), ("SSD-1T", 1, 5)}
    assert [m["serial"] for m in rec["missing"]] == ["S1", "S2", "S3", "S4"]
    xlsx = sup.get(f"/inventory/counts/{body['id']}/export.xlsx")
    # The export is a page route: the bearer token works there too.
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "SKU" and ("USB-64", "USB 64GB", 98, 100, -2, 30.0, -60.0) in rows


def test_blind_spot_check_page_never_shows_expected(stock, login):
    clerk = login("clerk", username="visitor")
    form = clerk.get("/inventory/counts/new").get_data(as_text=True)
    assert "USB-64" in form and ">100<" not in form
    resp = clerk.submit("/inventory/counts/new", {"location": stock.hq, "kind": "spot", "qty-%d" % stock.usb: "97"},
                        form_page="/inventory/counts/new")
    assert resp.status_code == 302
    detail_url = resp.headers["Location"]
    page = clerk.get(detail_url).get_data(as_text=True)
    assert "blind" in page and ">97<" in page
    assert 'id="reconciliation"' not in page and ">100<" not in page
    assert clerk.get(detail_url.replace("/inventory/counts/", "/inventory/counts/") + "/export.csv").status_code == 403
    boss = login("supervisor", username="boss2")
    detail = boss.get(detail_url).get_data(as_text=True)
    assert 'id="reconciliation"' in detail and ">100<" in detail and ">-3<" in detail


def test_bad_upload_file_type(stock, api_as):
    api = api_as("clerk")
    resp = api.post("/api/v1/inventory/counts/upload", data={"location": "HQ", "kind": "spot",
                                                             "file": (io.BytesIO(b"x"), "c.pdf")},
                    content_type="multipart/form-data")
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]
    broken = api.post("/api/v1/inventory/counts/upload", data={"location": "HQ", "kind": "spot",
                                                               "file": (io.BytesIO(b"not a zip"), "c.xlsx")},
                      content_type="multipart/form-data")
    assert broken.status_code == 422


def test_a_higher_configured_threshold_lets_the_same_variance_through(app, ctx, stock, user):
    _move(stock, stock.usb, stock.hq, stock.bj_loc, 50)
    db.session.commit()
    app.config["INVENTORY_RECOUNT_THRESHOLD"] = 600  # the company's choice (DEPOT_RECOUNT_THRESHOLD)
    try:
        count = _submit(user("bj-user"), stock.bj_loc, [("USB-64", 30)])  # 20 short x 30 = 600 RMB: not above
        db.session.commit()
        assert count.status == "submitted" and count.variance_value == Decimal("600.00")
    finally:
        app.config["INVENTORY_RECOUNT_THRESHOLD"] = 500
