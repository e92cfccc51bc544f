"""Two identical spare-cycle requests at the same moment, through a real threaded server: one succeeds,
the other gets 409, and the ledger moves once (issue, receive, year-end ship and receipt, vendor check-in)."""
from __future__ import annotations

from datetime import date

import pytest
import requests

from tests.live import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(app):
    with LiveServer(app) as server:
        yield server


def _token(app, username):
    from core.accounts.service import create_token, get_user
    from core.extensions import db

    with app.app_context():
        _, plain = create_token(get_user(username), "concurrency")
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def _twice(live, headers, path, body=None):
    """POST ``path`` from two threads released together; the two status codes, sorted."""
    import threading

    barrier, out = threading.Barrier(2), []

    def run():
        barrier.wait(30)
        out.append(requests.post(live.url + path, json=body or {}, headers=headers, timeout=120))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return sorted(r.status_code for r in out)


def _moves(app, **where):
    from sqlalchemy import func, select

    from core.extensions import db
    from inventory.models import Movement

    with app.app_context():
        stmt = select(func.count()).select_from(Movement)
        for name, value in where.items():
            stmt = stmt.where(getattr(Movement, name) == value)
        return db.session.scalar(stmt)


def _balance(app, code, sku):
    from core.extensions import db
    from inventory import service

    with app.app_context():
        value = service.balance_of(service.location_by_code(code).id, service.part_by_sku(sku).id)
        db.session.rollback()
        return value


def test_issue_and_receive_twice_at_once_post_once(app, live, stock, make_user):
    office, sup, clerk = (_token(app, u) for u in ("bj-user", "boss", "clerk1"))
    base = "/api/v1/inventory/requests"
    for round_ in range(3):
        qty = round_ + 2
        made = requests.post(live.url + base, headers=office, timeout=30,
                             json={"office_id": stock.bj, "lines": [{"sku": "USB-64", "quantity": qty}]}).json()
        rid = made["id"]
        assert requests.post(f"{live.url}{base}/{rid}/approve", json={}, headers=sup, timeout=30).status_code == 200
        assert _twice(live, clerk, f"{base}/{rid}/issue") == [200, 409]
        assert _moves(app, reason="office_issue", ref_id=rid) == 1
        assert _twice(live, office, f"{base}/{rid}/receive", {"codes": [f"USB-64*{qty}"]}) == [200, 409]
        assert _moves(app, reason="office_receipt", ref_id=rid) == 1
    assert _balance(app, "OFF-BJ", "USB-64") == 2 + 3 + 4
    assert _balance(app, "HQ", "USB-64") == 100 - 9
    assert _balance(app, "TRANSIT", "USB-64") == 0


def test_year_end_return_steps_twice_at_once_post_once(app, live, stock, monkeypatch):
    from core.extensions import db
    from inventory import spares
    from inventory.models import OfficeReturn

    monkeypatch.setattr(spares, "local_today", lambda: date(2026, 12, 4))
    office, clerk = _token(app, "bj-user"), _token(app, "clerk1")
    requests.post(live.url + "/api/v1/inventory/movements", headers=clerk, timeout=30,
                  json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ", "quantity": 6, "reason": "t"})
    path = f"/api/v1/inventory/offices/{stock.bj}/year-end-return"
    assert _twice(live, office, path, {"confirm": True}) == [201, 409]
    with app.app_context():
        ids = db.session.scalars(db.select(OfficeReturn.id)).all()
    assert len(ids) == 1
    rid = ids[0]
    assert _twice(live, office, f"/api/v1/inventory/returns/{rid}/ship") == [200, 409]
    assert _moves(app, reason="year_end_return") == 1
    assert _twice(live, clerk, f"/api/v1/inventory/returns/{rid}/receive") == [200, 409]
    assert _moves(app, reason="year_end_receipt") == 1
    assert _balance(app, "HQ", "USB-64") == 100


def test_vendor_batch_and_check_in_twice_at_once_post_once(app, live, stock):
    clerk = _token(app, "clerk1")
    for _ in range(3):
        requests.post(live.url + "/api/v1/inventory/vendor/defectives", json={"sku": "MX-CDR"}, headers=clerk,
                      timeout=30)
    assert _twice(live, clerk, "/api/v1/inventory/vendor/batches", {"vendor_id": stock.maxell}) == [201, 409]
    assert _moves(app, reason="vendor_batch") == 1
    batch = requests.get(live.url + "/api/v1/inventory/vendor/batches", headers=clerk, timeout=30).json()[0]
    body = {"received": [{"sku": "MX-CDR", "quantity": 3}]}
    assert _twice(live, clerk, f"/api/v1/inventory/vendor/batches/{batch['id']}/check-in", body) == [200, 409]
    assert _moves(app, reason="vendor_receipt") == 1
    assert _balance(app, "FAC-SHIP", "MX-CDR") == 3
