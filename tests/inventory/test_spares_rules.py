"""Spare requests, swaps and year-end returns as real offices use them: no stuck request, no surprise return,
no swap with a stranger, no stock split by a renamed office. Pages and API obey the same services."""
from __future__ import annotations

from datetime import date

import pytest

from core.calendar import local_today


def _dealer(app, office_id=None, code="D-BJ", region=""):
    from core.directory.models import Dealer
    from core.extensions import db

    with app.app_context():
        dealer = Dealer(code=code, name=f"Dealer {code}", office_id=office_id, region=region)
        db.session.add(dealer)
        db.session.commit()
        return dealer.id


def _today(monkeypatch, day: date):
    from inventory import spares

    monkeypatch.setattr(spares, "local_today", lambda: day)


def _balances(client, **query):
    items = client.get("/api/v1/inventory/balances", query_string=query).get_json()["items"]
    return {(b["location"], b["sku"]): b["quantity"] for b in items}


def _ask(office, stock, qty=5, sku="USB-64"):
    resp = office.post("/api/v1/inventory/requests",
                       json={"office_id": stock.bj, "lines": [{"sku": sku, "quantity": qty}]})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


# --- spare requests ---------------------------------------------------------------------------

def test_asking_5_approved_500_is_refused_without_a_reason_and_never_stuck(stock, api_as):
    office = api_as("office", username="bj-a", office_id=stock.bj)
    sup = api_as("supervisor", username="sup-a")
    clerk = api_as("clerk", username="clerk-a")
    rid = _ask(office, stock, 5)
    over = sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={"approved": {"USB-64": 500}})
    assert over.status_code == 422 and over.get_json()["code"] == "over_approval_needs_reason"
    assert sup.get(f"/api/v1/inventory/requests/{rid}").get_json()["status"] == "requested"
    # With a reason it may approve more; issuing then finds too little stock ...
    ok = sup.post(f"/api/v1/inventory/requests/{rid}/approve",
                  json={"approved": {"USB-64": 500}, "note": "whole region's stock for the promotion"})
    assert ok.status_code == 200
    refused = clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={})
    assert refused.status_code == 422 and refused.get_json()["code"] == "insufficient_stock"
    # ... but the request is not stuck: it can be approved again, edited, rejected or cancelled.
    item = sup.get(f"/api/v1/inventory/requests/{rid}").get_json()
    assert item["status"] == "approved"
    assert set(item["actions"]) == {"issue", "approve", "reject", "cancel", "edit"}
    again = sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={"approved": {"USB-64": 5}})
    assert again.status_code == 200
    issued = clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={})
    assert issued.status_code == 200 and issued.get_json()["status"] == "issued"
    assert _balances(clerk)[("HQ", "USB-64")] == 95


