"""Token requests: the principal is read in one query and kept a few seconds per process."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from core.accounts import principal as principal_module
from core.config import ConfigError, load_config


def _revoke_in_database(app):
    """Revoke every token behind Depot's back (as another process or a DBA would)."""
    from core.accounts.models import ApiToken
    from core.extensions import db

    with app.app_context():
        db.session.execute(update(ApiToken).values(revoked_at=datetime.now(timezone.utc)))
        db.session.commit()


@pytest.fixture()
def clock(monkeypatch):
    """The cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(principal_module, "monotonic", lambda: now[0])
    return now


def test_a_token_answers_with_its_user_and_roles(api_as):
    api = api_as("clerk", "service", username="scanner-7")
    me = api.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["username"] == "scanner-7"
    assert me.get_json()["roles"] == ["clerk", "service"]


def test_a_token_revoked_elsewhere_stops_working_after_the_recheck_window(app, api_as, clock):
    api = api_as("clerk")
    assert api.get("/api/v1/me").status_code == 200
    _revoke_in_database(app)
    # This process read the token less than DEPOT_TOKEN_RECHECK_SECONDS ago...
    assert api.get("/api/v1/me").status_code == 200
    clock[0] += app.config["DEPOT_TOKEN_RECHECK_SECONDS"]
    # ... and reads it again once they have passed.
    assert api.get("/api/v1/me").status_code == 401


def test_revoking_through_depot_takes_effect_at_once(api_as, clock):
    api = api_as("clerk")
    token_id = api.get("/api/v1/tokens").get_json()[0]["id"]
    assert api.get("/api/v1/me").status_code == 200
    assert api.delete(f"/api/v1/tokens/{token_id}").status_code == 200
    assert api.get("/api/v1/me").status_code == 401


def test_changing_or_deactivating_a_user_takes_effect_at_once(api_as, clock):
    admin = api_as("admin")
    api = api_as("clerk", username="scanner-8")
    assert api.get("/api/v1/me").get_json()["roles"] == ["clerk"]
    user_id = api.get("/api/v1/me").get_json()["id"]
    assert admin.patch(f"/api/v1/users/{user_id}", json={"roles": ["service"]}).status_code == 200
    assert api.get("/api/v1/me").get_json()["roles"] == ["service"]
    assert api.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "X"}).status_code != 403
    assert admin.patch(f"/api/v1/users/{user_id}", json={"active": False}).status_code == 200
    assert api.get("/api/v1/me").status_code == 401


def test_with_no_recheck_window_every_request_reads_the_token(app, api_as, monkeypatch):
    monkeypatch.setattr(app.extensions["depot_principals"], "seconds", 0)
    api = api_as("clerk")
    assert api.get("/api/v1/me").status_code == 200
    _revoke_in_database(app)
    assert api.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("value", ["soon", "-1", "7200"])
def test_a_bad_recheck_window_is_refused_at_start(tmp_path, value):
    with pytest.raises(ConfigError, match="DEPOT_TOKEN_RECHECK_SECONDS"):
        load_config(str(tmp_path), {"DEPOT_TOKEN_RECHECK_SECONDS": value})
