"""Boxes: "To factory" and "Ship to dealer" scans fill one open box per destination, closed with a waybill.

Twenty units of one parcel sent to the factory and back used to make forty
shipments without a waybill; now they are two boxes, each one shipment with
its waybill, carrier and date, found by Lookup and shown on the dealer's page.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.authz import SYSTEM

SERIALS = [f"BX{i:03d}" for i in range(1, 21)]
FACTORY_WAYBILL = "SF1234567890123"
DEALER_WAYBILL = "JDVA00012345678"


def _parcel_of_accepted_units(app, world, serials=SERIALS, dealer=None):
    """A parcel whose units are received and accepted (through the services); returns its RMA number."""
    from core.extensions import db
    from repairs import inspection, intake, receiving

    with app.app_context():
        parcel = intake.create_parcel(SYSTEM, dealer_id=dealer or world.dealer_bj,
                                       lines=[{"model": "SSD A400 240G", "serial": s} for s in serials])
        for unit in parcel.units:
            receiving.receive_unit(SYSTEM, unit.serial)
            inspection.inspect_unit(SYSTEM, unit)
        db.session.commit()
        return parcel.rma_number


def _count(app, model, *where):
    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _shipments(app, leg):
    from core.extensions import db
    from shipments.models import Shipment

    with app.app_context():
        return [(s.number, s.status, s.waybill, s.carrier, s.shipped_at is not None, s.unit_count)
                for s in db.session.scalars(select(Shipment).where(Shipment.leg == leg).order_by(Shipment.id))]


def _units(app, serials):
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        return {u.serial: u for u in db.session.scalars(select(RepairUnit).where(RepairUnit.serial.in_(serials)))}


def _status_page(app, rma, **kwargs):
    """The dealer's status page for the parcel (RMA number and the last four digits of 138-1234-5678)."""
    return app.test_client().submit("/status", {"rma_number": rma, "phone_last4": "5678"}, **kwargs)


def _snapshot(app):
    """What a refused request must leave as it was: shipments, their lines, units, events."""
    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit
    from shipments.models import Shipment, ShipmentLine

    with app.app_context():
        return (
            [(s.id, s.status, s.waybill, s.carrier, s.box_key) for s in db.session.scalars(select(Shipment))],
            db.session.scalar(select(func.count(ShipmentLine.id))),
            sorted((u.serial, u.state, u.shipped_at, u.dispatched_at) for u in db.session.scalars(select(RepairUnit))),
            db.session.scalar(select(func.count(RepairEvent.id))),
        )


