"""Sign-in, CSRF, roles and API tokens."""


def test_login_with_right_password_redirects_home(client, make_user):
    make_user("ann", "clerk")
    resp = client.login("ann", "ann-pass")
    assert resp.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    make_user("ann", "clerk")
    wrong = client.login("ann", "nope-nope")
    unknown = client.login("nobody", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password" in wrong.get_data(as_text=True)
    assert "Wrong username or password" in unknown.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("ann", "clerk")
    resp = client.post("/login", data={"username": "ann", "password": "ann-pass"})
    assert resp.status_code == 400
    assert client.get("/", follow_redirects=False).status_code == 302  # still signed out


def test_login_is_rate_limited(client, make_user):
    make_user("ann", "clerk")
    statuses = [client.login("ann", "wrong-pass").status_code for _ in range(12)]
    assert statuses[-1] == 429
    assert 401 in statuses


def test_anonymous_page_redirects_to_login_and_api_says_401(client):
    page = client.get("/account/tokens")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert api.get_json()["code"] == "unauthorized"


def test_token_lifecycle(app, login):
    c = login("service", username="sam")
    token_page = c.get("/account/tokens")
    assert token_page.status_code == 200
    created = c.submit("/account/tokens", {"name": "scanner 1"})
    assert created.status_code == 200
    import re

    plain = re.search(r'id="new-token">([^<]+)<', created.get_data(as_text=True)).group(1)
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200 and me.get_json()["username"] == "sam"
    assert me.get_json()["roles"] == ["service"]
    last_used = c.get("/account/tokens").get_data(as_text=True).split("scanner 1", 1)[1].split("</tr>", 1)[0]
    assert "—" not in last_used  # the API call above is recorded as the token's last use
    tokens = api.get("/api/v1/tokens", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert [t["name"] for t in tokens] == ["scanner 1"]
    revoked = api.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers={"Authorization": f"Bearer {plain}"})
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_api_token_create_returns_token_once(api_as):
    api = api_as("clerk")
    resp = api.post("/api/v1/tokens", json={"name": "integration"})
    assert resp.status_code == 201
    assert resp.get_json()["token"].startswith("dpt_")
    listed = api.get("/api/v1/tokens").get_json()
    assert all("token" not in t for t in listed)


def test_bad_json_input_gets_clear_4xx(api_as):
    api = api_as("clerk")
    malformed = api.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert malformed.get_json()["code"] == "bad_request"
    wrong_type = api.post("/api/v1/tokens", json={"name": 12})
    assert wrong_type.status_code == 422
    assert "name" in wrong_type.get_json()["errors"]
    unknown = api.post("/api/v1/tokens", json={"name": "x", "colour": "red"})
    assert unknown.status_code == 422
    assert "colour" in unknown.get_json()["errors"]


def test_cli_create_user_and_token(app):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["depot", "create-user", "zoe", "--role", "clerk", "--password", "zoe-secret"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(args=["depot", "create-user", "yan", "--role", "wizard", "--password", "yan-secret"])
    assert bad.exit_code != 0 and "unknown role" in bad.output.lower()
    office_missing = runner.invoke(args=["depot", "create-user", "oli", "--role", "office", "--password", "oli-secret"])
    assert office_missing.exit_code != 0 and "office" in office_missing.output
    tok = runner.invoke(args=["depot", "create-token", "zoe", "--name", "scanner"])
    assert tok.exit_code == 0 and tok.output.strip().startswith("dpt_")


def test_cli_an_unknown_office_code_is_named_and_nothing_is_made(app):
    """The code is shown as typed, a per cent sign too (the sentence is filled in after translation)."""
    from core.accounts.models import User
    from core.extensions import db

    runner = app.test_cli_runner()
    for code in ("NOPE", "BJ%20", "%(code)s"):
        out = runner.invoke(args=["depot", "create-user", "oli", "--role", "office", "--office", code,
                                  "--password", "oli-secret"])
        assert out.exit_code != 0
        assert f"No regional office with code {code}." in out.output, out.output
        assert len(out.output.strip().splitlines()) == 1, out.output
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "oli")) is None


def test_security_headers_present(client):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_token_carries_every_role_of_its_user(api_as):
    api = api_as("clerk", "service", "channel", username="multi")
    assert api.get("/api/v1/me").get_json()["roles"] == ["channel", "clerk", "service"]