def test_reject_cancel_and_edit_before_issue_never_after(stock, api_as):
    office = api_as("office", username="bj-b", office_id=stock.bj)
    other = api_as("office", username="sh-b", office_id=stock.sh)
    sup = api_as("supervisor", username="sup-b")
    clerk = api_as("clerk", username="clerk-b")
    # Edit while requested, and after approval (it goes back for approval).
    rid = _ask(office, stock, 5)
    edited = office.patch(f"/api/v1/inventory/requests/{rid}", json={"lines": [{"sku": "USB-64", "quantity": 3},
                                                                              {"sku": "SSD-1T", "quantity": 1}]})
    assert edited.status_code == 200
    assert {(l["sku"], l["requested"]) for l in edited.get_json()["lines"]} == {("USB-64", 3), ("SSD-1T", 1)}
    sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={})
    back = office.patch(f"/api/v1/inventory/requests/{rid}", json={"lines": [{"sku": "USB-64", "quantity": 2}]})
    assert back.status_code == 200 and back.get_json()["status"] == "requested"
    assert [(l["sku"], l["approved"]) for l in back.get_json()["lines"]] == [("USB-64", None)]
    # Another office may not touch it.
    assert other.post(f"/api/v1/inventory/requests/{rid}/cancel", json={}).status_code == 403
    assert other.patch(f"/api/v1/inventory/requests/{rid}", json={"lines": [{"sku": "USB-64", "quantity": 1}]}
                       ).status_code == 403
    # Cancel by the office.
    cancelled = office.post(f"/api/v1/inventory/requests/{rid}/cancel", json={"note": "found spares locally"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["actions"] == []
    assert sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={}).status_code == 409
    # Reject after approval.
    rid2 = _ask(office, stock, 4)
    sup.post(f"/api/v1/inventory/requests/{rid2}/approve", json={})
    assert sup.post(f"/api/v1/inventory/requests/{rid2}/reject", json={"note": "budget"}).get_json()["status"] == "rejected"
    # After issue: no edit, no cancel, no reject.
    rid3 = _ask(office, stock, 2)
    sup.post(f"/api/v1/inventory/requests/{rid3}/approve", json={})
    assert clerk.post(f"/api/v1/inventory/requests/{rid3}/issue", json={}).status_code == 200
    for method, path, body in [("post", "cancel", {}), ("post", "reject", {"note": "x"}), ("post", "approve", {}),
                               ("patch", "", {"lines": [{"sku": "USB-64", "quantity": 1}]})]:
        url = f"/api/v1/inventory/requests/{rid3}" + (f"/{path}" if path else "")
        who = sup if path in ("reject", "approve") else office
        resp = getattr(who, method)(url, json=body)
        assert resp.status_code == 409, (path, resp.get_json())
        assert resp.get_json()["current_state"] == "issued"
    assert _balances(clerk)[("TRANSIT", "USB-64")] == 2


def _drive_to(status, office, sup, clerk, stock):
    rid = _ask(office, stock, 2)
    if status == "requested":
        return rid
    if status == "rejected":
        sup.post(f"/api/v1/inventory/requests/{rid}/reject", json={"note": "no"})
        return rid
    if status == "cancelled":
        office.post(f"/api/v1/inventory/requests/{rid}/cancel", json={})
        return rid
    sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={})
    if status == "approved":
        return rid
    clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={})
    if status == "issued":
        return rid
    office.post(f"/api/v1/inventory/requests/{rid}/receive", json={"codes": ["USB-64*2"]})
    return rid


def test_every_request_state_has_a_way_forward_or_a_final_meaning(stock, api_as):
    from inventory import spares

    office = api_as("office", username="bj-c", office_id=stock.bj)
    sup = api_as("supervisor", username="sup-c")
    clerk = api_as("clerk", username="clerk-c")
    bodies = {"approve": {}, "reject": {"note": "no"}, "cancel": {}, "issue": {}, "receive": {"codes": ["USB-64*2"]},
              "edit": {"lines": [{"sku": "USB-64", "quantity": 2}]}}
    who = {"approve": sup, "reject": sup, "issue": clerk, "cancel": office, "receive": office, "edit": office}
    assert set(spares.REQUEST_ACTIONS) == set(spares.REQUEST_STATUS_LABELS)
    for status in spares.REQUEST_ACTIONS:
        rid = _drive_to(status, office, sup, clerk, stock)
        item = sup.get(f"/api/v1/inventory/requests/{rid}").get_json()
        assert item["status"] == status
        assert item["actions"] or status in spares.FINAL_MEANINGS, status
        _close(sup, rid)
        # Every action offered really works from that state.
        for action in item["actions"]:
            rid = _drive_to(status, office, sup, clerk, stock)
            url = f"/api/v1/inventory/requests/{rid}" + ("" if action == "edit" else f"/{action}")
            resp = (who[action].patch if action == "edit" else who[action].post)(url, json=bodies[action])
            assert resp.status_code == 200, (status, action, resp.get_json())
            _close(sup, rid)


def _close(sup, rid):
    """Cancel a request left open, so the next identical one is not refused as a duplicate."""
    if sup.get(f"/api/v1/inventory/requests/{rid}").get_json()["status"] in ("requested", "approved"):
        assert sup.post(f"/api/v1/inventory/requests/{rid}/cancel", json={}).status_code == 200


