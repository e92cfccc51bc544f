"""The whole way: dealer's parcel -> factory -> back to the dealer, with shipments and outcomes."""
from __future__ import annotations

import pytest


@pytest.fixture()
def accepted(app, world, api_as):
    """Three accepted units of one parcel; returns (clerk api, rma)."""
    desk, clerk = api_as("service"), api_as("clerk")
    rma = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "inbound_waybill": "SF100", "lines": [
        {"model": "SSD", "serial": s} for s in ("F1", "F2", "F3")]}).json["rma_number"]
    for s in ("F1", "F2", "F3"):
        assert clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": s}).json["status"] == "done"
        assert clerk.post("/api/v1/repairs/scan", json={"mode": "inspect", "code": s}).json["status"] == "done"
    return clerk, rma


def test_factory_round_trip(app, shipments_ready, accepted, api_as):
    clerk, rma = accepted
    resp = clerk.post("/api/v1/repairs/dispatches", json={"serials": ["F1", "F2"], "carrier": "顺丰", "waybill": "SF2001"})
    assert resp.status_code == 201, resp.json
    number = resp.json["number"]
    assert number.startswith("SH") and {u["state"] for u in resp.json["units"]} == {"at_factory"}
    # One scan packs the third unit into the factory's open box; it leaves when the box is closed.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "F3"})
    assert r.json["status"] == "done" and r.json["shipment"] != number and r.json["unit"]["state"] == "inspected"
    again = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "F3"})
    assert again.json["status"] == "already_done"
    closed = clerk.post(f"/api/v1/repairs/boxes/{r.json['box']['id']}/close", json={"waybill": "SF2002", "carrier": "顺丰"})
    assert closed.status_code == 200 and closed.json["state"] == "closed", closed.json
    with app.app_context():
        from shipments.lookup import shipment_by_number

        shipment = shipment_by_number(number)
        assert shipment.leg == "hq_factory"
        assert sorted((l.kind, l.serial, l.ref_type) for l in shipment.lines) == [
            ("unit", "F1", "repair_unit"), ("unit", "F2", "repair_unit")]
    # Outcomes: repaired (scan default), replaced (two scans), unrepairable and returned as is.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "F1"})
    assert r.json["unit"]["state"] == "ready_to_ship"
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "F2", "outcome": "replaced"})
    assert r.json["status"] == "needs_input" and r.json["unit"]["state"] == "at_factory"
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "F2", "outcome": "replaced",
                                                  "replacement_serial": "F2-NEW"})
    assert r.json["status"] == "done" and r.json["unit"]["replacement_serial"] == "F2-NEW"
    unit3 = clerk.get("/api/v1/repairs/units?q=F3").json[0]
    r = clerk.post(f"/api/v1/repairs/units/{unit3['id']}/factory-return", json={"outcome": "unrepairable"})
    assert r.status_code == 200 and r.json["outcome"] == "unrepairable" and r.json["state"] == "ready_to_ship"
    # The replacement serial finds the faulty unit it replaced.
    found = clerk.get("/api/v1/repairs/units?q=F2-NEW").json
    assert [u["serial"] for u in found] == ["F2"]
    # Ship back: the replacement is scanned into the dealer's box, shipped when the box is closed.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "ship", "code": "F2-NEW"})
    assert r.status_code == 200 and r.json["unit"]["state"] == "ready_to_ship", r.json
    closed = clerk.post(f"/api/v1/repairs/boxes/{r.json['box']['id']}/close", json={"waybill": "SF3002", "carrier": "顺丰"})
    assert closed.status_code == 200 and closed.json["serials"] == ["F2-NEW"], closed.json
    assert clerk.get("/api/v1/repairs/units?q=F2-NEW").json[0]["state"] == "shipped"
    resp = clerk.post("/api/v1/repairs/returns", json={"serials": ["F1", "F3"], "waybill": "SF3001", "carrier": "顺丰"})
    assert resp.status_code == 201, resp.json
    with app.app_context():
        from shipments.lookup import shipment_by_number

        back = shipment_by_number(resp.json["number"])
        assert back.leg == "factory_dealer" and back.dealer_id is not None
    detail = clerk.get(f"/api/v1/repairs/units/{unit3['id']}").json
    assert [e["action"] for e in detail["timeline"]] == ["declare", "receive", "inspect_ok", "pack", "dispatch",
                                                          "factory_unrepairable", "ship"]
    assert all(e["actor_name"] for e in detail["timeline"])


