"""A record saved by another request at the same moment is a 409, never a 500; guarded
state changes (revoke a token, remove a closure, create a token) happen once.

The two-requests-at-once races themselves are in tests/concurrency/test_double_requests.py;
these check the answers one by one, on a real database."""
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError


def _unique_violation(db):
    """A real IntegrityError raised at flush by a unique constraint (two closures, one day)."""
    from core.calendar.models import Closure

    db.session.add(Closure(day=date(2031, 3, 3), reason="one"))
    db.session.flush()
    db.session.add(Closure(day=date(2031, 3, 3), reason="two"))
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    return caught.value


@pytest.mark.parametrize("path", ["/api/v1/calendar/closures", "/calendar/closures"])
def test_a_unique_violation_at_flush_is_a_409_and_rolls_back(app, path):
    from core.calendar.models import Closure
    from core.errors import handle_database_error
    from core.extensions import db

    with app.test_request_context(path, method="POST"):
        err = _unique_violation(db)
        body, status = handle_database_error(err)
        assert status == 409
        text = body.get_data(as_text=True) if hasattr(body, "get_data") else body
        assert "conflicts with a record saved at the same time" in text
        if path.startswith("/api/"):
            assert body.get_json()["code"] == "conflict"
        # Rolled back: nothing of the request is left, and the session works again.
        assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


def test_revoking_a_token_twice_is_a_409_the_second_time(api_as, app):
    from core.accounts.service import create_token, get_user
    from core.extensions import db

    api = api_as("clerk", username="revoker")
    with app.app_context():
        token, _ = create_token(get_user("revoker"), "to revoke")
        db.session.commit()
        token_id = token.id
    assert api.delete(f"/api/v1/tokens/{token_id}").status_code == 200
    again = api.delete(f"/api/v1/tokens/{token_id}")
    assert again.status_code == 409 and again.get_json()["code"] == "already_revoked"


def test_adding_a_closure_day_twice_is_a_409(api_as):
    api = api_as("admin", username="closer")
    body = {"day": "2031-04-07", "reason": "stocktake"}
    assert api.post("/api/v1/calendar/closures", json=body).status_code == 201
    again = api.post("/api/v1/calendar/closures", json=body)
    assert again.status_code == 409 and "day" in again.get_json()["errors"]


def test_one_idempotency_key_makes_one_token_and_never_stores_it(api_as, app):
    from core.accounts.models import ApiToken
    from core.extensions import db
    from core.idempotency import IdempotencyRecord

    api = api_as("clerk", username="keyed")
    headers = {"Idempotency-Key": "token-once-1"}
    first = api.post("/api/v1/tokens", json={"name": "scanner 9"}, headers=headers)
    assert first.status_code == 201
    plain = first.get_json()["token"]
    again = api.post("/api/v1/tokens", json={"name": "scanner 9"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "already_applied"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)
                                 .where(ApiToken.name == "scanner 9")) == 1
        # The token is shown once: its answer is not kept with the key.
        bodies = db.session.scalars(select(IdempotencyRecord.response_body)).all()
        assert all(plain.encode() not in (b or b"") for b in bodies)


def test_the_token_form_carries_an_idempotency_key(login):
    page = login("clerk", username="former").get("/account/tokens").get_data(as_text=True)
    assert 'name="idempotency_key"' in page


def test_a_task_answered_first_elsewhere_is_named_in_words(app):
    """The 409 for a task someone answered a moment before names its status as a label, not a code."""
    from core.task_states import task_taken

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        err = task_taken("resolved")
        assert err.status == 409 and err.extra["current_state"] == "resolved"
        assert "已解决" in err.message and "resolved" not in err.message