def test_the_same_request_twice_is_refused_while_the_first_is_open(stock, api_as):
    office = api_as("office", username="bj-m", office_id=stock.bj)
    rid = _ask(office, stock, 5)
    twice = office.post("/api/v1/inventory/requests",
                        json={"office_id": stock.bj, "lines": [{"sku": "USB-64", "quantity": 5}]})
    assert twice.status_code == 409 and twice.get_json()["code"] == "duplicate_request"
    assert _ask(office, stock, 6)  # a different request is fine
    office.post(f"/api/v1/inventory/requests/{rid}/cancel", json={})
    assert _ask(office, stock, 5)  # once the first is closed, the same again is fine


def test_request_pages_offer_the_allowed_steps_in_words(stock, api_as, login):
    office = api_as("office", username="bj-d", office_id=stock.bj)
    sup_page = login("supervisor", username="sup-d")
    rid = _ask(office, stock, 5)
    page = sup_page.get(f"/inventory/requests/{rid}").get_data(as_text=True)
    assert "Requested" in page and "Cancel the request" in page and "Reject" in page
    over = sup_page.submit(f"/inventory/requests/{rid}/approve", {f"qty-{stock.usb}": "500"},
                           form_page=f"/inventory/requests/{rid}", follow_redirects=True)
    assert "needs a reason" in over.get_data(as_text=True)
    assert office.get(f"/api/v1/inventory/requests/{rid}").get_json()["status"] == "requested"
    done = sup_page.submit(f"/inventory/requests/{rid}/cancel", {"note": "dup"},
                           form_page=f"/inventory/requests/{rid}", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Cancelled" in text and "Withdrawn before anything was sent." in text


# --- swaps -------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["missing", "unknown", "other_region", "other_office"])
def test_swap_needs_a_dealer_of_the_offices_region(app, stock, api_as, which):
    from core.directory.models import Office
    from core.extensions import db

    with app.app_context():
        db.session.get(Office, stock.sh).region = "华东"
        db.session.commit()
    clerk = api_as("clerk", username="clerk-e")
    clerk.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ",
                                                    "quantity": 3, "reason": "t"})
    office = api_as("office", username="bj-e", office_id=stock.bj)
    dealer = {"missing": None, "unknown": 99999,
              "other_region": _dealer(app, None, "D-E", region="华东"),
              "other_office": _dealer(app, stock.sh, "D-SH")}[which]
    body = {"sku": "USB-64"} | ({"dealer_id": dealer} if dealer else {})
    resp = office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps", json=body)
    assert resp.status_code == 422, resp.get_json()
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 3
    assert len(office.get("/api/v1/inventory/movements").get_json()["items"]) == 1
    mine = _dealer(app, None, "D-N", region="华北")
    assert office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps",
                       json={"sku": "USB-64", "dealer_id": mine}).status_code == 201


def test_swap_page_refuses_a_stranger_dealer(app, stock, api_as, login):
    clerk = api_as("clerk", username="clerk-f")
    clerk.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ",
                                                    "quantity": 3, "reason": "t"})
    stranger = _dealer(app, stock.sh, "D-SH2")
    bj = login("office", username="bj-f", office_id=stock.bj)
    resp = bj.submit("/inventory/offices/swap", {"sku": "USB-64", "dealer_id": str(stranger)},
                     form_page="/inventory/requests", follow_redirects=True)
    assert "is not in the region" in resp.get_data(as_text=True)
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 3


# --- year-end return ---------------------------------------------------------------------------

def _stock_bj(clerk, qty=4):
    resp = clerk.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ",
                                                           "to_location": "OFF-BJ", "quantity": qty, "reason": "t"})
    assert resp.status_code == 201


