"""The scan and stock-movement APIs honour Idempotency-Key (see core.idempotency)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.idempotency import HEADER, REPLAY_HEADER
from tests.concurrency import scenario


@pytest.fixture()
def setup(app):
    return scenario.seed(app, parcels=1, units=2, clerks=2)


def _headers(token, key):
    return {"Authorization": f"Bearer {token}", HEADER: key}


def _receive_events(app, serial):
    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit

    with app.app_context():
        unit = db.session.scalar(select(RepairUnit).where(RepairUnit.serial == serial))
        return db.session.scalar(select(func.count()).select_from(RepairEvent)
                                 .where(RepairEvent.unit_id == unit.id, RepairEvent.action == "receive"))


def _transfers(app):
    from core.extensions import db
    from inventory.models import Movement

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Movement).where(Movement.reason == "transfer"))


@pytest.mark.parametrize("path", [scenario.SCAN_PATH, scenario.MOVE_PATH])
def test_the_api_documents_the_header(client, path):
    spec = client.get("/api/openapi.json").get_json()
    params = spec["paths"][path]["post"].get("parameters", [])
    assert any(p.get("in") == "header" and p.get("name") == HEADER for p in params), params


def test_a_retried_scan_returns_the_first_answer_and_changes_nothing(app, client, setup):
    serial = setup.serials[0]
    body = {"mode": "receive", "code": serial}
    first = client.post(scenario.SCAN_PATH, json=body, headers=_headers(setup.tokens[0], "scan-1"))
    assert first.status_code == 200 and first.get_json()["status"] == "done"
    # Later, past the double-scan window, another retry of the same request:
    for _ in range(2):
        again = client.post(scenario.SCAN_PATH, json=body, headers=_headers(setup.tokens[0], "scan-1"))
        assert again.status_code == 200 and again.get_data() == first.get_data()
        assert again.headers[REPLAY_HEADER] == "true"
    assert _receive_events(app, serial) == 1
    other = client.post(scenario.SCAN_PATH, json={"mode": "receive", "code": setup.serials[1]},
                        headers=_headers(setup.tokens[0], "scan-1"))
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    assert _receive_events(app, setup.serials[1]) == 0


def test_a_retried_movement_is_posted_once(app, client, setup):
    body = {"sku": scenario.PART, "from_location": "HQ", "to_location": f"OFF-{scenario.OFFICE_A}",
            "quantity": 2, "reason": "transfer"}
    first = client.post(scenario.MOVE_PATH, json=body, headers=_headers(setup.tokens[0], "move-1"))
    assert first.status_code == 201, first.get_json()
    again = client.post(scenario.MOVE_PATH, json=body, headers=_headers(setup.tokens[0], "move-1"))
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert _transfers(app) == 1
    assert not scenario.ledger_problems(app, setup)
    # The same key from another clerk is another request.
    theirs = client.post(scenario.MOVE_PATH, json=body, headers=_headers(setup.tokens[1], "move-1"))
    assert theirs.status_code == 201 and theirs.get_json()["id"] != first.get_json()["id"]
    assert _transfers(app) == 2
