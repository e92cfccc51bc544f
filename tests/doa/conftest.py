"""DOA test fixtures: an office, a dealer whose phone ends in 1234, and one user per department."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.calendar import SHANGHAI

DEALER_CODE = "D0001"
PHONE_LAST4 = "1234"
ROLES = ("service", "clerk", "supervisor", "channel", "product", "finance", "commerce", "sales", "purchasing")


def at(day: date, hour: int = 10) -> datetime:
    """A Shanghai moment on ``day``."""
    return datetime.combine(day, time(hour, 0), SHANGHAI)


PASSWORD = "doa-test-pass"


@pytest.fixture()
def world(app):
    """Office BJ, dealer D0001 (phone ...1234), a second dealer in office SH, and one user per role.

    Every world user's password is ``PASSWORD``.
    """
    from core.accounts.service import create_user
    from core.directory.models import Dealer, Office
    from core.extensions import db

    with app.app_context():
        bj = Office(code="BJ", name="北京办事处", region="华北")
        sh = Office(code="SH", name="上海办事处", region="华东")
        db.session.add_all([bj, sh])
        db.session.flush()
        db.session.add(Dealer(code=DEALER_CODE, name="北京数码商行", phone="138-0000-1234", office_id=bj.id,
                              contact="王伟"))
        db.session.add(Dealer(code="D0002", name="上海电子", phone="13911115678", office_id=sh.id))
        people = [(role, [role], None) for role in ROLES]
        people += [("office-bj", ["office"], bj.id), ("office-sh", ["office"], sh.id), ("admin", ["admin"], None)]
        for username, roles, office_id in people:
            create_user(username, PASSWORD, roles, display_name=username, office_id=office_id)
        db.session.commit()
        return {"bj": bj.id, "sh": sh.id}


@pytest.fixture()
def user(app):
    """``user("channel")``: the User row (call inside an app context)."""
    from core.accounts.service import get_user

    return get_user


@pytest.fixture()
def bearer(app, world):
    """``bearer("channel")``: an API client with a token of that world user."""
    from core.accounts.service import create_token, get_user
    from core.extensions import db
    from tests.conftest import ApiClient

    def make(username):
        with app.app_context():
            _, plain = create_token(get_user(username), "tests")
            db.session.commit()
        return ApiClient(app.test_client(), {"Authorization": f"Bearer {plain}"})

    return make


@pytest.fixture()
def signed_in(app, world):
    """``signed_in("service")``: a page client signed in as that world user."""

    def make(username):
        client = app.test_client()
        resp = client.login(username, PASSWORD)
        assert resp.status_code == 302
        return client

    return make


def new_application(*, request="replacement", serials=("SN0001",), when: datetime | None = None,
                    dealer_code=DEALER_CODE):
    """Enter an application as the service user (inside an app context; flushes only)."""
    from core.accounts.service import get_user
    from doa import applications

    return applications.create_application(
        get_user("service"), dealer_code=dealer_code, request=request, purchase_date=date(2026, 9, 1),
        fault="开箱无法识别", units=[{"serial": s, "model": "SSD A400 240G"} for s in serials], at=when)


def approve(app_row, when: datetime | None = None):
    from core.accounts.service import get_user
    from doa import approvals

    approvals.decide(get_user("channel"), app_row, "channel", "approve", at=when)
    approvals.decide(get_user("product"), app_row, "product", "approve", at=when)
    return app_row


@pytest.fixture()
def approved_number(app, world):
    """The number of a replacement application for serial SN1, approved by channel and product."""
    from core.extensions import db

    with app.app_context():
        row = approve(new_application(serials=("SN1",)))
        db.session.commit()
        return row.number