def test_year_end_return_in_november_is_refused_unless_a_supervisor_overrides(stock, api_as, monkeypatch):
    _today(monkeypatch, date(local_today().year, 11, 20))
    clerk = api_as("clerk", username="clerk-g")
    _stock_bj(clerk)
    office = api_as("office", username="bj-g", office_id=stock.bj)
    sup = api_as("supervisor", username="sup-g")
    url = f"/api/v1/inventory/offices/{stock.bj}/year-end-return"
    preview = office.get(url).get_json()
    assert preview["inside_window"] is False and preview["window_start"].endswith("-12-01")
    assert office.post(url, json={}).get_json()["code"] == "confirmation_required"
    assert office.post(url, json={"confirm": True}).get_json()["code"] == "outside_return_window"
    assert office.post(url, json={"confirm": True, "override": True, "override_note": "x"}).status_code == 403
    assert sup.post(url, json={"confirm": True, "override": True}).status_code == 422
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 4
    ok = sup.post(url, json={"confirm": True, "override": True, "override_note": "office closes for refit"})
    assert ok.status_code == 201 and ok.get_json()["override_note"] == "office closes for refit"
    # Prepared, nothing has moved yet; cancelled, nothing moves at all.
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 4
    rid = ok.get_json()["id"]
    cancelled = office.post(f"/api/v1/inventory/returns/{rid}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert office.post(f"/api/v1/inventory/returns/{rid}/ship").status_code == 409
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 4


def test_year_end_return_cancellable_until_it_ships(stock, api_as, monkeypatch):
    _today(monkeypatch, date(local_today().year, 12, 3))
    clerk = api_as("clerk", username="clerk-h")
    _stock_bj(clerk)
    office = api_as("office", username="bj-h", office_id=stock.bj)
    ret = office.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True}).get_json()
    assert ret["status"] == "prepared"
    shipped = office.post(f"/api/v1/inventory/returns/{ret['id']}/ship")
    assert shipped.status_code == 200
    late = office.post(f"/api/v1/inventory/returns/{ret['id']}/cancel", json={})
    assert late.status_code == 409 and late.get_json()["current_state"] == "shipped"
    # Refused in words (the return's state, what may follow), and nothing changed.
    body = late.get_json()
    assert body["code"] == "invalid_transition" and f"{ret['number']} is Shipped to HQ" in body["message"]
    assert body["allowed"] == ["receive"] and "Receive" in body["message"]
    after = office.get(f"/api/v1/inventory/returns/{ret['id']}").get_json()
    assert after["status"] == "shipped" and after.get("cancelled_at") is None
    assert _balances(clerk)[("TRANSIT", "USB-64")] == 4
    assert clerk.post(f"/api/v1/inventory/returns/{ret['id']}/receive").status_code == 200
    assert clerk.post(f"/api/v1/inventory/returns/{ret['id']}/receive").status_code == 409
    assert _balances(clerk)[("HQ", "USB-64")] == 100


def test_a_return_whose_stock_changed_before_shipping_is_refused(app, stock, api_as, monkeypatch):
    _today(monkeypatch, date(local_today().year, 12, 3))
    clerk = api_as("clerk", username="clerk-i")
    _stock_bj(clerk)
    office = api_as("office", username="bj-i", office_id=stock.bj)
    ret = office.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True}).get_json()
    office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps", json={"sku": "USB-64", "dealer_id": _dealer(app, stock.bj)})
    resp = office.post(f"/api/v1/inventory/returns/{ret['id']}/ship")
    assert resp.status_code == 409 and resp.get_json()["code"] == "return_stock_changed"
    assert _balances(clerk).get(("TRANSIT", "USB-64")) is None


def test_return_window_ends_on_the_last_working_day_and_is_configurable(app, ctx):
    from inventory import spares

    start, end = spares.return_window(2026)
    assert start == date(2026, 12, 1) and end == date(2026, 12, 31)
    # 2022-12-31 was a Saturday: the window closed on Friday the 30th.
    assert spares.return_window(2022)[1] == date(2022, 12, 30)
    saved = {k: app.config.get(k) for k in ("INVENTORY_RETURN_WINDOW_START", "INVENTORY_RETURN_WINDOW_END")}
    app.config["INVENTORY_RETURN_WINDOW_START"] = "11-15"
    app.config["INVENTORY_RETURN_WINDOW_END"] = "12-20"
    try:
        assert spares.return_window(2026) == (date(2026, 11, 15), date(2026, 12, 20))
    finally:
        app.config.update(saved)


