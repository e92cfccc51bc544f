"""Shipment legs stay inside the actor's office, and ship / receive / edit happen once.

- An office user cannot send another office's stock (or HQ's) anywhere, nor start
  an HQ departure; only HQ staff send stock from HQ. Page and API alike.
- Two identical ship or receive requests at once: one succeeds, the other gets a
  409, the stock moves once, nothing answers 500 (real HTTP, two threads).
"""
from __future__ import annotations

import pytest

from tests.shipments.conftest import balance, count_rows, stock
from tests.live import LiveServer, bearer, twice

SD = [{"kind": "part", "sku": "CAP-10", "quantity": 2}]


def _office_balance(app, office_id, sku="CAP-10"):
    from inventory import access
    from inventory import service as inv

    with app.app_context():
        return inv.balance_of(access.office_location(office_id).id, inv.part_by_sku(sku).id)


def _stock_offices(app, world):
    from core.extensions import db
    from inventory import access

    with app.app_context():
        codes = (access.office_location(world.bj).code, access.office_location(world.sh).code)
        db.session.commit()
    stock(app, "CAP-10", codes[0], 5)
    stock(app, "CAP-10", codes[1], 5)
    stock(app, "CAP-10", "HQ", 5)
    return codes


def test_an_office_cannot_move_another_offices_stock_through_a_leg(app, world, api_as):
    from shipments.models import Shipment

    off_bj, off_sh = _stock_offices(app, world)
    sh_office = api_as("office", office_id=world.sh)
    # The attack: Shanghai names Beijing's location as the origin of its own office -> HQ leg.
    resp = sh_office.post("/api/v1/shipments", json={"leg": "office_hq", "office_id": world.sh,
                                                     "from_location": off_bj, "to_location": off_sh, "lines": SD})
    assert resp.status_code == 403, resp.get_json()
    # Its own location as origin but another office (or its own) as the destination of a leg to HQ.
    resp = sh_office.post("/api/v1/shipments", json={"leg": "office_hq", "office_id": world.sh,
                                                     "from_location": off_sh, "to_location": off_bj, "lines": SD})
    assert resp.status_code == 403
    # HQ -> office: an HQ departure, HQ staff only (spares come through a spare request).
    resp = sh_office.post("/api/v1/shipments", json={"leg": "hq_office", "office_id": world.sh, "lines": SD})
    assert resp.status_code == 403
    assert count_rows(app, Shipment) == 0
    assert _office_balance(app, world.bj) == 5 and balance(app, "CAP-10", "hq_store") == 5
    # What an office may do: send its own stock to HQ.
    ok = sh_office.post("/api/v1/shipments", json={"leg": "office_hq", "office_id": world.sh, "lines": SD})
    assert ok.status_code == 201, ok.get_json()
    number = ok.get_json()["number"]
    assert sh_office.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "SH-1", "carrier": "SF"}).status_code == 200
    # ... but HQ receives it, not the office.
    assert sh_office.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "CAP-10", "quantity": 2}]}).status_code == 403
    clerk = api_as("clerk")
    assert clerk.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "CAP-10", "quantity": 2}]}).status_code == 201
    assert _office_balance(app, world.sh) == 3 and balance(app, "CAP-10", "hq_store") == 7
    assert _office_balance(app, world.bj) == 5


def test_hq_staff_legs_keep_to_their_offices(app, world, api_as):
    off_bj, off_sh = _stock_offices(app, world)
    clerk = api_as("clerk")
    # A leg for Shanghai's office cannot start from Beijing's stock, even for HQ staff.
    resp = clerk.post("/api/v1/shipments", json={"leg": "office_hq", "office_id": world.sh,
                                                 "from_location": off_bj, "lines": SD})
    assert resp.status_code == 422 and "from_location" in resp.get_json()["errors"]
    resp = clerk.post("/api/v1/shipments", json={"leg": "hq_office", "office_id": world.sh,
                                                 "to_location": off_bj, "lines": SD})
    assert resp.status_code == 422 and "to_location" in resp.get_json()["errors"]
    ok = clerk.post("/api/v1/shipments", json={"leg": "hq_office", "office_id": world.sh, "lines": SD})
    assert ok.status_code == 201
    number = ok.get_json()["number"]
    assert clerk.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "HQ-1", "carrier": "SF"}).status_code == 200
    # Beijing cannot receive Shanghai's parcel; Shanghai can.
    bj = api_as("office", office_id=world.bj, username="bj-api")
    assert bj.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "CAP-10"}]}).status_code == 403
    sh_office = api_as("office", office_id=world.sh, username="sh-api")
    assert sh_office.post(f"/api/v1/shipments/{number}/receive",
                          json={"scans": [{"code": "CAP-10", "quantity": 2}]}).status_code == 201
    assert _office_balance(app, world.sh) == 7 and balance(app, "CAP-10", "hq_store") == 3


