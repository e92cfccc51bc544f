"""The scan station: modes, clear refusals that change nothing, double triggers, concurrent scans."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.authz import SYSTEM


def _parcel(api, world, serials=("S1", "S2")):
    resp = api.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj,
                                                     "lines": [{"model": "SSD", "serial": s} for s in serials]})
    assert resp.status_code == 201, resp.json
    return resp.json["rma_number"]


def _events(app, action=None):
    from core.extensions import db
    from repairs.models import RepairEvent

    with app.app_context():
        stmt = select(func.count(RepairEvent.id))
        if action:
            stmt = stmt.where(RepairEvent.action == action)
        return db.session.scalar(stmt)


def test_scan_page_is_keyboard_only_and_script_is_external(login, make_office):
    client = login("clerk")
    resp = client.get("/repairs/scan")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="scan-input"' in html and "autofocus" in html
    assert "<script>" not in html and "/static/repairs/scan.js" in html
    for key in ("F1", "F2", "F3", "F4", "F5", "MODE-RECEIVE", "MODE-SHIP"):
        assert key in html
    js = client.get("/static/repairs/scan.js")
    assert js.status_code == 200 and b"AudioContext" in js.data and b"X-CSRFToken" in js.data
    office = login("office", username="office-bj", office_id=make_office("BJ"))
    assert office.get("/repairs/scan").status_code == 403
    assert login("finance").get("/repairs/scan").status_code == 403


def test_scan_flow_receive_and_inspect_with_findings(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    rma = _parcel(desk, world)
    # Scanning the RMA label sets the parcel context.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": rma.lower()})
    assert r.status_code == 200 and r.json["status"] == "context" and r.json["context"] == rma
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1", "parcel": rma})
    assert r.json["status"] == "done" and r.json["unit"]["state"] == "received" and r.json["unit"]["next_due"]
    # An undeclared serial in the parcel's context is an extra unit.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "EXTRA7", "parcel": rma})
    assert r.json["status"] == "done" and r.json["level"] == "warning"
    assert "not on the declared list" in r.json["message"]
    # Scanning the RMA again asks first (S2 is still expected); confirmed, it completes the receipt: S2 missing.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": rma, "parcel": rma})
    assert r.json["level"] == "input" and r.json["expected_serials"] == ["S2"] and r.json["context"] == rma
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": rma, "parcel": rma,
                                                 "confirm_missing": True})
    assert r.json["status"] == "done" and r.json["context"] is None and "1 declared unit" in r.json["message"]
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "inspect", "code": "S1", "findings": ["human_damage"]})
    assert r.status_code == 200 and r.json["unit"]["state"] == "awaiting_dealer"


def test_refusals_change_nothing(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    _parcel(desk, world)
    before = _events(app)
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "NOPE-123"})
    assert r.status_code == 404 and "NOPE-123" in r.json["message"]
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "inspect", "code": "NOPE-123"})
    assert r.status_code == 404
    # Wrong mode: S1 is declared, so it can only be received.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "to_factory", "code": "S1"})
    assert r.status_code == 409 and r.json["code"] == "wrong_mode"
    assert r.json["modes"] == ["receive"] and r.json["unit"]["state"] == "declared"
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "fly", "code": "S1"})
    assert r.status_code == 422
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "inspect", "code": "S1", "findings": ["ugly"]})
    assert r.status_code == 422
    assert _events(app) == before
    # Service staff without the clerk role may scan too; office and department users may not.
    assert api_as("finance").post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1"}).status_code == 403


def test_double_trigger_is_applied_once(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    _parcel(desk, world)
    first = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1"})
    second = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1"})
    assert first.json["status"] == "done"
    assert second.status_code == 200 and second.json["status"] == "already_done"
    assert _events(app, "receive") == 1
    # Another clerk scanning the same unit: it is already received, and the answer says by whom.
    other = api_as("clerk", username="clerk2")
    third = other.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1"})
    assert third.status_code == 200 and third.json["status"] == "already_done"
    assert "api-clerk" in third.json["message"]
    assert _events(app, "receive") == 1


def test_two_clients_scanning_at_once_cause_one_transition(app, world, api_as):
    """Real threads against the real database: one transition, the other answer is 'already done'."""
    desk, clerk = api_as("service"), api_as("clerk")
    _parcel(desk, world, serials=[f"C{i}" for i in range(6)])
    for i in range(6):
        barrier = threading.Barrier(2)
        results = []

        def scan():
            client = app.test_client()
            barrier.wait()
            resp = client.post("/api/v1/repairs/scan", json={"mode": "receive", "code": f"C{i}"}, headers=clerk.headers)
            results.append((resp.status_code, resp.json.get("status")))

        threads = [threading.Thread(target=scan) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [(200, "already_done"), (200, "done")], results
    assert _events(app, "receive") == 6


def test_second_scan_waits_for_the_first_transaction(app, world):
    """The first client holds its transaction open; the second blocks on the row, then sees the change."""
    from core.accounts.service import create_user
    from core.extensions import db
    from repairs import intake
    from repairs import scan as station

    with app.app_context():
        create_user("clerk-a", "clerk-a-pass-123", ["clerk"])
        intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "M", "serial": "LOCK1"}])
        db.session.commit()
    flushed = threading.Event()
    results = {}

    def first():
        with app.app_context():
            from core.accounts.service import get_user

            user = get_user("clerk-a")
            results["first"] = station.scan(user, mode="receive", code="LOCK1")["status"]
            flushed.set()
            threading.Event().wait(0.8)  # keep the transaction (and its lock) open
            db.session.commit()

    def second():
        with app.app_context():
            from core.accounts.service import get_user

            user = get_user("clerk-a")
            flushed.wait(10)
            results["second"] = station.scan(user, mode="receive", code="LOCK1")["status"]
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {"first": "done", "second": "already_done"}
    assert _events(app, "receive") == 1


def test_arrival_without_a_list_by_scanning_the_dealer_code(app, world, api_as):
    clerk = api_as("clerk")
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "D0002"})
    assert r.status_code == 200 and r.json["status"] == "done"
    rma = r.json["context"]
    assert rma.startswith("RMA") and r.json["label_rma"] == rma
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "NEW-1", "parcel": rma})
    assert r.json["unit"]["state"] == "received" and r.json["unit"]["dealer"] == "上海存储商行"


def test_scan_retry_with_idempotency_key_replays_the_first_answer(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    _parcel(desk, world)
    headers = {"Idempotency-Key": "scanner-7-000123"}
    first = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1"}, headers=headers)
    again = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "S1"}, headers=headers)
    assert first.json["status"] == "done"
    assert again.status_code == 200 and again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _events(app, "receive") == 1