def test_twenty_units_to_the_factory_and_back_are_two_boxes_found_by_lookup_and_on_the_dealers_page(
        app, world, shipments_ready, api_as, login):
    rma = _parcel_of_accepted_units(app, world)
    clerk = api_as("clerk")

    # To factory: every scan fills the factory's one open box; nothing claims the units left.
    for i, serial in enumerate(SERIALS, start=1):
        r = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": serial})
        assert r.status_code == 200 and r.json["status"] == "done", r.json
        assert r.json["box"]["count"] == i and r.json["box"]["destination"] == "东莞工厂维修部"
        assert r.json["unit"]["state"] == "inspected"
        assert f"{serial} packed in box {r.json['box']['number']}" in r.json["message"]
        assert "sent" not in r.json["message"].lower() and "shipped" not in r.json["message"].lower()
    box_id = r.json["box"]["id"]
    assert len({r.json["box"]["number"]}) == 1
    again = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": SERIALS[0]})
    assert again.json["status"] == "already_done" and again.json["box"]["count"] == 20
    assert "already in box" in again.json["message"]

    listed = clerk.get("/api/v1/repairs/boxes?state=open")
    assert listed.status_code == 200
    assert [(b["id"], b["count"], b["state"], b["leg"]) for b in listed.json] == [(box_id, 20, "open", "hq_factory")]
    assert sorted(listed.json[0]["serials"]) == SERIALS
    # The scan station lists the open box with its close form.
    page = login("clerk", username="clerk-page").get("/repairs/scan").get_data(as_text=True)
    assert listed.json[0]["number"] in page and f"/repairs/boxes/{box_id}/close" in page

    closed = clerk.post(f"/api/v1/repairs/boxes/{box_id}/close", json={"waybill": FACTORY_WAYBILL, "carrier": "顺丰"})
    assert closed.status_code == 200, closed.json
    assert closed.json["state"] == "closed" and closed.json["waybill"] == FACTORY_WAYBILL
    assert closed.json["carrier"] == "顺丰" and closed.json["shipped_at"]
    factory_number = closed.json["number"]
    assert _shipments(app, "hq_factory") == [(factory_number, "shipped", FACTORY_WAYBILL, "顺丰", True, 20)]
    units = _units(app, SERIALS)
    assert {u.state for u in units.values()} == {"at_factory"}
    assert all(u.dispatched_at is not None and u.factory_due is not None for u in units.values())
    assert clerk.get("/api/v1/repairs/boxes?state=open").json == []

    # Lookup finds the units by the outbound waybill and by the shipment number (API and page).
    for q in (FACTORY_WAYBILL, factory_number, FACTORY_WAYBILL.lower()):
        found = clerk.get("/api/v1/repairs/units", query_string={"q": q})
        assert found.status_code == 200 and sorted(u["serial"] for u in found.json) == SERIALS, q
    desk = login("service")
    page = desk.get("/repairs/lookup", query_string={"q": FACTORY_WAYBILL}).get_data(as_text=True)
    assert "20 units found" in page and "BX001" in page and "BX020" in page

    # Back from the factory, then "Ship to dealer": one box for the dealer.
    for serial in SERIALS:
        r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": serial})
        assert r.status_code == 200 and r.json["unit"]["state"] == "ready_to_ship", r.json
    for i, serial in enumerate(SERIALS, start=1):
        r = clerk.post("/api/v1/repairs/scan", json={"mode": "ship", "code": serial})
        assert r.status_code == 200 and r.json["status"] == "done", r.json
        assert r.json["box"]["count"] == i and r.json["box"]["destination"] == "北京数码科技有限公司"
        assert r.json["unit"]["state"] == "ready_to_ship"
        assert "for 北京数码科技有限公司" in r.json["message"] and "shipped" not in r.json["message"].lower()
    dealer_box = r.json["box"]
    # The unit page says the unit waits in the open box (no second way to ship it).
    in_box = login("service", username="desk-box").get(f"/repairs/units/{_units(app, ['BX003'])['BX003'].id}")
    assert f"Packed in the open box {dealer_box['number']}" in in_box.get_data(as_text=True)
    assert {u.shipped_at for u in _units(app, SERIALS).values()} == {None}
    # Before the box leaves the dealer still sees the promise, not a ship date.
    status = _status_page(app, rma)
    assert "Expected back by" in status.get_data(as_text=True) and DEALER_WAYBILL not in status.get_data(as_text=True)

    # Closed from the scan station's page form, with its packing slip offered first.
    clerk_page = login("clerk", username="clerk-closer")
    page = clerk_page.get("/repairs/scan").get_data(as_text=True)
    assert dealer_box["number"] in page and "北京数码科技有限公司" in page
    slip = clerk_page.get(f"/labels/shipment/{dealer_box['number']}/packing-slip")
    assert f"/labels/shipment/{dealer_box['number']}/packing-slip" in page and slip.status_code == 200
    assert slip.mimetype == "application/pdf"
    resp = clerk_page.submit(f"/repairs/boxes/{dealer_box['id']}/close",
                             {"waybill": DEALER_WAYBILL, "carrier": "京东物流"}, form_page="/repairs/scan")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert _shipments(app, "factory_dealer") == [(dealer_box["number"], "shipped", DEALER_WAYBILL, "京东物流", True, 20)]
    assert len(_shipments(app, "hq_factory")) == 1  # two shipments in all, not forty
    units = _units(app, SERIALS)
    assert {u.state for u in units.values()} == {"shipped"}
    assert all(u.shipped_at is not None for u in units.values())

    # The dealer's status page: ship date, courier and waybill instead of "expected back by".
    status = _status_page(app, rma)
    text = status.get_data(as_text=True)
    assert status.status_code == 200
    assert "Expected back by" not in text and "Shipped on" in text
    assert text.count(DEALER_WAYBILL) == 20 and "京东物流" in text
    public = app.test_client().get("/api/v1/repairs/public-status",
                                   query_string={"rma_number": rma, "phone_last4": "5678"})
    assert {(u["waybill"], u["carrier"], u["ship_due"]) for u in public.json["units"]} == {
        (DEALER_WAYBILL, "京东物流", None)}
    assert all(u["shipped_on"] for u in public.json["units"])

    # Lookup by the return waybill; the unit page shows both legs with waybill, carrier and date.
    found = clerk.get("/api/v1/repairs/units", query_string={"q": DEALER_WAYBILL}).json
    assert sorted(u["serial"] for u in found) == SERIALS
    unit_page = desk.get(f"/repairs/units/{units['BX007'].id}").get_data(as_text=True)
    for text in (factory_number, FACTORY_WAYBILL, "顺丰", dealer_box["number"], DEALER_WAYBILL, "京东物流",
                 "To the factory", "Back to the dealer"):
        assert text in unit_page, text
    detail = clerk.get(f"/api/v1/repairs/units/{units['BX007'].id}").json
    assert [(s["leg"], s["number"], s["status"], s["waybill"], s["carrier"], bool(s["shipped_at"]))
            for s in detail["shipments"]] == [
        ("hq_factory", factory_number, "received", FACTORY_WAYBILL, "顺丰", True),
        ("factory_dealer", dealer_box["number"], "shipped", DEALER_WAYBILL, "京东物流", True)]
    timeline = detail["timeline"]
    assert "packed in a box" in unit_page
    assert [e["action"] for e in timeline] == ["declare", "receive", "inspect_ok", "pack", "dispatch",
                                               "factory_repaired", "pack", "ship"]


