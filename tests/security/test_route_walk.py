"""Every route of the URL map, walked as an anonymous user and as another office.

Office A owns data (made by each package's own services, see ``seed.py``);
the walk fills URL parameters with office A's ids and codes and with bogus
values, and sends bodies built from the pages' forms and the OpenAPI schemas
with office A's values. It proves:

- anonymous: every non-public route answers 401 (API) or a redirect to the
  sign-in page (pages); never a 2xx, never a 5xx; nothing changes;
- office B: no 5xx; no 200 that shows office A's records; unsafe requests
  without a CSRF token are refused (400) and change nothing; with a token (or
  a bearer token on the API) they may touch office B's own data only, never A's;
- every POST form on every page carries a CSRF token.

Public endpoints are listed in ``walk.PUBLIC_ENDPOINTS`` (and ``public.*``).
"""
from __future__ import annotations

import pytest

from tests.security import ownership, walk
from tests.security.seed import ADMIN, CLERK, USER_A, USER_B, seed_world

REDIRECTS = (301, 302, 303, 307, 308)


def _fingerprint(app, owned=None):
    from core.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            return ownership.fingerprint(conn, db.metadata, owned)


def _signed_in(app, world, username):
    client = app.test_client()
    resp = client.login(username, world.password(username))
    assert resp.status_code == 302, f"{username} could not sign in"
    return client


def _csrf(client):
    return client.csrf_token("/login")


def _to_login(resp) -> bool:
    return resp.status_code in REDIRECTS and "/login" in resp.headers.get("Location", "")


def _leaks(resp, facts, sent=None) -> list[str]:
    """Office A's identifying values in a 200 answer (values the request itself carried excepted)."""
    if resp.status_code != 200:
        return []
    body = resp.get_data()  # bytes: CSV, JSON, HTML and uncompressed PDF text are all searchable
    echoed = repr(sent) if sent is not None else ""
    return sorted(m for m in facts.markers if m.encode() in body and m not in echoed)


@pytest.fixture()
def world(app):
    return seed_world(app)


@pytest.fixture()
def facts(app, world):
    facts = walk.collect_facts(app, world.office_a)
    assert facts.markers, "office A has no identifying data to look for"
    return facts


@pytest.fixture()
def spec(client):
    return client.get("/api/openapi.json").get_json()


def _learn_forms(app, world, facts, targets):
    """GET every page as the admin and the clerk; return (forms by action, problems)."""
    problems = []
    forms: dict[str, dict] = {}
    for username in (ADMIN, CLERK, USER_A):
        client = _signed_in(app, world, username)
        for t in targets:
            if "GET" not in t.methods or walk.is_api(t.url) or t.endpoint.endswith("static"):
                continue
            resp = client.get(t.url)
            if resp.status_code >= 500:
                problems.append(f"{username} GET {t.url} -> {resp.status_code}")
                continue
            if resp.status_code != 200 or "text/html" not in resp.content_type:
                continue
            for form in walk.parse_forms(resp.get_data(as_text=True)):
                if form["method"] != "post":
                    continue
                if not form["csrf"]:
                    problems.append(f"form posting to {form['action'] or t.url} on {t.url} has no CSRF token")
                action = (form["action"] or t.url).split("?")[0].split("#")[0]
                known = forms.setdefault(action, {"fields": {}, "types": {}, "enctype": form["enctype"]})
                for name, options in form["fields"].items():
                    known["fields"].setdefault(name, [])
                    known["fields"][name].extend(o for o in options if o not in known["fields"][name])
                known["types"].update(form.get("types", {}))
    return forms, problems


def _form_data(forms, url, facts):
    form = forms.get(url)
    if not form:
        return {"office_id": str(facts.office_a), "office": facts.office_a_code}
    types = form["types"]
    return {name: walk.form_value(name, options, facts, types.get(name, "text"))
            for name, options in form["fields"].items() if types.get(name) != "file"}


def test_anonymous_users_get_nothing(app, world, facts):
    targets = walk.targets(app, facts)
    before = _fingerprint(app)
    anon = app.test_client()
    token = _csrf(anon)
    problems = []
    sent = 0
    for t in targets:
        for method in t.methods:
            public = walk.is_public(t.endpoint)
            variants = [("get", {})] if method == "GET" else [("no-csrf", {}), ("csrf", {"csrf_token": token})]
            for label, data in variants:
                call = getattr(anon, method.lower())
                resp = call(t.url, data=data) if method != "GET" else call(t.url)
                sent += 1
                status = resp.status_code
                where = f"anonymous {method} {t.url} ({label}) -> {status}"
                if status >= 500:
                    problems.append(where)
                elif leaks := _leaks(resp, facts):
                    problems.append(f"{where} shows office A data {leaks}")
                elif public:
                    continue
                elif method == "GET":
                    if walk.is_api(t.url):
                        if status != 401:
                            problems.append(where + " (expected 401)")
                    elif not _to_login(resp):
                        problems.append(where + " (expected a redirect to the sign-in page)")
                elif status < 400 and not _to_login(resp):
                    problems.append(where + " (an unsafe request succeeded)")
                elif label == "no-csrf" and status not in (400, 401, 405) and not _to_login(resp):
                    problems.append(where + " (expected 400 for the missing CSRF token)")
    assert not problems, f"{len(problems)} problems in {sent} anonymous requests:\n" + "\n".join(problems)
    changed = ownership.diff(before, _fingerprint(app))
    assert not changed, f"anonymous requests changed tables {changed}"


