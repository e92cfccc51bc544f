"""The office spare cycle and the vendor pool, through the API and pages."""
from __future__ import annotations

from datetime import date, timedelta

from core.calendar import local_today


def _dealer(app, office_id, code="D-BJ"):
    from core.directory.models import Dealer
    from core.extensions import db

    with app.app_context():
        dealer = Dealer(code=code, name=f"Dealer {code}", office_id=office_id)
        db.session.add(dealer)
        db.session.commit()
        return dealer.id


def _in_return_window(monkeypatch):
    from inventory import spares

    monkeypatch.setattr(spares, "local_today", lambda: date(local_today().year, 12, 10))


def _request(office, stock, lines=None):
    return office.post("/api/v1/inventory/requests", json={
        "office_id": stock.bj, "lines": lines or [{"sku": "USB-64", "quantity": 10}, {"sku": "SSD-1T", "quantity": 2}]})


def test_full_office_cycle(app, stock, api_as, monkeypatch):
    office = api_as("office", username="bjuser1", office_id=stock.bj)
    sup = api_as("supervisor", username="super1")
    clerk = api_as("clerk", username="clerk9")
    req = _request(office, stock)
    assert req.status_code == 201
    rid = req.get_json()["id"]
    assert req.get_json()["number"].startswith("SR")
    # The office cannot approve its own request.
    assert office.post(f"/api/v1/inventory/requests/{rid}/approve", json={}).status_code == 403
    appr = sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={"approved": {"USB-64": 8}})
    assert appr.status_code == 200 and appr.get_json()["status"] == "approved"
    bad = clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={"serials": {"SSD-1T": ["S0"]}})
    assert bad.status_code == 422
    issued = clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={"serials": {"SSD-1T": ["S0", "S1"]}})
    assert issued.status_code == 200
    stockmap = {(b["location"], b["sku"]): b["quantity"] for b in
                clerk.get("/api/v1/inventory/balances").get_json()["items"]}
    assert stockmap[("TRANSIT", "USB-64")] == 8 and stockmap[("HQ", "USB-64")] == 92
    # Receipt by scanning must match what was sent.
    wrong = office.post(f"/api/v1/inventory/requests/{rid}/receive", json={"codes": ["USB-64*7", "S0", "S1", "S9"]})
    assert wrong.status_code == 422
    errs = wrong.get_json()["errors"]
    assert errs["missing"] == ["USB-64 ×1"] and errs["extra"] == ["S9 ×1"]
    ok = office.post(f"/api/v1/inventory/requests/{rid}/receive", json={"codes": ["USB-64*8", "S0", "S1"]})
    assert ok.status_code == 200 and ok.get_json()["status"] == "received"
    # Swap at the office: spare out to the dealer, the dealer's defective into the office's defective bin.
    dealer = _dealer(app, stock.bj)
    swap = office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps",
                       json={"sku": "SSD-1T", "spare_serial": "S0", "defective_serial": "D-777", "dealer_id": dealer})
    assert swap.status_code == 201
    assert swap.get_json()["came_in"]["to_location"] == "OFF-BJ-DEF"
    office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps", json={"sku": "USB-64", "dealer_id": dealer})
    mine = {(b["location"], b["sku"]): b["quantity"] for b in
            office.get("/api/v1/inventory/balances").get_json()["items"]}
    assert mine == {("OFF-BJ", "USB-64"): 7, ("OFF-BJ", "SSD-1T"): 1, ("OFF-BJ-DEF", "SSD-1T"): 1,
                    ("OFF-BJ-DEF", "USB-64"): 1}
    # Year-end: the preview lists everything the office holds; confirmed, it is prepared; shipped, it goes.
    _in_return_window(monkeypatch)
    preview = office.get(f"/api/v1/inventory/offices/{stock.bj}/year-end-return").get_json()
    expected = {("USB-64", None, 7, False), ("SSD-1T", "S1", 1, False), ("SSD-1T", "D-777", 1, True),
                ("USB-64", None, 1, True)}
    assert {(l["sku"], l["serial"], l["quantity"], l["defective"]) for l in preview["lines"]} == expected
    ret = office.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True})
    assert ret.status_code == 201 and ret.get_json()["status"] == "prepared"
    lines = {(l["sku"], l["serial"], l["quantity"], l["defective"]) for l in ret.get_json()["lines"]}
    assert lines == expected
    assert office.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return",
                       json={"confirm": True}).status_code == 409
    shipped = office.post(f"/api/v1/inventory/returns/{ret.get_json()['id']}/ship")
    assert shipped.status_code == 200 and shipped.get_json()["status"] == "shipped"
    assert office.get("/api/v1/inventory/balances").get_json()["items"] == []
    assert office.post(f"/api/v1/inventory/returns/{ret.get_json()['id']}/receive").status_code == 403
    got = clerk.post(f"/api/v1/inventory/returns/{ret.get_json()['id']}/receive")
    assert got.status_code == 200 and got.get_json()["status"] == "received"
    hq = {(b["location"], b["sku"]): b["quantity"] for b in clerk.get("/api/v1/inventory/balances").get_json()["items"]}
    assert hq[("HQ", "USB-64")] == 99 and hq[("HQ-DEF", "SSD-1T")] == 1
    # New year: a request prefilled with last year's approval.
    ny = office.post(f"/api/v1/inventory/offices/{stock.bj}/new-year-request")
    assert ny.status_code == 201
    assert {(l["sku"], l["requested"]) for l in ny.get_json()["lines"]} == {("USB-64", 8), ("SSD-1T", 2)}


