"""Idempotency-Key: a retry returns the first result and changes nothing more.

The decorator is exercised on a small test-only endpoint (served by a second
app on the same test database, so the main app's routes stay untouched) that
issues an API token: a real change whose count is easy to check.
"""
from __future__ import annotations

import threading
import time

import pytest
from flask import Blueprint, jsonify, request
from flask.views import MethodView
from sqlalchemy import func, select

from core.accounts.auth import login_required
from core.idempotency import HEADER, REPLAY_HEADER, IdempotencyRecord, idempotent


class Issue(MethodView):
    @login_required
    @idempotent
    def post(self):
        from core.accounts.auth import actor
        from core.accounts.service import create_token
        from core.errors import ValidationFailed

        data = request.get_json(silent=True) or {}
        if data.get("fail") == "raise":
            raise ValidationFailed("asked to fail", errors={"fail": ["asked"]})
        token, plain = create_token(actor(), str(data.get("name", "")))
        if data.get("fail") == "respond":
            # An error *response* (not an exception) must not be stored either.
            return jsonify({"status": 409, "code": "conflict", "message": "no"}), 409
        if data.get("sleep"):
            time.sleep(float(data["sleep"]))  # hold the transaction open
        return jsonify({"id": token.id, "name": token.name, "token": plain}), 201


@pytest.fixture(scope="module")
def idem_app(app, _database, tmp_path_factory):
    """A second app on the same database with the test-only endpoint."""
    from core import create_app

    bp = Blueprint("idem_test", __name__)
    bp.add_url_rule("/api/v1/test-idempotency", view_func=Issue.as_view("issue"), methods=["POST"])
    second = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": _database,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("idem") / "uploads"),
    })
    second.register_blueprint(bp)
    yield second
    with second.app_context():
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def caller(idem_app, api_as):
    """post(body, key=..., user=...) against the test endpoint as a bearer-token user."""
    users = {}

    def post(body, key=None, user="ann", raw=None):
        if user not in users:
            users[user] = api_as("clerk", username=user).headers
        headers = dict(users[user])
        if key is not None:
            headers[HEADER] = key
        client = idem_app.test_client()
        if raw is not None:
            return client.post("/api/v1/test-idempotency", data=raw, headers=headers,
                               content_type="application/json")
        return client.post("/api/v1/test-idempotency", json=body, headers=headers)

    return post


def _count_tokens(app, name):
    from core.accounts.models import ApiToken
    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.name == name))


def _records(app):
    from core.extensions import db

    with app.app_context():
        return list(db.session.execute(select(IdempotencyRecord.key, IdempotencyRecord.status_code,
                                              IdempotencyRecord.method, IdempotencyRecord.path)))


def test_without_a_key_every_request_applies(app, caller):
    assert caller({"name": "plain"}).status_code == 201
    assert caller({"name": "plain"}).status_code == 201
    assert _count_tokens(app, "plain") == 2
    assert _records(app) == []


def test_retry_with_same_key_returns_first_result_and_changes_nothing(app, caller):
    first = caller({"name": "scanner", "n": 1}, key="k-1")
    assert first.status_code == 201
    assert REPLAY_HEADER not in first.headers
    for _ in range(3):
        again = caller({"name": "scanner", "n": 1}, key="k-1")
        assert again.status_code == 201
        assert again.get_data() == first.get_data()  # word for word, the same token
        assert again.headers[REPLAY_HEADER] == "true"
        assert again.content_type == first.content_type
    assert _count_tokens(app, "scanner") == 1
    assert _records(app) == [("k-1", 201, "POST", "/api/v1/test-idempotency")]


def test_same_json_with_other_key_order_or_spacing_is_the_same_request(app, caller):
    first = caller(None, key="k-order", raw='{"name": "ord", "n": 2}')
    again = caller(None, key="k-order", raw='{"n":2,"name":"ord"}')
    assert again.status_code == 201 and again.get_data() == first.get_data()
    assert _count_tokens(app, "ord") == 1


