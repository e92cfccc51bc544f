"""The shipments API over HTTP: create, list, ship, receive, freight bills; refusals change nothing."""
from __future__ import annotations

import io

import pytest

from tests.shipments.conftest import balance, count_rows


def _create(api, **extra):
    body = {"leg": "dealer_hq", "dealer_id": extra.pop("dealer_id"), "carrier": "顺丰",
            "lines": [{"kind": "unit", "serial": "API-1", "model": "DT"},
                      {"kind": "unit", "serial": "API-2", "model": "DT"}]}
    body.update(extra)
    return api.post("/api/v1/shipments", json=body)


def test_create_list_get_ship_and_receive(app, world, api_as):
    api = api_as("clerk")
    resp = _create(api, dealer_id=world.dealer_bj, freight_cost="12.5")
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    number = created["number"]
    assert created["status"] == "packed" and created["freight_cost"] == "12.50"
    assert [line["serial"] for line in created["lines"]] == ["API-1", "API-2"]

    listing = api.get("/api/v1/shipments?leg=dealer_hq&status=packed").get_json()
    assert len(listing["items"]) == 1 and listing["items"][0]["number"] == number and listing["next"] is None
    assert len(api.get("/api/v1/shipments?q=api-2").get_json()["items"]) == 1
    assert api.get("/api/v1/shipments?status=lost").status_code == 422

    shipped = api.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "SF100", "carrier": "顺丰"})
    assert shipped.status_code == 200 and shipped.get_json()["status"] == "shipped"
    assert api.get("/api/v1/shipments/lookup?code=sf100").get_json()["number"] == number
    assert api.get("/api/v1/shipments/lookup?code=NOPE").status_code == 404

    check = api.post(f"/api/v1/shipments/{number}/receive/check", json={"scans": [{"code": "API-1"}, {"code": "ZZZ"}]})
    assert check.status_code == 200
    kinds = sorted(f["kind"] for f in check.get_json()["findings"])
    assert kinds == ["extra", "missing"]
    assert api.get(f"/api/v1/shipments/{number}").get_json()["status"] == "shipped"  # a check saves nothing

    received = api.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "API-1"}, {"code": "API-2"}]})
    assert received.status_code == 201 and received.get_json()["clean"] is True
    assert api.get(f"/api/v1/shipments/{number}/receipt").get_json()["shipment"]["status"] == "received"
    again = api.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "API-1"}]})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"
    # Refused in words (its state, nothing may follow), and nothing changed.
    assert f"{number} is received" in again.get_json()["message"] and again.get_json()["allowed"] == []
    before = api.get(f"/api/v1/shipments/{number}").get_json()
    reship = api.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "SF999", "carrier": "顺丰"})
    assert reship.status_code == 409 and reship.get_json()["code"] == "invalid_transition"
    assert reship.get_json()["current_state"] == "received" and "“ship”" in reship.get_json()["message"]
    assert api.get(f"/api/v1/shipments/{number}").get_json() == before


@pytest.mark.parametrize("body, status", [
    ({"leg": "dealer_hq", "lines": []}, 422),
    ({"leg": "nowhere", "lines": [{"kind": "unit", "serial": "A"}]}, 422),
    ({"leg": "hq_factory", "lines": [{"kind": "unit", "serial": "A"}], "colour": "red"}, 422),
    ({"leg": "hq_factory", "lines": [{"kind": "unit", "serial": "A"}], "freight_cost": "abc"}, 422),
    ({"leg": "hq_factory", "lines": [{"kind": "part", "sku": "NOPE", "quantity": 1}]}, 422),
    ({"leg": "dealer_hq", "lines": [{"kind": "unit", "serial": "A"}]}, 422),
    ({"leg": "hq_factory", "lines": [{"kind": "unit", "serial": "A"}], "from_location": "NOWHERE"}, 422),
])
def test_bad_create_requests_are_4xx_and_write_nothing(app, world, api_as, body, status):
    from shipments.models import Shipment

    resp = api_as("clerk").post("/api/v1/shipments", json=body)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["code"] == "validation_error"
    assert count_rows(app, Shipment) == 0


def test_not_json_and_bad_ship_requests_change_nothing(app, world, api_as):
    api = api_as("clerk")
    resp = api.post("/api/v1/shipments", data="{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    number = _create(api, dealer_id=world.dealer_bj).get_json()["number"]
    for body in ({"waybill": "", "carrier": "x"}, {"waybill": "W", "carrier": "x", "shipped_at": "yesterday"},
                 {"waybill": "W", "carrier": "x", "freight_cost": -1}, {"waybill": "W"}):
        assert api.post(f"/api/v1/shipments/{number}/ship", json=body).status_code == 422, body
    assert api.get(f"/api/v1/shipments/{number}").get_json()["status"] == "packed"
    assert api.post("/api/v1/shipments/SH0000-99999/ship", json={"waybill": "W", "carrier": "x"}).status_code == 404
    bad_scan = api.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "A", "quantity": 0}]})
    assert bad_scan.status_code == 422
    assert api.patch(f"/api/v1/shipments/{number}", json={"pieces": 0}).status_code == 422
    ok = api.patch(f"/api/v1/shipments/{number}", json={"pieces": 3, "freight_cost": "9.90"})
    assert ok.status_code == 200 and ok.get_json()["pieces"] == 3