def test_an_office_edit_or_ship_of_an_hq_departure_is_refused(app, world, api_as, login):
    _stock_offices(app, world)
    clerk = api_as("clerk")
    number = clerk.post("/api/v1/shipments", json={"leg": "hq_office", "office_id": world.sh,
                                                   "lines": SD}).get_json()["number"]
    sh_office = api_as("office", office_id=world.sh)
    assert sh_office.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "X-1", "carrier": "SF"}).status_code == 403
    assert sh_office.patch(f"/api/v1/shipments/{number}", json={"freight_cost": "1"}).status_code == 403
    page = login("office", username="sh-page", office_id=world.sh)
    resp = page.submit(f"/shipments/{number}/ship", {"waybill": "X-2", "carrier": "SF"}, form_page=f"/shipments/{number}")
    assert resp.status_code == 403
    assert clerk.get(f"/api/v1/shipments/{number}").get_json()["status"] == "packed"
    assert balance(app, "CAP-10", "hq_store") == 5
    # The page refuses the attack the API refused.
    form = page.submit("/shipments/new", {"leg": "hq_office", "office_id": str(world.sh), "parts": "CAP-10 2"})
    assert form.status_code == 403


@pytest.mark.parametrize("step", ["ship", "receive"])
def test_two_identical_requests_at_once_move_the_stock_once(app, world, api_as, step):
    from sqlalchemy import func, select

    from core.extensions import db
    from inventory.models import Movement
    from shipments.models import ShipmentReceipt

    stock(app, "CAP-10", "HQ", 5)
    clerk = api_as("clerk", username="clerk-api")
    number = clerk.post("/api/v1/shipments", json={"leg": "hq_factory", "lines": SD}).get_json()["number"]
    if step == "receive":
        assert clerk.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "W-1", "carrier": "SF"}).status_code == 200
        body = {"scans": [{"code": "CAP-10", "quantity": 2}]}
    else:
        body = {"waybill": "W-1", "carrier": "SF"}
    headers = [bearer(app, "clerk"), bearer(app, "clerk")]
    with LiveServer(app) as server:
        answers = twice("POST", f"{server.url}/api/v1/shipments/{number}/{step}", headers, json=body)
    statuses = sorted(getattr(a, "status_code", a) for a in answers)
    assert statuses == ([200, 409] if step == "ship" else [201, 409]), [getattr(a, "text", a) for a in answers]
    assert balance(app, "CAP-10", "hq_store") == 3
    assert balance(app, "CAP-10", "transit") == (2 if step == "ship" else 0)
    assert balance(app, "CAP-10", "factory_shipping") == (0 if step == "ship" else 2)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Movement)) == (2 if step == "ship" else 3)
        assert db.session.scalar(select(func.count()).select_from(ShipmentReceipt)) == (0 if step == "ship" else 1)


def test_receiving_while_it_is_being_shipped_posts_from_the_right_place(app, world, user):
    """A receipt read before a concurrent 'ship' committed is refused, not booked from the origin."""
    from core.errors import InvalidTransition
    from core.extensions import db
    from shipments import lookup, receiving, service

    stock(app, "CAP-10", "HQ", 5)
    with app.app_context():
        s = service.create_shipment(user("clerk"), leg="hq_factory", lines=SD)
        db.session.commit()
        number = s.number
    with app.app_context():
        stale = lookup.get_shipment(user("clerk"), number)
        assert stale.status == "packed"
        # Someone else ships it in another transaction meanwhile.
        with app.app_context():
            other = lookup.get_shipment(user("clerk"), number)
            service.mark_shipped(user("clerk"), other, waybill="W-9", carrier="SF")
            db.session.commit()
        with pytest.raises(InvalidTransition):
            receiving.receive_shipment(user("clerk"), stale, ["CAP-10", "CAP-10"])
        db.session.rollback()
    assert balance(app, "CAP-10", "transit") == 2 and balance(app, "CAP-10", "hq_store") == 3


def test_one_waybill_names_one_parcel_even_when_given_at_once(app, world, api_as):
    from sqlalchemy import func, select

    from core.extensions import db
    from shipments.models import Shipment

    clerk = api_as("clerk", username="clerk-api")
    numbers = [clerk.post("/api/v1/shipments", json={"leg": "hq_factory", "lines": [
        {"kind": "unit", "serial": f"WB-U{i}"}]}).get_json()["number"] for i in range(2)]
    headers = [bearer(app, "clerk"), bearer(app, "clerk")]
    with LiveServer(app) as server:
        import threading

        import requests

        barrier, out = threading.Barrier(2), [None, None]

        def ship(i):
            barrier.wait(30)
            out[i] = requests.post(f"{server.url}/api/v1/shipments/{numbers[i]}/ship", headers=headers[i], timeout=120,
                                   json={"waybill": "SAME-WB", "carrier": "SF"})

        threads = [threading.Thread(target=ship, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert sorted(r.status_code for r in out) == [200, 409], [r.text for r in out]
        # Two new parcels packed at once with the same unit: one of them gets it.
        answers = twice("POST", f"{server.url}/api/v1/shipments", headers,
                        json={"leg": "hq_factory", "waybill": "NEW-WB", "lines": [{"kind": "unit", "serial": "SAME-U"}]})
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shipment).where(Shipment.waybill == "SAME-WB")) == 1
        assert db.session.scalar(select(func.count()).select_from(Shipment).where(Shipment.waybill == "NEW-WB")) == 1