def test_same_key_with_a_different_body_is_refused(app, caller):
    assert caller({"name": "one"}, key="k-2").status_code == 201
    other = caller({"name": "two"}, key="k-2")
    assert other.status_code == 422
    body = other.get_json()
    assert body["code"] == "idempotency_key_reused"
    assert HEADER in body["errors"]
    assert _count_tokens(app, "two") == 0
    assert _count_tokens(app, "one") == 1


def test_failed_requests_are_not_stored_and_may_be_retried(app, caller):
    raised = caller({"name": "f", "fail": "raise"}, key="k-3")
    assert raised.status_code == 422
    responded = caller({"name": "f", "fail": "respond"}, key="k-3")
    assert responded.status_code == 409
    assert _records(app) == [] and _count_tokens(app, "f") == 0  # rolled back with the change
    ok = caller({"name": "f"}, key="k-3")
    assert ok.status_code == 201 and REPLAY_HEADER not in ok.headers
    assert _count_tokens(app, "f") == 1


def test_keys_belong_to_their_user(app, caller):
    ann = caller({"name": "shared"}, key="same-key", user="ann")
    bob = caller({"name": "shared"}, key="same-key", user="bob")
    assert ann.status_code == bob.status_code == 201
    assert ann.get_json()["token"] != bob.get_json()["token"]
    assert _count_tokens(app, "shared") == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "bad\x01key"])
def test_malformed_keys_are_refused(app, caller, key):
    resp = caller({"name": "bad-key"}, key=key)
    assert resp.status_code == 422
    assert _count_tokens(app, "bad-key") == 0


def test_anonymous_request_with_key_is_still_refused(app, idem_app):
    client = idem_app.test_client()
    bogus = client.post("/api/v1/test-idempotency", json={"name": "x"},
                        headers={HEADER: "k", "Authorization": "Bearer dpt_not-a-token"})
    assert bogus.status_code == 401
    no_csrf = client.post("/api/v1/test-idempotency", json={"name": "x"}, headers={HEADER: "k"})
    assert no_csrf.status_code == 401  # nobody signed in: told so before any CSRF check
    assert _records(app) == [] and _count_tokens(app, "x") == 0


def test_concurrent_duplicates_apply_once(app, caller):
    """Four copies of one request at once: one applies, the others answer with its result."""
    caller({"name": "warmup"})  # create the users' tokens before the race
    results = []
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        resp = caller({"name": "race", "sleep": 0.4}, key="k-race")
        results.append((resp.status_code, resp.get_data()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4
    assert _count_tokens(app, "race") == 1
    ok = [body for status, body in results if status == 201]
    assert ok, results
    assert len(set(ok)) == 1  # every success is the same answer
    assert all(status in (201, 409) for status, _ in results), results


def test_decorator_documents_the_header_for_smorest_views():
    from flask_smorest import Blueprint as ApiBlueprint
    from marshmallow import Schema, fields

    class Args(Schema):
        code = fields.String(required=True)

    blp = ApiBlueprint("idem_doc_test", __name__)

    @idempotent
    @blp.arguments(Args)
    @blp.response(201, Args)
    def post(args):
        return args

    params = post._apidoc["arguments"]["parameters"]
    assert {"in": "json"}.items() <= params[0].items()
    header = [p for p in params if p.get("name") == HEADER]
    assert header and header[0]["in"] == "header" and header[0]["required"] is False
    assert post._depot_idempotent is True


def test_records_can_be_purged(app, caller):
    from datetime import timedelta

    from core.extensions import db
    from core.idempotency import purge

    caller({"name": "p"}, key="k-old")
    with app.app_context():
        assert purge(timedelta(days=1)) == 0
        assert purge(timedelta(seconds=-1)) == 1
        db.session.commit()
    assert _records(app) == []