def test_year_end_confirmation_page_lists_what_goes_and_nothing_moves_on_a_click(stock, api_as, login, monkeypatch):
    _today(monkeypatch, date(local_today().year, 11, 20))
    clerk = api_as("clerk", username="clerk-j")
    _stock_bj(clerk)
    bj = login("office", username="bj-j", office_id=stock.bj)
    page = bj.get("/inventory/offices/year-end-return/confirm").get_data(as_text=True)
    assert 'id="preview-lines"' in page and "USB-64" in page and "outside the return window" in page
    assert "Confirm: prepare the return" not in page  # an office cannot override
    refused = bj.submit("/inventory/offices/year-end-return", {"confirm": "yes"},
                        form_page="/inventory/requests", follow_redirects=True)
    assert "ask a supervisor" in refused.get_data(as_text=True)
    _today(monkeypatch, date(local_today().year, 12, 2))
    page = bj.get("/inventory/offices/year-end-return/confirm").get_data(as_text=True)
    assert "Confirm: prepare the return" in page
    done = bj.submit("/inventory/offices/year-end-return", {"confirm": "yes"},
                     form_page="/inventory/offices/year-end-return/confirm", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Prepared, not shipped" in text and "Cancel this return" in text
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 4


# --- office rename -----------------------------------------------------------------------------

def test_renaming_an_office_code_does_not_split_its_stock(app, stock, api_as, monkeypatch):
    from core.directory.models import Office
    from core.extensions import db

    clerk = api_as("clerk", username="clerk-k")
    sup = api_as("supervisor", username="sup-k")
    office = api_as("office", username="bj-k", office_id=stock.bj)
    _stock_bj(clerk, 4)
    rid = _ask(office, stock, 3)
    sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={})
    clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={})
    with app.app_context():
        db.session.get(Office, stock.bj).code = "PEK"
        db.session.commit()
    assert office.post(f"/api/v1/inventory/requests/{rid}/receive", json={"codes": ["USB-64*3"]}).status_code == 200
    held = _balances(clerk)
    assert held[("OFF-BJ", "USB-64")] == 7 and not any(loc.startswith("OFF-PEK") for loc, _ in held)
    _today(monkeypatch, date(local_today().year, 12, 5))
    ret = office.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True}).get_json()
    assert [(l["sku"], l["quantity"]) for l in ret["lines"]] == [("USB-64", 7)]
    assert office.post(f"/api/v1/inventory/returns/{ret['id']}/ship").status_code == 200
    assert _balances(office) == {}


# --- office scope at the ledger ----------------------------------------------------------------

def test_office_user_cannot_receive_or_return_another_offices_stock(stock, api_as, monkeypatch):
    _today(monkeypatch, date(local_today().year, 12, 5))
    clerk = api_as("clerk", username="clerk-l")
    sup = api_as("supervisor", username="sup-l")
    bj = api_as("office", username="bj-l", office_id=stock.bj)
    sh = api_as("office", username="sh-l", office_id=stock.sh)
    _stock_bj(clerk, 4)
    rid = _ask(bj, stock, 2)
    sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={})
    clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={})
    assert sh.post(f"/api/v1/inventory/requests/{rid}/receive", json={"codes": ["USB-64*2"]}).status_code == 403
    assert sh.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True}).status_code == 403
    assert sh.post(f"/api/v1/inventory/offices/{stock.bj}/swaps", json={"sku": "USB-64", "dealer_id": 1}).status_code == 403
    ret = bj.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True}).get_json()
    assert sh.post(f"/api/v1/inventory/returns/{ret['id']}/ship").status_code == 403
    assert sh.post(f"/api/v1/inventory/returns/{ret['id']}/cancel", json={}).status_code == 403
    assert bj.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "OFF-BJ",
                                                        "to_location": "OFF-SH", "reason": "t"}).status_code == 403
    assert _balances(clerk)[("OFF-BJ", "USB-64")] == 4


def test_a_refused_swap_leaves_no_first_use_location_behind(app, stock, api_as):
    """A location created on first use inside a refused request goes with its rollback (SQLite savepoints too)."""
    from sqlalchemy import select

    from core.extensions import db
    from inventory.models import Location

    dealer = _dealer(app, stock.bj, "D-BJ9")
    clerk = api_as("clerk", username="clerk-n")
    clerk.get("/api/v1/inventory/parts")  # the token's first use is recorded: the next request writes nothing first
    with app.app_context():
        before = set(db.session.scalars(select(Location.code)))
    resp = clerk.post(f"/api/v1/inventory/offices/{stock.bj}/swaps",
                      json={"sku": "SSD-1T", "dealer_id": dealer, "spare_serial": "S0", "defective_serial": "X1"})
    assert resp.status_code == 422
    with app.app_context():
        assert set(db.session.scalars(select(Location.code))) == before