def test_office_b_sees_and_changes_nothing_of_office_a(app, world, facts, spec):
    targets = walk.targets(app, facts)
    forms, _ = _learn_forms(app, world, facts, targets)
    bob = _signed_in(app, world, USER_B)
    bearer = {"Authorization": f"Bearer {world.users[USER_B]}"}
    problems = []
    sent = 0

    # 1. Reading, with the session cookie.
    for t in targets:
        if "GET" not in t.methods:
            continue
        resp = bob.get(t.url)
        sent += 1
        where = f"office B GET {t.url} -> {resp.status_code}"
        if resp.status_code >= 500:
            problems.append(where)
        elif leaks := _leaks(resp, facts):
            problems.append(f"{where} shows office A data {leaks}")

    # 2. Changing, with the session cookie but no CSRF token: refused, nothing changes.
    before = _fingerprint(app)
    for t in targets:
        for method in t.methods:
            if method == "GET":
                continue
            data = _form_data(forms, t.url, facts)
            resp = getattr(bob, method.lower())(t.url, data=data)
            sent += 1
            if resp.status_code not in (400, 405):
                problems.append(f"office B {method} {t.url} without CSRF -> {resp.status_code} (expected 400)")
    changed = ownership.diff(before, _fingerprint(app))
    if changed:
        problems.append(f"requests without a CSRF token changed tables {changed}")

    # 3. Changing with a CSRF token (pages) or a bearer token (API): never office A's data.
    a_before = _fingerprint(app, facts.owned)
    token = _csrf(bob)
    for t in targets:
        for method in t.methods:
            if method == "GET" or t.endpoint == "accounts.logout":
                continue
            if walk.is_api(t.url):
                body = walk.request_body(spec, t.rule, method, facts)
                payload = body if body is not None else {}
                resp = getattr(bob, method.lower())(t.url, json=payload, headers=bearer)
            else:
                payload = _form_data(forms, t.url, facts)
                payload["csrf_token"] = token
                resp = getattr(bob, method.lower())(t.url, data=payload)
            sent += 1
            where = f"office B {method} {t.url} -> {resp.status_code}"
            if resp.status_code >= 500:
                problems.append(where)
                continue
            if leaks := _leaks(resp, facts, payload):
                problems.append(f"{where} shows office A data {leaks}")
            if resp.status_code < 400:
                changed = ownership.diff(a_before, _fingerprint(app, facts.owned))
                if changed:
                    problems.append(f"{where} changed office A's rows in {changed}")
                    a_before = _fingerprint(app, facts.owned)
    assert bob.get("/api/v1/me").get_json()["username"] == USER_B  # the walk stayed signed in
    assert not problems, f"{len(problems)} problems in {sent} office-B requests:\n" + "\n".join(problems)


def test_every_page_renders_and_every_form_has_a_csrf_token(app, world, facts):
    targets = walk.targets(app, facts)
    forms, problems = _learn_forms(app, world, facts, targets)
    assert not problems, "\n".join(problems)
    assert "/logout" in forms and "/account/tokens" in forms  # the walk did find the forms


def test_every_non_public_view_declares_its_roles(app):
    """Each view is wrapped by roles_required (directly or on its MethodView methods)."""
    checks_itself = {"core.home"}  # redirects anonymous users to the sign-in page, shows no data
    missing = []
    for rule in app.url_map.iter_rules():
        if walk.is_public(rule.endpoint) or rule.endpoint in checks_itself:
            continue
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        if cls is not None:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                fn = getattr(cls, method.lower(), None)
                if fn is not None and not hasattr(fn, "_depot_roles"):
                    missing.append(f"{rule.endpoint} {method}")
        elif not hasattr(view, "_depot_roles"):
            missing.append(rule.endpoint)
    assert not missing, "views without roles_required: " + ", ".join(sorted(missing))


def test_walk_reaches_office_a_records(app, world, facts):
    """The walk is only as good as its parameters: check it really aims at office A."""
    targets = walk.targets(app, facts)
    with_params = [t for t in targets if "<" in t.rule]
    assert with_params and any(t.foreign for t in with_params)
    assert any(t.url.startswith("/account/tokens/") and t.foreign for t in targets)
    assert USER_A in facts.markers and "DLRASECRET1" in facts.markers