def test_request_validation_and_rejection(stock, api_as):
    office = api_as("office", username="bjuser2", office_id=stock.bj)
    sup = api_as("supervisor", username="super2")
    bad = _request(office, stock, [{"sku": "NOPE", "quantity": 1}, {"sku": "USB-64", "quantity": 1},
                                   {"sku": "USB-64", "quantity": 2}])
    assert bad.status_code == 422 and len(bad.get_json()["errors"]["lines"]) == 2
    assert _request(office, stock, [{"sku": "USB-64", "quantity": 0}]).status_code == 422
    rid = _request(office, stock).get_json()["id"]
    assert sup.post(f"/api/v1/inventory/requests/{rid}/reject", json={}).status_code == 422
    rej = sup.post(f"/api/v1/inventory/requests/{rid}/reject", json={"note": "too many"})
    assert rej.get_json()["status"] == "rejected"
    again = sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"
    assert office.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return").status_code == 422


def test_office_scoping_api(stock, api_as):
    bj = api_as("office", username="bjuser3", office_id=stock.bj)
    sh = api_as("office", username="shuser3", office_id=stock.sh)
    clerk = api_as("clerk", username="clerk3x")
    clerk.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-SH",
                                                    "quantity": 3, "reason": "t"})
    rid = _request(bj, stock).get_json()["id"]
    assert sh.get(f"/api/v1/inventory/requests/{rid}").status_code == 403
    assert sh.post(f"/api/v1/inventory/requests/{rid}/receive", json={"codes": []}).status_code == 403
    assert sh.post("/api/v1/inventory/requests", json={"office_id": stock.bj,
                                                        "lines": [{"sku": "USB-64", "quantity": 1}]}).status_code == 403
    assert bj.get("/api/v1/inventory/balances?location=OFF-SH").status_code == 403
    assert bj.get("/api/v1/inventory/balances").get_json()["items"] == []
    assert [b["location"] for b in sh.get("/api/v1/inventory/balances").get_json()["items"]] == ["OFF-SH"]
    assert len(bj.get("/api/v1/inventory/movements").get_json()["items"]) == 0
    assert len(sh.get("/api/v1/inventory/movements").get_json()["items"]) == 1
    assert bj.get("/api/v1/inventory/requests").get_json()["total"] == 1
    assert sh.get("/api/v1/inventory/requests").get_json()["total"] == 0
    c = sh.post("/api/v1/inventory/counts", json={"location": "OFF-SH", "kind": "weekly",
                                                  "lines": [{"sku": "USB-64", "quantity": 3}]}).get_json()
    assert bj.get(f"/api/v1/inventory/counts/{c['id']}").status_code == 403
    assert bj.get(f"/api/v1/inventory/counts/{c['id']}/reconciliation").status_code == 403
    assert bj.post("/api/v1/inventory/counts", json={"location": "OFF-SH", "kind": "weekly",
                                                     "lines": []}).status_code == 403
    assert len(bj.get("/api/v1/inventory/counts").get_json()["items"]) == 0
    assert [loc["code"] for loc in bj.get("/api/v1/inventory/locations").get_json()] == ["OFF-BJ"]
    assert bj.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ",
                                                        "to_location": "OFF-BJ", "reason": "t"}).status_code == 403
    assert bj.get("/api/v1/inventory/vendor/batches").status_code == 403


