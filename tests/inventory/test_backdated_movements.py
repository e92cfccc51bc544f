"""A movement dated before an accepted count of its location is refused: the count fixed the
ledger as of its time, and a back-dated movement would change what it was charged against."""
from __future__ import annotations

from datetime import timedelta

from core.extensions import db
from core.types import utcnow
from inventory import service
from inventory.models import Movement


def _iso(hours_ago: float) -> str:
    return (utcnow() - timedelta(hours=hours_ago)).isoformat()


def _accepted_count(office, sup, *, hours_ago, quantity):
    made = office.post("/api/v1/inventory/counts", json={
        "location": "OFF-BJ", "kind": "weekly", "counted_at": _iso(hours_ago),
        "lines": [{"sku": "USB-64", "quantity": quantity}]})
    assert made.status_code == 201, made.get_json()
    accepted = sup.post(f"/api/v1/inventory/counts/{made.get_json()['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    return made.get_json()


def _ledger_at_bj(app, stock):
    with app.app_context():
        return service.balance_of(stock.bj_loc, stock.usb), db.session.query(Movement).count()


def test_a_movement_back_dated_before_an_accepted_count_is_refused(app, stock, api_as):
    clerk = api_as("clerk", username="clerk-api")
    office = api_as("office", username="bj-api", office_id=stock.bj)
    sup = api_as("supervisor", username="sup-api")
    sent = clerk.post("/api/v1/inventory/movements", json={
        "sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ", "quantity": 3,
        "reason": "transfer", "at": _iso(5)})
    assert sent.status_code == 201, sent.get_json()
    count = _accepted_count(office, sup, hours_ago=2, quantity=3)
    before = _ledger_at_bj(app, stock)

    refused = clerk.post("/api/v1/inventory/movements", json={
        "sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ", "quantity": 1,
        "reason": "transfer", "at": _iso(4)})
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == "before_accepted_count" and count["number"] in body["message"]
    assert _ledger_at_bj(app, stock) == before

    # After the count's time, and now, the ledger takes movements as before.
    later = clerk.post("/api/v1/inventory/movements", json={
        "sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ", "quantity": 1,
        "reason": "transfer", "at": _iso(1)})
    assert later.status_code == 201, later.get_json()
    assert _ledger_at_bj(app, stock)[0] == before[0] + 1