def test_dealer_page_in_chinese_names_the_courier_and_waybill(app, world, shipments_ready, api_as):
    rma = _parcel_of_accepted_units(app, world, ["ZH1"])
    clerk = api_as("clerk")
    box = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "ZH1"}).json["box"]
    assert clerk.post(f"/api/v1/repairs/boxes/{box['id']}/close",
                      json={"waybill": "SF000111222333", "carrier": "顺丰"}).status_code == 200
    clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "ZH1"})
    box = clerk.post("/api/v1/repairs/scan", json={"mode": "ship", "code": "ZH1"}).json["box"]
    assert clerk.post(f"/api/v1/repairs/boxes/{box['id']}/close",
                      json={"waybill": "SF000111222444", "carrier": "顺丰"}).status_code == 200
    page = _status_page(app, rma, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "SF000111222444" in page and "运单号" in page and "快递公司" in page and "发货日期" in page


def test_one_open_box_per_destination(app, world, shipments_ready, api_as):
    """Units for two dealers go into two boxes; the Taiwan route's units into the Taiwan repairer's box."""
    _parcel_of_accepted_units(app, world, ["D1A", "D1B"])
    _parcel_of_accepted_units(app, world, ["D2A"], dealer=world.dealer_sh)
    clerk = api_as("clerk")
    boxes = {}
    for serial in ("D1A", "D1B", "D2A"):
        r = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": serial})
        boxes[serial] = r.json["box"]["id"]
    assert len(set(boxes.values())) == 1  # one factory, one box
    number = clerk.get("/api/v1/repairs/boxes").json[0]["number"]
    clerk.post(f"/api/v1/repairs/boxes/{boxes['D1A']}/close", json={"waybill": "SF5550001", "carrier": "顺丰"})
    for serial in ("D1A", "D1B", "D2A"):
        clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": serial})
        r = clerk.post("/api/v1/repairs/scan", json={"mode": "ship", "code": serial})
        boxes[serial] = (r.json["box"]["id"], r.json["box"]["destination"])
    assert boxes["D1A"] == boxes["D1B"] and boxes["D1A"][0] != boxes["D2A"][0]
    assert boxes["D2A"][1] == "上海存储商行"
    open_boxes = clerk.get("/api/v1/repairs/boxes", query_string={"state": "open"}).json
    assert sorted((b["destination"], b["count"]) for b in open_boxes) == [("上海存储商行", 1), ("北京数码科技有限公司", 2)]
    assert number not in {b["number"] for b in open_boxes}
    # A closed box is over: the next scan for that destination opens a new one.
    r = clerk.get("/api/v1/repairs/boxes", query_string={"state": "closed"})
    assert r.status_code == 422


def test_closing_twice_an_empty_box_and_wrong_input_are_refused_and_change_nothing(
        app, world, shipments_ready, api_as, login):
    rma = _parcel_of_accepted_units(app, world, ["W1", "W2"])
    clerk = api_as("clerk")
    box = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "W1"}).json["box"]
    url = f"/api/v1/repairs/boxes/{box['id']}/close"
    before = _snapshot(app)
    wrong = [
        ({"waybill": "", "carrier": "顺丰"}, "waybill"),
        ({"waybill": "   ", "carrier": "顺丰"}, "waybill"),
        ({"waybill": box["number"], "carrier": "顺丰"}, "waybill"),  # Depot's own box label
        ({"waybill": rma, "carrier": "顺丰"}, "waybill"),  # the parcel's RMA label
        ({"waybill": "W1", "carrier": "顺丰"}, "waybill"),  # a unit of the box
        ({"waybill": "SF12", "carrier": "顺丰"}, "waybill"),  # too short to be a waybill
        ({"waybill": "SF1234567890/123", "carrier": "顺丰"}, "waybill"),
        ({"waybill": "SF" + "1" * 60, "carrier": "顺丰"}, "waybill"),
        ({"waybill": "SF1234567890123", "carrier": ""}, "carrier"),
        ({"waybill": "SF1234567890123", "carrier": "SF1234567890123"}, "carrier"),  # the waybill scanned twice
        ({"waybill": "SF1234567890123", "carrier": "12345"}, "carrier"),
        ({"waybill": "SF1234567890123", "carrier": "顺" * 61}, "carrier"),
    ]
    for body, field in wrong:
        r = clerk.post(url, json=body)
        assert r.status_code == 422, (body, r.status_code, r.json)
        assert field in r.json["errors"] and r.json["message"], (body, r.json)
    assert clerk.post(url, json={"carrier": "顺丰"}).status_code == 422
    assert clerk.post(url, data="not json", headers={"Content-Type": "application/json"}).status_code in (400, 422)
    assert _snapshot(app) == before

    # A waybill already on another shipment: 409, nothing changed.
    from core.accounts.service import get_user
    from core.extensions import db
    from shipments import service as shipments

    with app.app_context():
        other = shipments.create_shipment(get_user("api-clerk"), leg="hq_factory",
                                          lines=[{"kind": "unit", "serial": "ELSEWHERE1"}])
        shipments.mark_shipped(get_user("api-clerk"), other, waybill="SF9990001", carrier="顺丰")
        db.session.commit()
    before = _snapshot(app)
    r = clerk.post(url, json={"waybill": "sf 999 0001", "carrier": "顺丰"})
    assert r.status_code == 409 and "SF9990001" in r.json["message"]
    assert _snapshot(app) == before

    # The page form says what is wrong, and changes nothing.
    page_clerk = login("clerk", username="clerk-form")
    resp = page_clerk.submit(f"/repairs/boxes/{box['id']}/close", {"waybill": "W1", "carrier": "顺丰"},
                             form_page="/repairs/scan", follow_redirects=True)
    assert resp.history[0].status_code == 303 and resp.request.path == "/repairs/scan"
    assert "not the carrier" in resp.get_data(as_text=True)
    assert _snapshot(app) == before

    assert clerk.post(url, json={"waybill": "SF1234567890123", "carrier": "顺丰"}).status_code == 200
    after_close = _snapshot(app)
    again = clerk.post(url, json={"waybill": "SF1234567890999", "carrier": "顺丰"})
    assert again.status_code == 409 and "already closed" in again.json["message"], again.json
    resp = page_clerk.submit(f"/repairs/boxes/{box['id']}/close", {"waybill": "SF1234567890999", "carrier": "顺丰"},
                             form_page="/repairs/scan", follow_redirects=True)
    assert resp.history[0].status_code == 303 and "already closed" in resp.get_data(as_text=True)
    assert _snapshot(app) == after_close
    assert clerk.post("/api/v1/repairs/boxes/999999/close", json={"waybill": "SF1234567890123",
                                                                  "carrier": "顺丰"}).status_code == 404

    # An empty box (its units taken out) cannot be closed.
    from core.errors import ValidationFailed
    from repairs.boxes import close_box
    from shipments.models import Shipment

    with app.app_context():
        empty = Shipment(number="SH9999-00001", leg="hq_factory", status="packed", box_key="hq_factory:factory:0")
        db.session.add(empty)
        db.session.commit()
        empty_id = empty.id
    before = _snapshot(app)
    r = clerk.post(f"/api/v1/repairs/boxes/{empty_id}/close", json={"waybill": "SF1234567890555", "carrier": "顺丰"})
    assert r.status_code == 422 and "empty" in r.json["message"], r.json
    assert _snapshot(app) == before
    with app.app_context(), pytest.raises(ValidationFailed):
        close_box(get_user("api-clerk"), db.session.get(Shipment, empty_id), waybill="SF1234567890555", carrier="顺丰")


