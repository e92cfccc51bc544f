"""While the database is unreachable every answer is a short 503, and Depot recovers by itself.

PostgreSQL: the app's connections are terminated and the database refuses new
ones (as when the server restarts or fails over), then takes them again; and an
app pointed at a closed port. SQLite: the database file cannot be opened.
"""
from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.dbsetup import is_postgres

PAGES = ["/", "/inventory/", "/repairs/parcels", "/directory/dealers", "/admin/users", "/shipments/"]
API_READS = ["/api/v1/dealers", "/api/v1/inventory/movements", "/api/v1/shipments", "/api/v1/users"]


def _every_get(client):
    """Every GET route without URL parameters (pages and API), from the URL map."""
    app = client.application
    rules = [r.rule for r in app.url_map.iter_rules()
             if "GET" in r.methods and not r.arguments and r.rule != "/healthz" and "static" not in r.endpoint]
    return [p for p in rules if not p.startswith("/api/")], [p for p in rules if p.startswith("/api/v1/")]


def _assert_unavailable(client, api_headers):
    pages, api_reads = _every_get(client)
    assert len(pages) > 30 and len(api_reads) > 30
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 503, (path, resp.status_code)
    for path in api_reads:
        resp = client.get(path, headers=api_headers)
        assert resp.status_code == 503 and resp.get_json()["code"] == "database_unavailable", (path, resp.status_code)
    health = client.get("/healthz")
    assert health.status_code == 503, health.get_data(as_text=True)[:300]
    assert health.is_json and health.get_json()["status"] == "unavailable"
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 503, (path, resp.status_code, resp.get_data(as_text=True)[:300])
        assert "text/html" in resp.content_type
        assert "database" in resp.get_data(as_text=True).lower()
        assert "Internal Server Error" not in resp.get_data(as_text=True)
    for path in API_READS:
        resp = client.get(path, headers=api_headers)
        assert resp.status_code == 503, (path, resp.status_code)
        body = resp.get_json()
        assert body["code"] == "database_unavailable" and body["message"]
    write = client.post("/api/v1/factories", json={"code": "F9", "name": "F9"}, headers=api_headers)
    assert write.status_code == 503 and write.get_json()["code"] == "database_unavailable"
    assert write.headers.get("Retry-After")


def _assert_working(client, api_headers):
    assert client.get("/healthz").status_code == 200
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    for path in API_READS:
        assert client.get(path, headers=api_headers).status_code == 200, path


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL outage")
def test_postgres_outage_answers_503_everywhere_and_recovers_without_restart(app, login, api_as):
    from core.extensions import db

    client = login("admin")
    api = api_as("admin")
    _assert_working(client, api.headers)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).scalar()
        assert killed >= 1
        _assert_unavailable(client, api.headers)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    _assert_working(client, api.headers)
    with app.app_context():
        db.session.remove()


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL outage")
def test_a_database_on_a_closed_port_answers_503(tmp_path):
    from core import create_app

    url = make_url(os.environ["DEPOT_TEST_DATABASE_URL"]).set(port=1)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url.render_as_string(False),
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    client = app.test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["status"] == "unavailable"
    page = client.get("/inventory/")
    assert page.status_code in (302, 503)  # anonymous: sent to sign in, or told the database is down
    api = client.get("/api/v1/dealers", headers={"Authorization": "Bearer dpt_whatever"})
    assert api.status_code == 503 and api.get_json()["code"] == "database_unavailable"


def test_sqlite_file_that_cannot_be_opened_answers_503_and_recovers(tmp_path):
    """An unopenable SQLite file (its folder gone) is an outage too; putting it back needs no restart."""
    from core import create_app
    from core.accounts.service import create_token, create_user
    from core.extensions import db

    folder = tmp_path / "data"
    folder.mkdir()
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/depot.sqlite",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    with app.app_context():
        db.create_all()
        user = create_user("boss", "boss-pass-12345", ["admin"])
        _, plain = create_token(user, "t")
        db.session.commit()
    from tests.conftest import DepotClient

    app.test_client_class = DepotClient
    client = app.test_client()
    assert client.login("boss", "boss-pass-12345").status_code == 302
    headers = {"Authorization": f"Bearer {plain}"}
    _assert_working(client, headers)
    moved = tmp_path / "elsewhere"
    shutil.move(str(folder), str(moved))
    with app.app_context():
        db.engine.dispose()
    try:
        _assert_unavailable(client, headers)
    finally:
        shutil.move(str(moved), str(folder))
    _assert_working(client, headers)
    with app.app_context():
        db.engine.dispose()
