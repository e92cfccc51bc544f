"""Sign-in, cookies, headers, CSRF, upload size and production settings."""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

import core

ROOT = Path(core.__file__).resolve().parents[1]
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


def _normalised(resp, username: str) -> str:
    # The form shows the typed name back; everything else must be identical.
    return CSRF_VALUE.sub(r"\1X\2", resp.get_data(as_text=True)).replace(username, "NAME")


@pytest.fixture()
def relaxed_login_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")


# --- no user enumeration at sign-in ------------------------------------------------------


def test_unknown_user_wrong_password_and_inactive_user_look_the_same(app, client, make_user, relaxed_login_limit):
    from core.accounts.models import User
    from core.extensions import db

    make_user("ann", "clerk")
    make_user("gone", "clerk")
    with app.app_context():
        db.session.query(User).filter_by(username="gone").update({"active": False})
        db.session.commit()
    answers = {
        "ann": client.login("ann", "wrong-password"),
        "nobody-here": client.login("nobody-here", "wrong-password"),
        "gone": client.login("gone", "gone-pass"),
    }
    statuses = {k: r.status_code for k, r in answers.items()}
    assert set(statuses.values()) == {401}, statuses
    bodies = {_normalised(r, name) for name, r in answers.items()}
    assert len(bodies) == 1, "the sign-in page answers differently for unknown and known users"
    assert all("Set-Cookie" not in r.headers or "remember" not in r.headers["Set-Cookie"] for r in answers.values())


@pytest.fixture()
def production_password_hashing():
    """Argon2id at its production cost for one test (the suite hashes at a test-sized cost)."""
    from argon2 import PasswordHasher

    from core.accounts import passwords

    test_sized = passwords.use_hasher(PasswordHasher())
    yield
    passwords.use_hasher(test_sized)


def test_unknown_user_costs_as_much_time_as_a_wrong_password(app, make_user, relaxed_login_limit,
                                                            production_password_hashing):
    """Argon2 runs for unknown names too (a dummy hash), so timing tells nothing. At production
    cost (a fifth of a second a verify), so a busy machine's few milliseconds of noise do not decide."""
    from core.accounts.service import authenticate

    make_user("ann", "clerk")

    def timed(name):
        samples = []
        with app.app_context():
            for _ in range(5):
                start = time.perf_counter()
                assert authenticate(name, "wrong-password") is None
                samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    known, unknown = timed("ann"), timed("nobody-here")
    assert 0.33 < unknown / known < 3.0, (known, unknown)


# --- rate limiting -------------------------------------------------------------------------