def test_api_with_parts_posts_movements(app, world, api_as):
    api = api_as("clerk")
    resp = api.post("/api/v1/shipments", json={"leg": "vendor_factory", "vendor_id": world.vendor,
                                               "lines": [{"kind": "part", "sku": "CBL-20", "quantity": 4}]})
    assert resp.status_code == 201, resp.get_json()
    number = resp.get_json()["number"]
    assert resp.get_json()["lines"][0]["sku"] == "CBL-20"
    api.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "DB1", "carrier": "德邦"})
    api.post(f"/api/v1/shipments/{number}/receive", json={"scans": [{"code": "CBL-20", "quantity": 3}]})
    assert balance(app, "CBL-20", "factory_shipping") == 3 and balance(app, "CBL-20", "transit") == 1


def test_office_users_see_only_their_office(app, world, api_as):
    clerk = api_as("clerk")
    bj_number = clerk.post("/api/v1/shipments", json={
        "leg": "hq_office", "office_id": world.bj, "lines": [{"kind": "unit", "serial": "O-1"}]}).get_json()["number"]
    sh_number = clerk.post("/api/v1/shipments", json={
        "leg": "hq_office", "office_id": world.sh, "lines": [{"kind": "unit", "serial": "O-2"}]}).get_json()["number"]
    bj = api_as("office", office_id=world.bj)
    assert [s["number"] for s in bj.get("/api/v1/shipments").get_json()["items"]] == [bj_number]
    assert bj.get(f"/api/v1/shipments/{bj_number}").status_code == 200
    assert bj.get(f"/api/v1/shipments/{sh_number}").status_code == 403
    assert bj.post(f"/api/v1/shipments/{sh_number}/receive", json={"scans": [{"code": "O-2"}]}).status_code == 403
    assert bj.get(f"/api/v1/shipments/lookup?code={sh_number}").status_code == 403
    assert bj.post("/api/v1/shipments", json={"leg": "office_hq", "office_id": world.sh,
                                              "lines": [{"kind": "unit", "serial": "O-3"}]}).status_code == 403
    # Its own receipt works, and nobody else's shipment changed.
    assert bj.post(f"/api/v1/shipments/{bj_number}/receive", json={"scans": [{"code": "O-1"}]}).status_code == 201
    assert clerk.get(f"/api/v1/shipments/{sh_number}").get_json()["status"] == "packed"
    assert api_as("channel").get("/api/v1/shipments").status_code == 403
    assert app.test_client().get("/api/v1/shipments").status_code == 401


def test_freight_bill_api(app, world, api_as):
    clerk = api_as("clerk")
    number = clerk.post("/api/v1/shipments", json={
        "leg": "factory_dealer", "dealer_id": world.dealer_bj, "freight_cost": "10",
        "lines": [{"kind": "unit", "serial": "FB-1"}]}).get_json()["number"]
    clerk.post(f"/api/v1/shipments/{number}/ship", json={"waybill": "SF-FB-1", "carrier": "顺丰",
                                                         "shipped_at": "2026-10-09"})
    sup = api_as("supervisor")
    bad = sup.post("/api/v1/shipments/freight-bills", data={
        "period": "2026-10", "file": (io.BytesIO(b"waybill,amount\nSF-FB-1,x\n"), "bill.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.get_json()["rows"] == [{"line": 2, "reason": "amount x is not a number"}]
    assert len(sup.get("/api/v1/shipments/freight-bills").get_json()["items"]) == 0
    missing = sup.post("/api/v1/shipments/freight-bills", data={"period": "2026-10"},
                       content_type="multipart/form-data")
    assert missing.status_code == 422
    ok = sup.post("/api/v1/shipments/freight-bills", data={
        "period": "2026-10", "file": (io.BytesIO(b"waybill,amount\nSF-FB-1,12\nSF-X,3\n"), "bill.csv")},
        content_type="multipart/form-data")
    assert ok.status_code == 201, ok.get_json()
    bill = ok.get_json()
    assert bill["counts"]["amount_diff"] == 1 and bill["counts"]["no_shipment"] == 1
    assert sup.get(f"/api/v1/shipments/freight-bills/{bill['id']}").get_json()["findings"][0]["shipment_number"] == number
    csv_resp = sup.get(f"/api/v1/shipments/freight-bills/{bill['id']}/export.csv")
    assert csv_resp.status_code == 200 and "SF-FB-1" in csv_resp.get_data().decode("utf-8-sig")
    xlsx = sup.get(f"/api/v1/shipments/freight-bills/{bill['id']}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert clerk.get("/api/v1/shipments/freight-bills").status_code == 403
    assert clerk.get(f"/api/v1/shipments/freight-bills/{bill['id']}/export.csv").status_code == 403
    assert sup.get("/api/v1/shipments/freight-bills/999").status_code == 404


def test_a_search_takes_percent_and_underscore_literally(app, world, api_as):
    api = api_as("clerk")
    assert _create(api, dealer_id=world.dealer_bj).status_code == 201
    assert len(api.get("/api/v1/shipments", query_string={"q": "顺丰"}).get_json()["items"]) == 1
    for literal in ("%", "_", "顺_"):
        assert api.get("/api/v1/shipments", query_string={"q": literal}).get_json()["items"] == [], literal
