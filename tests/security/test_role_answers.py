"""Every route of the URL map, asked as each role: the answers stay what they were.

Who may do what now lives in ``core.authz`` and in each service's own checks; the
pages and the API used to decide it in decorators and by hand. This walk pins the
answers down:

- GET, every page and API route (office A's ids, and bogus ones), signed in as one
  user of each role: the status equals the one recorded in ``role_answers.json``
  (recorded before authorization moved into the services; regenerate with
  ``DEPOT_WRITE_ROLE_ANSWERS=1`` only when an answer is meant to change);
- every state-changing route, as each role its decorator does not admit: 403 (the
  API and the pages alike, through the one error handler), and nothing changes.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.accounts.roles import Role
from tests.security import ownership, walk
from tests.security.seed import ADMIN, CLERK, USER_A, seed_world

ANSWERS = Path(__file__).with_name("role_answers.json")

# One user per role (besides the seed's admin, clerk and office A user).
ROLE_USERS = {
    Role.ADMIN: ADMIN,
    Role.CLERK: CLERK,
    Role.OFFICE: USER_A,
    Role.SERVICE: "role-service",
    Role.SUPERVISOR: "role-supervisor",
    Role.CHANNEL: "role-channel",
    Role.PRODUCT: "role-product",
    Role.FINANCE: "role-finance",
    Role.COMMERCE: "role-commerce",
    Role.SALES: "role-sales",
    Role.PURCHASING: "role-purchasing",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture()
def world(app):
    from core.accounts.service import create_user
    from core.extensions import db

    world = seed_world(app)
    with app.app_context():
        for role, username in ROLE_USERS.items():
            if username.startswith("role-"):
                create_user(username, world.password(username), [role.value])
        db.session.commit()
    return world


def _signed_in(app, world, username):
    client = app.test_client()
    # Each user signs in from an address of its own: eleven sign-ins in a row pass the login rate limit.
    client.environ_base["REMOTE_ADDR"] = f"10.9.0.{list(ROLE_USERS.values()).index(username) + 1}"
    assert client.login(username, world.password(username)).status_code == 302, username
    return client


def _fingerprint(app):
    from core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return ownership.fingerprint(conn, db.metadata)


def _keyed_targets(app, facts):
    """Each target with a key that does not depend on ids or dates: the rule and its place among the rule's URLs."""
    seen: dict[str, int] = {}
    out = []
    for t in walk.targets(app, facts):
        n = seen.get(t.rule, 0)
        seen[t.rule] = n + 1
        out.append((f"{t.rule} #{n}", t))
    return out


def _view_roles(app, endpoint: str, method: str):
    """The roles a route's decorator admits (None: the route checks no role)."""
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    return getattr(view, "_depot_roles", None)


def test_every_get_answers_each_role_as_before(app, world):
    facts = walk.collect_facts(app, world.office_a)
    targets = [(key, t) for key, t in _keyed_targets(app, facts)
               if "GET" in t.methods and not t.endpoint.endswith("static")]
    answers = {}
    for role, username in ROLE_USERS.items():
        client = _signed_in(app, world, username)
        for key, t in targets:
            answers[f"{role.value} GET {key}"] = client.get(t.url).status_code
    if os.environ.get("DEPOT_WRITE_ROLE_ANSWERS"):
        ANSWERS.write_text(json.dumps(answers, indent=0, sort_keys=True) + "\n")
    expected = json.loads(ANSWERS.read_text())
    changed = sorted(f"{k}: {expected.get(k)} -> {v}" for k, v in answers.items() if expected.get(k) != v)
    gone = sorted(k for k in expected if k not in answers)
    assert not changed and not gone, "\n".join(changed + [f"no longer walked: {k}" for k in gone])
    assert not [k for k, v in answers.items() if v >= 500]


def test_roles_a_route_does_not_admit_are_refused_and_change_nothing(app, world):
    facts = walk.collect_facts(app, world.office_a)
    targets = [t for _key, t in _keyed_targets(app, facts) if set(t.methods) & set(UNSAFE)]
    before = _fingerprint(app)
    problems = []
    for role, username in ROLE_USERS.items():
        client = _signed_in(app, world, username)
        token = client.csrf_token("/login")
        for t in targets:
            for method in (m for m in t.methods if m in UNSAFE):
                roles = _view_roles(app, t.endpoint, method)
                if not roles or role == Role.ADMIN or role in roles:
                    continue
                call = getattr(client, method.lower())
                if walk.is_api(t.url):
                    resp = call(t.url, json={}, headers={"X-CSRFToken": token})
                else:
                    resp = call(t.url, data={"csrf_token": token})
                if resp.status_code != 403:
                    problems.append(f"{role.value} {method} {t.url} -> {resp.status_code} (expected 403)")
    assert not problems, "\n".join(problems)
    assert _fingerprint(app) == before