def test_office_scoping_pages(stock, login, api_as):
    clerk = api_as("clerk", username="clerk4x")
    clerk.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-SH",
                                                    "quantity": 3, "reason": "t"})
    sh_api = api_as("office", username="sh4api", office_id=stock.sh)
    c = sh_api.post("/api/v1/inventory/counts", json={"location": "OFF-SH", "kind": "weekly",
                                                      "lines": [{"sku": "USB-64", "quantity": 3}]}).get_json()
    r = _request(sh_api, stock, None)  # SH asking for BJ: refused
    assert r.status_code == 403
    bj = login("office", username="bjuser4", office_id=stock.bj)
    page = bj.get("/inventory/").get_data(as_text=True)
    assert "OFF-SH" not in page and "No stock" in page
    assert bj.get(f"/inventory/?location={stock.sh_loc}").status_code == 403
    assert bj.get(f"/inventory/movements?location={stock.sh_loc}").status_code == 403
    assert bj.get(f"/inventory/counts/{c['id']}").status_code == 403
    assert bj.get(f"/inventory/counts/{c['id']}/export.csv").status_code == 403
    assert "OFF-SH" not in bj.get("/inventory/movements").get_data(as_text=True)
    assert bj.get("/inventory/vendor").status_code == 403
    assert c["number"] not in bj.get("/inventory/counts").get_data(as_text=True)
    # Acting on another office's records through a page form is a 403 too, not a flash.
    other = bj.submit(f"/inventory/counts/{c['id']}/accept", {}, form_page="/inventory/requests")
    assert other.status_code == 403
    # An office user always acts for their own office, whatever office_id the form carries.
    bj.submit("/inventory/offices/swap", {"sku": "USB-64", "office_id": stock.sh}, form_page="/inventory/requests")
    sh_stock = clerk.get("/api/v1/inventory/balances?location=OFF-SH").get_json()["items"]
    assert [(b["sku"], b["quantity"]) for b in sh_stock] == [("USB-64", 3)]
    sh = login("office", username="shuser4", office_id=stock.sh)
    assert "OFF-SH" in sh.get("/inventory/").get_data(as_text=True)
    detail = sh.get(f"/inventory/counts/{c['id']}").get_data(as_text=True)
    assert 'id="reconciliation"' in detail  # their own weekly count is not blind
    # Nav: office users get stock, movements, counts and requests, not the vendor pool.
    home = sh.get("/").get_data(as_text=True)
    assert "/inventory/counts" in home and "/inventory/vendor" not in home


def test_office_pages_request_and_swap(app, stock, login):
    bj = login("office", username="bjuser5", office_id=stock.bj)
    resp = bj.submit("/inventory/requests/new", {f"qty-{stock.usb}": "4"}, form_page="/inventory/requests")
    assert resp.status_code == 302
    detail = bj.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Requested" in detail and "USB-64" in detail
    # A refused swap (nothing in stock) shows the reason and changes nothing.
    dealer = _dealer(app, stock.bj)
    refused = bj.submit("/inventory/offices/swap", {"sku": "USB-64", "dealer_id": dealer},
                        form_page="/inventory/requests", follow_redirects=True)
    assert "Not enough stock" in refused.get_data(as_text=True)
    assert "No stock" in bj.get("/inventory/").get_data(as_text=True)
    assert "OFF-BJ-DEF" not in bj.get("/inventory/").get_data(as_text=True)


