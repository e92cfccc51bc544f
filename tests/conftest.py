"""Shared fixtures: one app and database per run, emptied between tests."""
from __future__ import annotations

import os
import re

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from tests.dbsetup import create_test_database, empty_all_tables

# Stateful and property tests: more examples on a developer's machine, bounded in CI
# (CI=true) so `.ci/run` stays well inside its time. DEPOT_HYPOTHESIS_PROFILE overrides.
settings.register_profile("ci", max_examples=15, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("dev", max_examples=60, stateful_step_count=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("DEPOT_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class DepotClient(FlaskClient):
    """A test client that can sign in and send forms the way a browser does."""

    def csrf_token(self, path: str = "/login") -> str:
        page = self.get(path)
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str):
        token = self.csrf_token("/login")
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def submit(self, path: str, data: dict | None = None, *, form_page: str | None = None, **kwargs):
        """POST a form with a valid CSRF token taken from ``form_page`` (default: the same path)."""
        data = dict(data or {})
        data["csrf_token"] = self.csrf_token(form_page or path)
        return self.post(path, data=data, **kwargs)


@pytest.fixture()
def zh_catalog(app):
    """The zh-CN catalogue compiled from the .po as it is now (``make setup`` compiles it too),
    and no translation cached from before the compile."""
    from babel.messages.mofile import write_mo

    from core.extensions import babel
    from tests.catalogue import MO, PO, read_catalog

    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        with MO.open("wb") as fh:
            write_mo(fh, read_catalog())
    babel.domain_instance.cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _test_sized_password_hashing():
    """Real Argon2id at test-sized costs for every password the tests set.

    At production cost a hash takes about 0.2 s here (and a sign-in as long to verify), and
    the suite makes thousands of users. A stored hash carries its own parameters, so the app
    verifies these as it verifies any other.
    """
    from argon2 import PasswordHasher

    from core.accounts import passwords

    production = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.use_hasher(production)


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    url, drop = create_test_database(str(tmp_path_factory.mktemp("db")))
    yield url
    drop()


@pytest.fixture(scope="session")
def app(_database, tmp_path_factory):
    from core import create_app
    from core.extensions import db

    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": _database,
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
    })
    application.test_client_class = DepotClient
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(app):
    from core.calendar.service import forget_closures
    from core.extensions import db, limiter

    yield
    with app.app_context():
        db.session.remove()
        empty_all_tables(db)
    forget_closures()
    limiter.reset()
    app.extensions["depot_principals"].clear()


@pytest.fixture()
def ctx(app):
    """An app context for calling services directly; commit yourself."""
    with app.app_context():
        yield


@pytest.fixture()
def client(app) -> DepotClient:
    return app.test_client()


@pytest.fixture()
def make_office(app):
    from core.directory.models import Office
    from core.extensions import db

    def make(code="BJ", name=None):
        with app.app_context():
            office = Office(code=code, name=name or f"{code} office", region="华北")
            db.session.add(office)
            db.session.commit()
            return office.id

    return make


@pytest.fixture()
def make_user(app):
    """Create a user and return its username; the password is '<username>-pass'."""
    from core.accounts.service import create_user
    from core.extensions import db

    def make(username, *roles, office_id=None):
        with app.app_context():
            create_user(username, f"{username}-pass", roles or ["service"], office_id=office_id)
            db.session.commit()
        return username

    return make


@pytest.fixture()
def login(app, make_user):
    """A signed-in test client for a new user with the given roles."""

    def sign_in(*roles, username=None, office_id=None):
        name = username or "-".join(roles) or "user"
        make_user(name, *roles, office_id=office_id)
        c = app.test_client()
        resp = c.login(name, f"{name}-pass")
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return c

    return sign_in


@pytest.fixture()
def api_as(app, make_user):
    """A client plus bearer headers for a new user with the given roles."""
    from core.accounts.service import create_token, get_user
    from core.extensions import db

    def make(*roles, username=None, office_id=None):
        name = username or "api-" + "-".join(roles)
        make_user(name, *roles, office_id=office_id)
        with app.app_context():
            _, plain = create_token(get_user(name), "tests")
            db.session.commit()
        return ApiClient(app.test_client(), {"Authorization": f"Bearer {plain}"})

    return make


class ApiClient:
    """Calls the JSON API with a bearer token."""

    def __init__(self, client, headers):
        self.client = client
        self.headers = headers

    def _call(self, method, path, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def put(self, path, **kw):
        return self._call("put", path, **kw)

    def patch(self, path, **kw):
        return self._call("patch", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)
