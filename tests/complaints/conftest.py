"""Complaint test fixtures: two offices with a dealer each, the product department, one user per role."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.calendar import SHANGHAI

PASSWORD = "complaints-test-pass"
ROLES = ("service", "supervisor", "gm_assistant", "clerk", "product")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A well-formed resident ID number (GB 11643 check digit X).
ID_NUMBER = "11010519491231002X"


def at(day: date, hour: int = 10) -> datetime:
    """A Shanghai moment on ``day``."""
    return datetime.combine(day, time(hour, 0), SHANGHAI)


@pytest.fixture()
def world(app):
    """Office BJ with dealer D0001, office SH with D0002, the product department, one user per role."""
    from core.accounts.service import create_user
    from core.directory.models import Dealer, Department, Office
    from core.extensions import db

    with app.app_context():
        bj = Office(code="BJ", name="北京办事处", region="华北")
        sh = Office(code="SH", name="上海办事处", region="华东")
        db.session.add_all([bj, sh])
        db.session.flush()
        db.session.add(Dealer(code="D0001", name="北京数码商行", phone="13800001234", office_id=bj.id))
        db.session.add(Dealer(code="D0002", name="上海电子", phone="13911115678", office_id=sh.id))
        dept = Department(code="product", name="产品部", email="product@example.com")
        db.session.add(dept)
        people = [(role, [role], None) for role in ROLES]
        people += [("office-bj", ["office"], bj.id), ("office-sh", ["office"], sh.id), ("admin", ["admin"], None)]
        for username, roles, office_id in people:
            create_user(username, PASSWORD, roles, display_name=username, office_id=office_id)
        db.session.commit()
        return {"bj": bj.id, "sh": sh.id, "product": dept.id}


@pytest.fixture()
def as_user(app, world):
    """A signed-in page client for a world user."""

    def sign_in(username):
        c = app.test_client()
        resp = c.login(username, PASSWORD)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return c

    return sign_in


@pytest.fixture()
def api(app, world):
    """An API client with a bearer token for a world user."""
    from core.accounts.service import create_token, get_user
    from core.extensions import db
    from tests.conftest import ApiClient

    def make(username):
        with app.app_context():
            _, plain = create_token(get_user(username), "tests")
            db.session.commit()
        return ApiClient(app.test_client(), {"Authorization": f"Bearer {plain}"})

    return make


def user(name):
    """The world user ``name`` (inside an app context)."""
    from core.accounts.service import get_user

    return get_user(name)