def test_units_leave_only_with_the_box_and_other_paths_keep_their_waybill(app, world, shipments_ready, api_as):
    """A unit in an open box is not dispatched another way; a direct dispatch with a waybill is shipped."""
    _parcel_of_accepted_units(app, world, ["P1", "P2"])
    clerk = api_as("clerk")
    clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "P1"})
    r = clerk.post("/api/v1/repairs/dispatches", json={"serials": ["P1"], "carrier": "顺丰", "waybill": "SF7770001"})
    assert r.status_code == 409 and "P1" in r.json["message"]
    r = clerk.post("/api/v1/repairs/dispatches", json={"serials": ["P2"], "waybill": "SF7770002"})
    assert r.status_code == 422 and "carrier" in r.json["errors"]
    r = clerk.post("/api/v1/repairs/dispatches", json={"serials": ["P2"], "carrier": "顺丰", "waybill": "SF7770002"})
    assert r.status_code == 201
    shipments = {number: (status, waybill, shipped) for number, status, waybill, _c, shipped, _n
                 in _shipments(app, "hq_factory")}
    assert shipments[r.json["number"]] == ("shipped", "SF7770002", True)
    # Scanning P2 now: it already left (no box).
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "P2"})
    assert r.json.get("box") is None and r.json.get("status") != "done"