def test_vendor_pool_batch_checkin_and_weekly_reconciliation(stock, api_as, login):
    clerk = api_as("clerk", username="clerk6x")
    for _ in range(3):
        assert clerk.post("/api/v1/inventory/vendor/defectives", json={"sku": "MX-CDR"}).status_code == 201
    clerk.post("/api/v1/inventory/vendor/defectives", json={"sku": "MX-HDD", "serial": "H1"})
    assert clerk.post("/api/v1/inventory/vendor/defectives", json={"sku": "USB-64"}).status_code == 422
    batch = clerk.post("/api/v1/inventory/vendor/batches", json={"vendor_id": stock.maxell})
    assert batch.status_code == 201
    b = batch.get_json()
    assert {(l["sku"], l["sent"]) for l in b["lines"]} == {("MX-CDR", 3), ("MX-HDD", 1)}
    assert clerk.post("/api/v1/inventory/vendor/batches", json={"vendor_id": stock.maxell}).status_code == 409
    bad = clerk.post(f"/api/v1/inventory/vendor/batches/{b['id']}/check-in",
                     json={"received": [{"sku": "USB-64", "quantity": 1}]})
    assert bad.status_code == 422
    checked = clerk.post(f"/api/v1/inventory/vendor/batches/{b['id']}/check-in",
                         json={"received": [{"sku": "MX-CDR", "quantity": 2}, {"sku": "MX-HDD", "serials": ["H2"]}],
                               "note": "one short"})
    assert checked.status_code == 200
    diff = {l["sku"]: l["difference"] for l in checked.get_json()["lines"]}
    assert diff == {"MX-CDR": -1, "MX-HDD": 0}
    # A checked-in batch is finished: another check-in is refused in words, and nothing changes.
    again = clerk.post(f"/api/v1/inventory/vendor/batches/{b['id']}/check-in",
                       json={"received": [{"sku": "MX-CDR", "quantity": 1}]})
    body = again.get_json()
    assert again.status_code == 409 and body["code"] == "invalid_transition", body
    assert body["current_state"] == "checked_in" and f"{b['number']} is Checked in" in body["message"]
    after = clerk.get(f"/api/v1/inventory/vendor/batches/{b['id']}").get_json()
    assert after["status"] == "checked_in" and after["lines"] == checked.get_json()["lines"]
    # Weekly: the shipping dept says it received 3 CD-Rs and shipped H2; CS has 2 in and H2 still there.
    monday = local_today() - timedelta(days=local_today().weekday())
    stmt = clerk.post("/api/v1/inventory/vendor/statements", json={"week_start": monday.isoformat(), "lines": [
        {"day": local_today().isoformat(), "direction": "in", "sku": "MX-CDR", "quantity": 3},
        {"day": local_today().isoformat(), "direction": "in", "sku": "MX-HDD", "serial": "H2"},
        {"day": local_today().isoformat(), "direction": "out", "sku": "MX-HDD", "serial": "H2"},
    ]})
    assert stmt.status_code == 201, stmt.get_json()
    diffs = stmt.get_json()["differences"]
    assert {(d["direction"], d["sku"], d["serial"], d["cs_quantity"], d["shipping_quantity"]) for d in diffs} == {
        ("in", "MX-CDR", None, 2, 3), ("out", "MX-HDD", "H2", 0, 1)}
    page = login("supervisor", username="super6").get("/inventory/vendor").get_data(as_text=True)
    assert "MX-CDR" in page and 'id="differences"' in page
    bad_week = clerk.post("/api/v1/inventory/vendor/statements", json={"week_start": (monday + timedelta(days=1)).isoformat(),
                                                                      "lines": []})
    assert bad_week.status_code == 422


def test_refused_page_action_commits_nothing_it_started(stock, api_as, login):
    """Issuing posts line by line; a bad serial on the second line must undo the first line too."""
    office = api_as("office", username="bjuser7", office_id=stock.bj)
    sup = api_as("supervisor", username="super7")
    rid = _request(office, stock).get_json()["id"]
    sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={})
    clerk = login("clerk", username="clerk7x")
    resp = clerk.submit(f"/inventory/requests/{rid}/issue", {f"serials-{stock.ssd}": "S0"},
                        form_page=f"/inventory/requests/{rid}", follow_redirects=True)
    assert "Scan 2 different serials" in resp.get_data(as_text=True)
    balances = {(b["location"], b["sku"]): b["quantity"] for b in
                sup.get("/api/v1/inventory/balances").get_json()["items"]}
    assert balances[("HQ", "USB-64")] == 100 and ("TRANSIT", "USB-64") not in balances
    assert sup.get(f"/api/v1/inventory/requests/{rid}").get_json()["status"] == "approved"
