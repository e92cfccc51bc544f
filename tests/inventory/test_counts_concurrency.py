"""Two supervisors accept (or send back, or withdraw) the same count at the same moment.

Both requests really run at once: the API through a real HTTP server (werkzeug,
one thread per request) and the pages through two signed-in clients in two
threads, released together by a barrier. Exactly one wins; the other gets a
409 and nothing is posted twice. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from core.authz import SYSTEM
from core.extensions import db
from core.types import utcnow
from inventory import counts, service
from inventory.cli import ledger_mismatches
from inventory.models import Movement, Part, StockCount


@pytest.fixture()
def server(app):
    """The app behind a real threaded HTTP server on loopback."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


def _count_with_shortfall(app, stock):
    """BJ holds 20 USB; its count (an hour ago) found 19: accepting writes one off."""
    from core.accounts.service import get_user

    with app.app_context():
        part = db.session.get(Part, stock.usb)
        service.post_movement(actor=SYSTEM, part=part, from_location=service.get_location(stock.hq),
                              to_location=service.get_location(stock.bj_loc), quantity=20, reason="t",
                              at=utcnow() - timedelta(hours=2))
        cnt = counts.submit_count(get_user("bj-user"), location=service.get_location(stock.bj_loc), kind="weekly",
                                  data=counts.CountInput(quantities=[(1, "USB-64", 19)]),
                                  counted_at=utcnow() - timedelta(hours=1))
        db.session.commit()
        return cnt.id


def _fire_together(calls):
    """Run the callables at the same moment in threads; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait(30)
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _post(url, token, body=None):
    req = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _token(api):
    return api.headers["Authorization"].split(" ", 1)[1]


def _posted(app, count_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Movement).where(
            Movement.ref_type == "count", Movement.ref_id == count_id))


@pytest.mark.parametrize("rounds", [3])
def test_two_supervisors_accept_the_same_count_at_once_via_api(app, stock, api_as, server, rounds):
    tokens = [_token(api_as("supervisor", username=f"sup{i}")) for i in range(2)]
    for r in range(rounds):
        count_id = _count_with_shortfall(app, stock) if r == 0 else _recount_again(app, stock)
        url = f"{server}/api/v1/inventory/counts/{count_id}/accept"
        results = _fire_together([lambda t=t: _post(url, t) for t in tokens])
        statuses = sorted(s for s, _b in results)
        assert statuses == [200, 409], results
        loser = next(b for s, b in results if s == 409)
        assert loser["message"] and loser["code"] in ("invalid_transition", "conflict")
        assert _posted(app, count_id) == 1
    with app.app_context():
        assert service.balance_of(stock.bj_loc, stock.usb) == 20 - rounds
        assert ledger_mismatches() == []


def _recount_again(app, stock):
    """A fresh count of BJ (now) one short of its balance."""
    from core.accounts.service import get_user

    with app.app_context():
        have = service.balance_of(stock.bj_loc, stock.usb)
        cnt = counts.submit_count(get_user("bj-user"), location=service.get_location(stock.bj_loc), kind="weekly",
                                  data=counts.CountInput(quantities=[(1, "USB-64", have - 1)]))
        db.session.commit()
        return cnt.id


def test_recount_request_and_withdrawal_race_acceptance_via_api(app, stock, api_as, server):
    sup = _token(api_as("supervisor", username="supA"))
    sup2 = _token(api_as("supervisor", username="supB"))
    office = _token(api_as("office", username="bj-api", office_id=stock.bj))
    # Accept against a recount request: one wins, and if the recount won nothing was posted.
    count_id = _count_with_shortfall(app, stock)
    base = f"{server}/api/v1/inventory/counts/{count_id}"
    results = _fire_together([lambda: _post(base + "/accept", sup), lambda: _post(base + "/recount", sup2,
                                                                                 {"note": "again"})])
    assert sorted(s for s, _b in results) == [200, 409], results
    with app.app_context():
        status = db.session.get(StockCount, count_id).status
    assert _posted(app, count_id) == (1 if status == "accepted" else 0)
    # Accept against the office withdrawing it.
    count_id = _recount_again(app, stock)
    base = f"{server}/api/v1/inventory/counts/{count_id}"
    results = _fire_together([lambda: _post(base + "/accept", sup), lambda: _post(base + "/withdraw", office)])
    assert sorted(s for s, _b in results) == [200, 409], results
    with app.app_context():
        status = db.session.get(StockCount, count_id).status
        assert status in ("accepted", "withdrawn")
        assert ledger_mismatches() == []
    assert _posted(app, count_id) == (1 if status == "accepted" else 0)


def test_two_supervisors_accept_the_same_count_at_once_on_the_page(app, stock, login):
    count_id = _count_with_shortfall(app, stock)
    clients = [login("supervisor", username=f"page-sup{i}") for i in range(2)]
    path = f"/inventory/counts/{count_id}/accept"
    tokens = [c.csrf_token(f"/inventory/counts/{count_id}") for c in clients]

    def accept(c, token):
        resp = c.post(path, data={"csrf_token": token})
        return resp.status_code, c.get(f"/inventory/counts/{count_id}").get_data(as_text=True)

    results = _fire_together([lambda c=c, t=t: accept(c, t) for c, t in zip(clients, tokens)])
    assert all(status in (302, 303) for status, _page in results), [r[0] for r in results]
    pages = [page for _s, page in results]
    assert sum("accepted; adjustments posted" in p for p in pages) == 1
    # The loser is told, in the workflow's words, that the count is accepted now.
    assert sum("is accepted: the step “accept the count” cannot be done now" in p for p in pages) == 1
    assert _posted(app, count_id) == 1
    with app.app_context():
        assert service.balance_of(stock.bj_loc, stock.usb) == 19