def _scan_in_thread(app, username, serial, mode, results, key, hold=None, started=None):
    from core.accounts.service import get_user
    from core.extensions import db
    from repairs import scan as station

    with app.app_context():
        try:
            results[key] = station.scan(get_user(username), mode=mode, code=serial)["status"]
            if started is not None:
                started.set()
            if hold:
                threading.Event().wait(hold)  # keep the transaction (and its locks) open
            db.session.commit()
        except Exception as exc:  # the test reports it
            db.session.rollback()
            results[key] = repr(exc)
            if started is not None:
                started.set()


def test_two_scans_of_one_unit_at_once_make_one_box_line(app, world, shipments_ready):
    from core.accounts.service import create_user
    from core.extensions import db
    from shipments.models import Shipment, ShipmentLine

    _parcel_of_accepted_units(app, world, ["C1"])
    with app.app_context():
        create_user("clerk-c", "clerk-c-pass-123", ["clerk"])
        db.session.commit()
    started, results = threading.Event(), {}
    first = threading.Thread(target=_scan_in_thread, args=(app, "clerk-c", "C1", "to_factory", results, "first", 0.8,
                                                           started))
    first.start()
    assert started.wait(20)
    second = threading.Thread(target=_scan_in_thread, args=(app, "clerk-c", "C1", "to_factory", results, "second"))
    second.start()
    first.join(60)
    second.join(60)
    assert results == {"first": "done", "second": "already_done"}
    assert _count(app, ShipmentLine, ShipmentLine.serial == "C1") == 1
    assert _count(app, Shipment) == 1


def test_two_units_opening_the_first_box_at_once_make_one_box(app, world, shipments_ready):
    from core.accounts.service import create_user
    from core.extensions import db
    from shipments.models import Shipment, ShipmentLine

    _parcel_of_accepted_units(app, world, ["O1", "O2"])
    with app.app_context():
        create_user("clerk-o", "clerk-o-pass-123", ["clerk"])
        db.session.commit()
    started, results = threading.Event(), {}
    first = threading.Thread(target=_scan_in_thread, args=(app, "clerk-o", "O1", "to_factory", results, "first", 0.8,
                                                           started))
    first.start()
    assert started.wait(20)
    second = threading.Thread(target=_scan_in_thread, args=(app, "clerk-o", "O2", "to_factory", results, "second"))
    second.start()
    first.join(60)
    second.join(60)
    assert results == {"first": "done", "second": "done"}
    assert _count(app, Shipment) == 1 and _count(app, ShipmentLine) == 2


def test_a_box_shipped_from_the_shipments_page_takes_its_units_along(app, world, shipments_ready, api_as):
    _parcel_of_accepted_units(app, world, ["S1", "S2"])
    clerk = api_as("clerk")
    for serial in ("S1", "S2"):
        box = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": serial}).json["box"]
    from core.accounts.service import get_user
    from core.extensions import db
    from shipments import lookup
    from shipments import service as shipments

    with app.app_context():
        shipment = lookup.shipment_by_number(box["number"])
        shipments.mark_shipped(get_user("api-clerk"), shipment, waybill="YT8880001", carrier="圆通")
        db.session.commit()
    assert {u.state for u in _units(app, ["S1", "S2"]).values()} == {"at_factory"}
    assert clerk.get("/api/v1/repairs/boxes").json == []
    r = clerk.post(f"/api/v1/repairs/boxes/{box['id']}/close", json={"waybill": "YT8880002", "carrier": "圆通"})
    assert r.status_code == 409