def test_scrap_needs_the_dealers_consent(app, shipments_ready, accepted):
    clerk, _rma = accepted
    assert clerk.post("/api/v1/repairs/dispatches", json={"serials": ["F1"]}).status_code == 201
    unit = clerk.get("/api/v1/repairs/units?q=F1").json[0]
    r = clerk.post(f"/api/v1/repairs/units/{unit['id']}/factory-return", json={"outcome": "unrepairable", "scrap": True})
    assert r.status_code == 422 and "consent" in r.json["message"]
    r = clerk.post(f"/api/v1/repairs/units/{unit['id']}/factory-return", json={"outcome": "repaired", "scrap": True})
    assert r.status_code == 422
    r = clerk.post(f"/api/v1/repairs/units/{unit['id']}/factory-return",
                   json={"outcome": "unrepairable", "scrap": True, "note": "代理商王先生电话同意报废"})
    assert r.status_code == 200 and r.json["state"] == "scrapped"


def test_mixed_dealers_cannot_share_a_return_shipment(app, shipments_ready, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    for dealer, serial in ((world.dealer_bj, "M1"), (world.dealer_sh, "M2")):
        desk.post("/api/v1/repairs/parcels", json={"dealer_id": dealer, "lines": [{"model": "X", "serial": serial}]})
        for mode in ("receive", "inspect", "to_factory", "from_factory"):
            r = clerk.post("/api/v1/repairs/scan", json={"mode": mode, "code": serial})
            assert r.status_code == 200
            if mode == "to_factory":  # the unit leaves with its box
                assert clerk.post(f"/api/v1/repairs/boxes/{r.json['box']['id']}/close",
                                  json={"waybill": f"SF-{serial}-0001", "carrier": "顺丰"}).status_code == 200
    r = clerk.post("/api/v1/repairs/returns", json={"serials": ["M1", "M2"]})
    assert r.status_code == 422 and "different dealers" in r.json["message"]
    r = clerk.post("/api/v1/repairs/returns", json={"serials": ["M1", "NOPE"]})
    assert r.status_code == 422 and r.json["errors"]["serials"] == ["NOPE"]


def test_unit_page_steps_and_errors(app, world, login, api_as):
    desk = api_as("service")
    rma = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "X", "serial": "P1"}]}).json["rma_number"]
    client = login("clerk")
    unit_id = desk.get(f"/api/v1/repairs/parcels/{rma}").json["units"][0]["id"]
    page = client.get(f"/repairs/units/{unit_id}").get_data(as_text=True)
    assert "Receive" in page
    resp = client.submit(f"/repairs/units/{unit_id}/inspect", {}, form_page=f"/repairs/units/{unit_id}",
                         follow_redirects=True)
    assert resp.history[0].status_code == 303 and "cannot be" in resp.get_data(as_text=True)
    resp = client.submit(f"/repairs/units/{unit_id}/receive", {}, form_page=f"/repairs/units/{unit_id}")
    assert resp.status_code == 302
    resp = client.submit(f"/repairs/units/{unit_id}/inspect", {"out_of_warranty": "1", "route": "FAC"},
                         form_page=f"/repairs/units/{unit_id}")
    assert resp.status_code == 302
    page = client.get(f"/repairs/units/{unit_id}").get_data(as_text=True)
    assert "awaiting dealer" in page and "no price on the list" not in page  # the detail lives on the task
    assert "accept at inspection" not in page and "inspect with a problem" in page


def test_receipt_shows_the_data_wipe_notice(app, world, login, api_as):
    rma = api_as("service").post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "X", "serial": "R1"}]}).json["rma_number"]
    client = login("service")
    parcel_page = client.get(f"/repairs/parcels/{rma}").get_data(as_text=True)
    assert f"/labels/rma/{rma}" in parcel_page
    page = client.get(f"/repairs/parcels/{rma}/receipt").get_data(as_text=True)
    assert rma in page and "R1" in page
    assert "2011年12月15日" in page and "back up your data" in page
    assert "<script>" not in page
