"""Signing out and password changes end the user's sessions; a deactivated user's token
stops within the documented recheck window (at most a second)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import update


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, value: str):
    """A fresh browser presenting a saved session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_replayed_cookie_after_sign_out_is_sent_to_sign_in(app, login):
    client = login("clerk", username="ann")
    saved = _session_cookie(client)
    assert _replay(app, saved).get("/inventory/").status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    replayed = _replay(app, saved).get("/inventory/")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert _replay(app, saved).get("/api/v1/me").status_code == 401


def test_an_admin_password_reset_ends_the_users_sessions(app, login, make_user):
    from core.accounts.service import get_user

    user_client = login("clerk", username="bob")
    saved = _session_cookie(user_client)
    admin = login("admin", username="root")
    with app.app_context():
        bob_id = get_user("bob").id
    resp = admin.submit(f"/admin/users/{bob_id}/password", {"password": "a-new-password-7"},
                        form_page=f"/admin/users/{bob_id}")
    assert resp.status_code == 302
    assert user_client.get("/inventory/").status_code == 302
    assert _replay(app, saved).get("/inventory/").status_code == 302
    assert admin.get("/inventory/").status_code == 200  # the admin's own session is untouched
    fresh = app.test_client()
    assert fresh.login("bob", "a-new-password-7").status_code == 302
    assert fresh.get("/inventory/").status_code == 200


def test_a_password_reset_through_the_api_ends_the_users_sessions(app, login, api_as):
    from core.accounts.service import get_user

    user_client = login("clerk", username="carol")
    with app.app_context():
        carol_id = get_user("carol").id
    resp = api_as("admin").post(f"/api/v1/users/{carol_id}/password", json={"password": "a-new-password-8"})
    assert resp.status_code == 200
    assert user_client.get("/inventory/").status_code == 302


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, login, make_user):
    from core.accounts.service import get_user

    admin = login("admin", username="dora")
    other_device = app.test_client()
    assert other_device.login("dora", "dora-pass").status_code == 302
    with app.app_context():
        dora_id = get_user("dora").id
    resp = admin.submit(f"/admin/users/{dora_id}/password", {"password": "a-new-password-9"},
                        form_page=f"/admin/users/{dora_id}")
    assert resp.status_code == 302
    assert admin.get("/inventory/").status_code == 200
    assert other_device.get("/inventory/").status_code == 302


def test_signing_in_again_after_sign_out_works(app, login):
    client = login("clerk", username="eve")
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    assert client.login("eve", "eve-pass").status_code == 302
    assert client.get("/inventory/").status_code == 200


# --- tokens of a deactivated user ------------------------------------------------------


def test_token_recheck_window_is_at_most_one_second(tmp_path):
    from core.config import ConfigError, load_config

    assert load_config(str(tmp_path), {})["DEPOT_TOKEN_RECHECK_SECONDS"] <= 1.0
    assert load_config(str(tmp_path), {"DEPOT_TOKEN_RECHECK_SECONDS": "0"})["DEPOT_TOKEN_RECHECK_SECONDS"] == 0
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"DEPOT_TOKEN_RECHECK_SECONDS": "5"})


def test_a_user_deactivated_elsewhere_loses_the_token_within_the_window(app, api_as):
    """Another process (here: a plain UPDATE, which this process's cache does not hear about)
    deactivates the user; within the recheck window the token stops working."""
    from core.accounts.models import User
    from core.extensions import db

    api = api_as("clerk", username="scanner")
    assert api.get("/api/v1/me").status_code == 200  # the principal is now cached
    with app.app_context():
        db.session.execute(update(User).where(User.username == "scanner").values(active=False))
        db.session.commit()
    start = time.monotonic()
    while api.get("/api/v1/me").status_code == 200 and time.monotonic() - start < 10:
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    assert api.get("/api/v1/me").status_code == 401
    assert elapsed <= 1.1, f"the token kept working {elapsed:.2f} s after the user was deactivated"
