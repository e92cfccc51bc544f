"""core.authz: roles, the system principal, office scoping, and nobody (None) refused."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import authz
from core.accounts.principal import TokenPrincipal
from core.accounts.roles import Role
from core.errors import Forbidden


@pytest.fixture()
def offices(app):
    from core.directory.models import Office
    from core.extensions import db

    with app.app_context():
        a = Office(code="OA", name="Office A", region="华北")
        b = Office(code="OB", name="Office B", region="华东")
        db.session.add_all([a, b])
        db.session.commit()
        return a.id, b.id


@pytest.fixture()
def people(app, offices, make_user):
    """A user of each kind, by name: clerk, supervisor, office A, channel approver, admin."""
    make_user("au-clerk", "clerk")
    make_user("au-boss", "supervisor")
    make_user("au-office", "office", office_id=offices[0])
    make_user("au-channel", "channel")
    make_user("au-admin", "admin")
    return {"clerk": "au-clerk", "boss": "au-boss", "office": "au-office", "channel": "au-channel",
            "admin": "au-admin"}


def _user(name):
    from core.accounts.service import get_user

    return get_user(name)


def test_require_admits_the_roles_admins_and_the_system(app, people):
    with app.test_request_context():
        authz.require(_user("au-clerk"), Role.CLERK, Role.SERVICE)
        authz.require(_user("au-admin"), Role.SUPERVISOR)
        authz.require(authz.SYSTEM, Role.SUPERVISOR)
        authz.require(_user("au-channel"))  # no roles: anyone signed in
        with pytest.raises(Forbidden) as err:
            authz.require(_user("au-clerk"), Role.SUPERVISOR)
        assert err.value.message == "Your role does not allow this."
        with pytest.raises(Forbidden) as err:
            authz.require(_user("au-clerk"), Role.SUPERVISOR, message="Only the supervisor settles disputes.")
        assert err.value.message == "Only the supervisor settles disputes."
        assert err.value.status == 403


def test_nobody_is_never_allowed(app):
    from core.directory.models import Office

    with app.test_request_context():
        for check in (lambda: authz.require(None), lambda: authz.require(None, Role.CLERK),
                      lambda: authz.visible_office_id(None), lambda: authz.require_office(None, 1),
                      lambda: authz.can_see_office(None, None),
                      lambda: authz.scope_to_office(select(Office.id), None, Office.id)):
            with pytest.raises(Forbidden) as err:
                check()
            assert err.value.message == "Sign in first."


def test_the_system_principal_names_itself_and_sees_every_office(app, offices):
    assert authz.is_system(authz.SYSTEM) and not authz.is_system(None)
    assert authz.SYSTEM.username == "system" and authz.SYSTEM.id is None
    assert authz.SYSTEM.has_role(Role.PURCHASING) and authz.SYSTEM.is_hq
    with app.test_request_context():
        assert authz.visible_office_id(authz.SYSTEM) is None
        authz.require_office(authz.SYSTEM, offices[1])
    # The ledger's callers find the same principal where they always did.
    from inventory import access

    assert access.SYSTEM is authz.SYSTEM


def test_office_scoping(app, offices, people):
    a, b = offices
    with app.test_request_context():
        office, boss, channel, clerk = (_user(people[k]) for k in ("office", "boss", "channel", "clerk"))
        assert authz.visible_office_id(office) == a
        assert authz.visible_office_id(boss) is None and authz.visible_office_id(clerk) is None
        assert authz.visible_office_id(channel) == authz.NO_OFFICE  # approvers see no office stock ...
        assert authz.visible_office_id(channel, approvers_see_all=True) is None  # ... but every DOA case
        assert authz.can_see_office(office, a) and not authz.can_see_office(office, b)
        assert not authz.can_see_office(office, None)  # HQ's own records
        authz.require_office(office, a)
        with pytest.raises(Forbidden) as err:
            authz.require_office(office, b)
        assert err.value.message == "This record belongs to another office."
        with pytest.raises(Forbidden):
            authz.require_office(channel, a)
        authz.require_office(channel, a, approvers_see_all=True)


def test_scope_to_office_is_the_one_query_filter(app, offices, people):
    from core.directory.models import Office
    from core.extensions import db

    a, _b = offices
    with app.test_request_context():
        def seen(actor, **kw):
            stmt = authz.scope_to_office(select(Office.id).order_by(Office.id), actor, Office.id, **kw)
            return list(db.session.scalars(stmt))

        assert seen(_user(people["office"])) == [a]
        assert seen(_user(people["boss"])) == list(offices) == seen(authz.SYSTEM)
        assert seen(_user(people["channel"])) == []
        assert seen(_user(people["channel"]), approvers_see_all=True) == list(offices)


def test_token_principals_are_checked_like_users(app, offices):
    """A bearer token's principal (not an ORM object) answers the same questions."""
    a, b = offices
    principal = TokenPrincipal(id=3, username="scanner", display_name="Scanner", email=None, office_id=a,
                               locale=None, roles=frozenset({Role.OFFICE}), token_id=7)
    with app.test_request_context():
        authz.require(principal, Role.OFFICE)
        with pytest.raises(Forbidden):
            authz.require(principal, Role.CLERK)
        assert authz.visible_office_id(principal) == a
        with pytest.raises(Forbidden):
            authz.require_office(principal, b)


def test_pages_and_api_refuse_with_the_one_error_handler(app, login, api_as):
    """A role the route does not admit: 403 JSON on the API, the error page on pages, both in words."""
    resp = api_as("clerk").post("/api/v1/repairs/prices", json={})
    assert resp.status_code == 403
    assert resp.get_json()["code"] == "forbidden" and resp.get_json()["message"]
    page = login("clerk", username="au-clerk2").get("/admin/users")
    assert page.status_code == 403 and "text/html" in page.content_type