def test_login_rate_limit_counts_attempts_per_client_not_per_name(client, make_user):
    make_user("ann", "clerk")
    statuses = [client.login(f"guess-{i}", "wrong-password").status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429
    # Even the right password waits out the limit.
    assert client.login("ann", "ann-pass").status_code == 429


def test_rate_limited_answer_is_clear_json_for_api_clients(client, make_user):
    make_user("ann", "clerk")
    for _ in range(11):
        resp = client.login("ann", "wrong-password")
    assert resp.status_code == 429
    assert "Retry-After" in resp.headers or "X-RateLimit-Reset" in resp.headers


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/api/v1/me", "/no-such-page", "/healthz"])
def test_security_headers_on_every_kind_of_response(client, path):
    resp = client.get(path)
    h = resp.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    if path.startswith("/api/"):
        assert h["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://depot.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_bearer_answers_are_never_cached(api_as):
    api = api_as("clerk")
    assert api.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_authenticated_pages_are_never_cached(login, client):
    signed_in = login("clerk", username="ann")
    for path in ("/", "/inventory/", "/account/tokens", "/no-such-page"):
        assert signed_in.get(path).headers.get("Cache-Control") == "no-store", path
    # The sign-in page itself may be cached by the browser like any public page.
    assert "no-store" not in (client.get("/login").headers.get("Cache-Control") or "")


def _api_writes(client):
    spec = client.get("/api/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for method in ops:
            if method in ("post", "put", "patch", "delete"):
                yield method, re.sub(r"\{[^}]+\}", "1", path)


def test_anonymous_api_writes_are_401_not_a_csrf_400(client):
    public = {"/api/v1/repairs/status", "/api/v1/doa/status", "/api/v1/doa/apply"}
    answers = {f"{m.upper()} {p}": getattr(client, m)(p, json={}).status_code
               for m, p in _api_writes(client) if p not in public}
    assert len(answers) > 60
    wrong = {op: status for op, status in answers.items() if status != 401}
    assert not wrong, wrong
    body = client.post("/api/v1/tokens", json={"name": "x"}).get_json()
    assert body["code"] == "unauthorized"


# --- CSRF and sessions ---------------------------------------------------------------------


def test_csrf_token_of_another_session_is_refused(app, login):
    alice = login("clerk", username="alice")
    other = app.test_client()
    foreign_token = other.csrf_token("/login")
    resp = alice.post("/account/tokens", data={"name": "x", "csrf_token": foreign_token})
    assert resp.status_code == 400
    assert alice.get("/api/v1/tokens").get_json() == []


def test_cookie_session_cannot_post_to_the_api_without_csrf(login):
    alice = login("clerk", username="alice")
    resp = alice.post("/api/v1/tokens", json={"name": "sneaky"})
    assert resp.status_code == 400
    token = alice.csrf_token("/account/tokens")
    ok = alice.post("/api/v1/tokens", json={"name": "fine"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201


def test_sign_in_starts_a_new_session_and_sign_out_ends_it(app, client, make_user):
    make_user("ann", "clerk")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    client.login("ann", "ann-pass")
    with client.session_transaction() as sess:
        assert "planted" not in sess  # session fixation: the old session is cleared
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_or_malformed_tokens_are_refused(api_as, client):
    api = api_as("clerk")
    me = api.get("/api/v1/tokens").get_json()[0]
    api.delete(f"/api/v1/tokens/{me['id']}")
    assert api.get("/api/v1/me").status_code == 401
    for header in ["Bearer ", "Bearer dpt_", "Bearer " + "x" * 5000, "Basic dXNlcjpwYXNz", "Bearer dpt_\u00e9"]:
        assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401


def test_login_never_redirects_off_site(client, make_user):
    make_user("ann", "clerk")
    for target in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]:
        token = client.csrf_token("/login")
        resp = client.post("/login?next=" + target, data={"username": "ann", "password": "ann-pass",
                                                          "csrf_token": token})
        assert resp.status_code == 302
        location = resp.headers["Location"]
        parsed = urlparse(location)
        assert parsed.scheme in ("", "http") and parsed.netloc in ("", "localhost"), location
        assert location.startswith("/") and not location.startswith("//"), location
        client.post("/logout", data={"csrf_token": client.csrf_token("/")})


# --- uploads -------------------------------------------------------------------------------


def test_oversized_request_bodies_get_413_not_an_error(app, login, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    alice = login("clerk", username="alice")
    token = alice.csrf_token("/account/tokens")
    resp = alice.post("/account/tokens", data={"name": "x" * 5000, "csrf_token": token})
    assert resp.status_code == 413
    api = alice.post("/api/v1/tokens", data=b"{" + b" " * 5000 + b"}", content_type="application/json",
                     headers={"X-CSRFToken": token})
    assert api.status_code == 413 and api.get_json()["code"] == "too_large"


# --- production configuration ----------------------------------------------------------------


def _run(code: str, env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPOT_")}
    env.update({"DEPOT_INSTANCE_PATH": str(tmp_path / "instance"),
                "DEPOT_DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite", "PYTHONPATH": str(ROOT)})
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    proc = _run("import wsgi", {"DEPOT_ENV": "production"}, tmp_path)
    assert proc.returncode != 0
    assert "DEPOT_SECRET_KEY is required" in proc.stderr
    assert not (tmp_path / "instance" / "secret_key").exists()  # no key was made up


def test_production_config_sets_secure_cookie_flags():
    from core.config import load_config

    prod = load_config("/nonexistent", env={"DEPOT_ENV": "production", "DEPOT_SECRET_KEY": "s" * 40})
    assert prod["SESSION_COOKIE_SECURE"] is True and prod["REMEMBER_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_HTTPONLY"] is True and prod["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert prod["SECRET_KEY"] == "s" * 40


def test_production_session_cookie_is_secure_httponly_samesite(tmp_path):
    """Signs in over HTTPS in a production app (its own process) and reads Set-Cookie."""
    code = """
        import re
        from core import create_app
        from core.extensions import db
        from core.accounts.service import create_user
        app = create_app()
        assert app.config["DEPOT_ENV"] == "production"
        with app.app_context():
            db.create_all()
            create_user("ann", "ann-pass-word", ["clerk"])
            db.session.commit()
        c = app.test_client()
        page = c.get("/login", base_url="https://depot.example")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
        resp = c.post("/login", base_url="https://depot.example",
                      headers={"Referer": "https://depot.example/login"},
                      data={"username": "ann", "password": "ann-pass-word", "csrf_token": token})
        print(resp.status_code)
        for cookie in resp.headers.getlist("Set-Cookie"):
            print("COOKIE", cookie)
    """
    proc = _run(code, {"DEPOT_ENV": "production", "DEPOT_SECRET_KEY": "k" * 48}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert "302" in lines
    cookies = [line for line in lines if line.startswith("COOKIE session=")]
    assert cookies, proc.stdout
    flags = cookies[-1].lower()
    assert "; secure" in flags and "; httponly" in flags and "samesite=lax" in flags