def test_request_page_edits_quantities_before_issue(stock, api_as, login):
    office_api = api_as("office", username="bj-o", office_id=stock.bj)
    rid = _ask(office_api, stock, 5)
    bj = login("office", username="bj-o2", office_id=stock.bj)
    page = bj.get(f"/inventory/requests/{rid}").get_data(as_text=True)
    assert "Save the requested quantities" in page and f"/inventory/requests/{rid}/approve" not in page
    resp = bj.submit(f"/inventory/requests/{rid}/edit", {f"requested-{stock.usb}": "3"},
                     form_page=f"/inventory/requests/{rid}", follow_redirects=True)
    assert resp.status_code == 200
    item = office_api.get(f"/api/v1/inventory/requests/{rid}").get_json()
    assert [(l["sku"], l["requested"]) for l in item["lines"]] == [("USB-64", 3)]


def test_return_window_settings_come_from_the_environment():
    from core.config import ConfigError, load_config

    cfg = load_config("/tmp", {"DEPOT_RETURN_WINDOW_START": "11-20", "DEPOT_RETURN_WINDOW_END": "12-24"})
    assert (cfg["INVENTORY_RETURN_WINDOW_START"], cfg["INVENTORY_RETURN_WINDOW_END"]) == ("11-20", "12-24")
    default = load_config("/tmp", {})
    assert (default["INVENTORY_RETURN_WINDOW_START"], default["INVENTORY_RETURN_WINDOW_END"]) == ("12-01", None)
    with pytest.raises(ConfigError):
        load_config("/tmp", {"DEPOT_RETURN_WINDOW_START": "12-32"})


def test_every_return_state_has_a_way_forward_or_a_final_meaning():
    from inventory import spares

    assert set(spares.RETURN_ACTIONS) == set(spares.RETURN_STATUS_LABELS)
    for status, actions in spares.RETURN_ACTIONS.items():
        assert actions or status in spares.RETURN_FINAL_MEANINGS, status


def test_the_same_serial_swap_twice_is_a_conflict_not_a_second_swap(app, stock, api_as):
    clerk = api_as("clerk", username="clerk-p")
    clerk.post("/api/v1/inventory/movements", json={"sku": "SSD-1T", "from_location": "HQ", "to_location": "OFF-BJ",
                                                    "serial": "S3", "reason": "t"})
    office = api_as("office", username="bj-p", office_id=stock.bj)
    body = {"sku": "SSD-1T", "dealer_id": _dealer(app, stock.bj, "D-P"), "spare_serial": "S3",
            "defective_serial": "DX-1"}
    assert office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps", json=body).status_code == 201
    again = office.post(f"/api/v1/inventory/offices/{stock.bj}/swaps", json=body)
    assert again.status_code == 409 and again.get_json()["code"] == "already_swapped"
    assert len(office.get("/api/v1/inventory/movements", query_string={"serial": "S3"}).get_json()["items"]) == 2


def test_return_page_offers_each_role_only_its_own_steps(stock, api_as, login, monkeypatch):
    """The buttons come from the return's workflow for the viewer: the office ships, HQ checks in."""
    _today(monkeypatch, date(local_today().year, 12, 3))
    clerk_api = api_as("clerk", username="clerk-r")
    _stock_bj(clerk_api)
    office_api = api_as("office", username="bj-r", office_id=stock.bj)
    ret = office_api.post(f"/api/v1/inventory/offices/{stock.bj}/year-end-return", json={"confirm": True}).get_json()
    bj = login("office", username="bj-r2", office_id=stock.bj)
    page = bj.get(f"/inventory/returns/{ret['id']}").get_data(as_text=True)
    assert "Ship: the parcel leaves for HQ now" in page and "Check in at HQ" not in page
    office_api.post(f"/api/v1/inventory/returns/{ret['id']}/ship")
    page = bj.get(f"/inventory/returns/{ret['id']}").get_data(as_text=True)
    assert "Check in at HQ" not in page and "Cancel this return" not in page
    clerk = login("clerk", username="clerk-r2")
    assert "Check in at HQ" in clerk.get(f"/inventory/returns/{ret['id']}").get_data(as_text=True)
