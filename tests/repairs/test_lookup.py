"""Status lookup for service staff, the dealer's public page, and office scoping."""
from __future__ import annotations

import re

import pytest


@pytest.fixture()
def two_parcels(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    bj = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "inbound_waybill": "SF555000111",
                                                    "lines": [{"model": "SSD", "serial": "L1"}, {"model": "SSD", "serial": "L2"}]}).json
    sh = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_sh, "inbound_waybill": "YT777",
                                                    "lines": [{"model": "TF", "serial": "L9"}]}).json
    clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "L1"})
    return bj["rma_number"], sh["rma_number"]


@pytest.mark.parametrize("query,expected", [
    ("L1", ["L1"]),
    ("waybill", ["L1", "L2"]),
    ("rma", ["L1", "L2"]),
    ("rma-lower", ["L1", "L2"]),
    ("138-1234-5678", ["L1", "L2"]),
    ("北京数码", ["L1", "L2"]),
    ("上海存储商行", ["L9"]),
    ("nothing-like-this", []),
])
def test_one_box_finds_serial_rma_waybill_phone_and_dealer(app, two_parcels, login, query, expected):
    rma_bj, _ = two_parcels
    query = {"waybill": "SF555000111", "rma": rma_bj, "rma-lower": rma_bj.lower()}.get(query, query)
    client = login("service")
    found = client.get("/api/v1/repairs/units", query_string={"q": query}).json
    assert sorted(u["serial"] for u in found) == expected
    page = client.get("/repairs/lookup", query_string={"q": query}).get_data(as_text=True)
    for serial in expected:
        assert serial in page
    if not expected:
        assert "Nothing found" in page


def test_lookup_shows_state_due_dates_overdue_and_timeline(app, two_parcels, login):
    client = login("service")
    unit = client.get("/api/v1/repairs/units", query_string={"q": "L1"}).json[0]
    assert unit["state"] == "received" and unit["dispatch_due"] and unit["overdue"] is False
    page = client.get("/repairs/lookup", query_string={"q": "L1"}).get_data(as_text=True)
    assert "receive" in page and "clerk" in page  # the timeline names the step and who did it
    assert client.get("/api/v1/repairs/units", query_string={"q": "x" * 101}).status_code == 422


def test_office_users_see_only_their_offices_parcels(app, world, two_parcels, api_as, login):
    rma_bj, rma_sh = two_parcels
    office = api_as("office", username="office-bj", office_id=world.office_bj)
    assert office.get(f"/api/v1/repairs/parcels/{rma_bj}").status_code == 200
    resp = office.get(f"/api/v1/repairs/parcels/{rma_sh}")
    assert resp.status_code == 403
    listed = office.get("/api/v1/repairs/parcels").json
    assert [p["rma_number"] for p in listed["items"]] == [rma_bj]
    assert office.get("/api/v1/repairs/units", query_string={"q": "L9"}).json == []
    # Creating a parcel for another office's dealer is refused.
    resp = office.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_sh, "lines": []})
    assert resp.status_code == 403
    page_client = login("office", username="office-bj2", office_id=world.office_bj)
    assert page_client.get(f"/repairs/parcels/{rma_sh}").status_code == 403
    # Office users do no physical steps.
    assert office.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "L2"}).status_code == 403


def _visible(resp) -> str:
    """The page without attribute values: a random CSRF token may contain "L1"."""
    return re.sub(r'value="[^"]*"', "", resp.get_data(as_text=True))


def test_dealer_status_page_right_pair_wrong_pair_and_rate_limit(app, two_parcels, client):
    rma_bj, rma_sh = two_parcels
    resp = client.submit("/status", {"rma_number": rma_bj.lower(), "phone_last4": "5678"})
    html = _visible(resp)
    assert resp.status_code == 200 and "L1" in html and "L2" in html and "received" in html
    assert "L9" not in html and "138-1234-5678" not in html and "北京数码" not in html
    answers = set()
    for rma, last4 in ((rma_bj, "0000"), (rma_sh, "5678"), ("RMA9999-0001", "5678"), (rma_bj, "abcd")):
        resp = client.submit("/status", {"rma_number": rma, "phone_last4": last4})
        assert resp.status_code == 404
        html = _visible(resp)
        answers.add(html.split('id="status-neutral">')[1].split("<")[0])
        assert "L1" not in html
    assert len(answers) == 1
    # The API answers the same way and shares the limit: 10 per minute per address.
    api = client.get("/api/v1/repairs/public-status", query_string={"rma_number": rma_sh, "phone_last4": "4321"})
    assert api.status_code == 200 and [u["serial"] for u in api.json["units"]] == ["L9"]
    assert set(api.json) == {"rma_number", "units"}
    statuses = [client.submit("/status", {"rma_number": rma_bj, "phone_last4": "5678"}).status_code for _ in range(6)]
    assert statuses[-1] == 429 and 200 in statuses


def test_parcel_list_and_tasks_need_the_right_roles(app, two_parcels, login):
    assert login("finance").get("/repairs/parcels").status_code == 403
    assert login("service").get("/repairs/parcels").status_code == 200
    assert login("clerk").get("/tasks?process=repairs").status_code == 403
    anon = app.test_client()
    assert anon.get("/api/v1/repairs/parcels").status_code == 401
    assert anon.get("/repairs/parcels").status_code == 302


def test_a_dealer_name_is_found_by_its_beginning_with_percent_and_underscore_taken_literally(app, world, api_as):
    from core.directory.models import Dealer
    from core.extensions import db

    with app.app_context():
        for code, name in (("D0091", "A_B 数码"), ("D0092", "AXB 数码"), ("D0093", "折扣100%商行"), ("D0094", "大A_B")):
            db.session.add(Dealer(code=code, name=name, office_id=None))
        db.session.commit()
        ids = {d.name: d.id for d in db.session.scalars(db.select(Dealer))}
    desk = api_as("service")
    for name, serial in (("A_B 数码", "U1"), ("AXB 数码", "U2"), ("折扣100%商行", "U3"), ("大A_B", "U4")):
        desk.post("/api/v1/repairs/parcels", json={"dealer_id": ids[name], "lines": [{"model": "SSD", "serial": serial}]})

    def found(q):
        return sorted(u["serial"] for u in desk.get("/api/v1/repairs/units", query_string={"q": q}).json)

    assert found("A_B") == ["U1"]          # not AXB (the underscore is no wildcard), not 大A_B (a prefix)
    assert found("折扣100%") == ["U3"]
    assert found("折扣1%") == []
