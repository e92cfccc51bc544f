"""Writes aimed at another office, and refused requests: nothing changes that should not.

The route walk (``walk.py``) again, now for writes:

- every office user (office A's and office B's) sends every unsafe route of the URL
  map with a body that names the *other* office: its id and code, its locations
  (codes and ids) and its dealers (ids and codes), in every field whose name says
  office, location, parent or dealer; URL parameters point at the other office's
  records. No answer is a 5xx, and the other office's rows never change;
- every role sends every unsafe route; whenever the answer is a refusal (4xx),
  a snapshot of the whole database (every table's rows, hashed) taken before and
  after the request is the same: a request a role may not make changes no row.
"""
from __future__ import annotations

import pytest

from core.accounts.roles import Role
from tests.security import ownership, walk
from tests.security.seed import ADMIN, USER_A, USER_B, seed_world
from tests.security.test_route_walk import _csrf, _fingerprint, _form_data, _learn_forms, _signed_in

pytestmark = pytest.mark.slow


@pytest.fixture()
def world(app):
    return seed_world(app)


@pytest.fixture()
def spec(client):
    return client.get("/api/openapi.json").get_json()


@pytest.fixture()
def writes(app):
    watch = walk.WriteWatch(app)
    yield watch
    watch.close()


def _unsafe(targets):
    for t in targets:
        for method in t.methods:
            if method in walk.UNSAFE and t.endpoint not in ("accounts.logout", "accounts.login"):
                yield t, method


def _send(client, bearer, spec, forms, facts, t, method, csrf, body=None):
    """One unsafe request with a body naming ``facts``'s office; (response, body sent)."""
    if walk.is_api(t.url):
        if body is None:
            body = walk.request_body(spec, t.rule, method, facts)
        body = walk.retarget(body if body is not None else {}, facts)
        return getattr(client, method.lower())(t.url, json=body, headers=bearer), body
    form = walk.retarget(_form_data(forms, t.url, facts), facts)
    form = {k: str(v) for k, v in form.items()}
    form["csrf_token"] = csrf
    return getattr(client, method.lower())(t.url, data=form), form


def _requests(spec, facts, targets):
    """(target, method, body) for every unsafe route; API bodies in every variant of their choices."""
    for t, method in _unsafe(targets):
        bodies = walk.body_variants(spec, t.rule, method, facts) if walk.is_api(t.url) else [None]
        for body in bodies:
            yield t, method, body


def test_office_users_change_nothing_of_another_office(app, world, spec, writes):
    facts_a = walk.collect_facts(app, world.office_a)
    facts_b = walk.collect_facts(app, world.office_b)
    forms, _ = _learn_forms(app, world, facts_a, walk.targets(app, facts_a))
    problems, sent, foreign, refused = [], 0, 0, 0
    for username, other in ((USER_A, facts_b), (USER_B, facts_a)):
        assert other.values.get("inv_location") and other.values.get("dealer"), "the other office has no data"
        client = _signed_in(app, world, username)
        bearer = {"Authorization": f"Bearer {world.users[username]}"}
        csrf = _csrf(client)
        theirs = _fingerprint(app, other.owned)
        snapshot = _fingerprint(app)
        for t, method, body in _requests(spec, other, walk.targets(app, other)):
            before_writes = writes.count
            resp, body = _send(client, bearer, spec, forms, other, t, method, csrf, body)
            sent += 1
            foreign += walk.names_foreign(body)
            where = f"{username} {method} {t.url} -> {resp.status_code}"
            if resp.status_code >= 500:
                problems.append(where)
                continue
            if resp.status_code >= 400:
                refused += 1
            if writes.count == before_writes:
                continue  # no INSERT, UPDATE or DELETE ran: nothing can have changed
            after = _fingerprint(app)
            if resp.status_code >= 400:
                if changed := ownership.diff(snapshot, after):
                    problems.append(f"{where}: refused, but changed {changed}")
            elif changed := ownership.diff(theirs, _fingerprint(app, other.owned)):
                problems.append(f"{where}: changed the other office's rows in {changed}; sent {body!r:.300}")
                theirs = _fingerprint(app, other.owned)
            snapshot = after
        assert client.get("/api/v1/me").get_json()["username"] == username  # the walk stayed signed in
    print(f"cross-office writes: {sent} requests, {foreign} naming the other office, {refused} refused")
    assert not problems, f"{len(problems)} problems in {sent} requests:\n" + "\n".join(problems)
    assert foreign > sent // 4, "too few bodies named the other office: the walk is not aiming"


def _role_users(app, world) -> dict[str, str]:
    """A signed-in name and bearer token for every role (office: office B's user)."""
    from core.accounts.service import create_token, create_user
    from core.extensions import db

    users = {"office": USER_B, "admin": ADMIN}
    with app.app_context():
        for role in Role:
            if role.value in users:
                continue
            name = f"walk-{role.value}"
            user = create_user(name, world.password(name), [role.value])
            _, world.users[name] = create_token(user, "walk")
            users[role.value] = name
        db.session.commit()
    return users


def test_a_refused_request_changes_no_row(app, world, spec, writes):
    from core.extensions import limiter

    facts = walk.collect_facts(app, world.office_a)
    targets = walk.targets(app, facts)
    forms, _ = _learn_forms(app, world, facts, targets)
    problems, refused, sent = [], {}, 0
    for role, username in sorted(_role_users(app, world).items()):
        if role == "admin":
            continue  # passes every role check: nothing is refused for lack of a role
        limiter.reset()  # eleven sign-ins in a minute from one address would be rate-limited
        client = _signed_in(app, world, username)
        bearer = {"Authorization": f"Bearer {world.users[username]}"}
        csrf = _csrf(client)
        snapshot = _fingerprint(app)
        for t, method in _unsafe(targets):
            before_writes = writes.count
            resp, _ = _send(client, bearer, spec, forms, facts, t, method, csrf)
            sent += 1
            if resp.status_code >= 500:
                problems.append(f"{role} {method} {t.url} -> {resp.status_code}")
            elif resp.status_code >= 400:
                refused[role] = refused.get(role, 0) + 1
            if writes.count == before_writes:
                continue  # no INSERT, UPDATE or DELETE ran: nothing can have changed
            after = _fingerprint(app)
            if 400 <= resp.status_code < 500 and (changed := ownership.diff(snapshot, after)):
                problems.append(f"{role} {method} {t.url} -> {resp.status_code}: refused, but changed {changed}")
            snapshot = after
    print(f"refused requests: {sent} sent, refused per role {refused}")
    assert not problems, f"{len(problems)} problems in {sent} requests:\n" + "\n".join(problems)
    assert refused.get("clerk", 0) > 20 and refused.get("office", 0) > 20  # the walk did hit role checks
