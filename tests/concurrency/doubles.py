"""Two identical state-changing requests at once: the machinery of the double-request test.

The test (``test_double_requests.py``) walks the URL map. Every rule that
accepts POST, PUT, PATCH or DELETE needs either a *scenario* registered here
(with :func:`scenario`) or an *exemption* with its reason (:data:`EXEMPT`);
a new route with neither fails the test, so none slips through.

A scenario's builder runs in an app context on an empty database, makes the
least data the step needs with the packages' own services, commits, and
returns a :class:`Case`: the request (method, path, JSON or form body, the
acting user) and a *probe*, a query counting the rows the step writes once
(a movement, an event, a shipment ...). The test sends the request twice at
the same moment from two threads to a real threaded HTTP server on loopback,
then checks that one request succeeded, the other was refused (409), and the
probe grew by exactly what one request writes.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import requests

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# A second create with a taken natural key (a code, a username, a day, a file) may be a conflict
# (409) or the field error "already used" (422): either way it is refused and nothing is made twice.
NATURAL_KEY = (409, 422)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# (endpoint, method, variant) -> builder; variant is the value of an ``any(...)`` or
# free path segment that selects the step ("" when the rule has none).
SCENARIOS: dict[tuple[str, str, str], Callable] = {}

# endpoint -> why two identical requests at once cannot double anything (or are meant to
# be applied twice). Every entry is a decision, not a gap.
EXEMPT: dict[str, str] = {}


@dataclass
class Case:
    """One request fired twice at once, and how to tell whether it posted twice."""

    method: str
    path: str
    actor: str  # username (password "<username>-pass", see Env.user)
    probe: Callable[[], object]  # runs in an app context; any comparable value, usually a row count
    json: dict | None = None
    form: dict | None = None
    files: dict | None = None
    api: bool = True  # bearer token (API) or signed-in session with CSRF (pages)
    delta: int = 1  # how much one request moves the probe
    idempotency_key: bool = False  # send the same Idempotency-Key on both (create endpoints)
    # A documented answer for the second request other than 409 (e.g. a scan's "already done").
    also_fine: Callable[[object], bool] | None = None
    # The page whose form sends this request: checked to carry the hidden idempotency key.
    form_page: str | None = None
    # The answers that say "already done" for the second request (DELETE: 404, it is gone).
    refusals: tuple = (409,)
    # Setting fields to given values (PATCH): both may succeed, as nothing can be applied twice.
    same_result: bool = False
    note: str = ""


def scenario(endpoint: str, method: str = "POST", variants: tuple[str, ...] = ("",)):
    """Register a builder ``fn(env, variant) -> Case`` for ``endpoint`` (one per variant)."""

    def register(fn):
        for variant in variants:
            key = (endpoint, method, variant)
            assert key not in SCENARIOS, f"two scenarios for {key}"
            SCENARIOS[key] = fn
        return fn

    return register


def exempt(reason: str, *endpoints: str) -> None:
    for endpoint in endpoints:
        assert endpoint not in EXEMPT, endpoint
        EXEMPT[endpoint] = reason


class Env:
    """What a builder needs: users with known passwords, offices, dealers (all committed by the test)."""

    def __init__(self, app):
        self.app = app
        self._users: set[str] = set()
        self._tokens: dict[str, str] = {}

    def user(self, *roles: str, office_id: int | None = None, name: str | None = None) -> str:
        from core.accounts.service import create_user

        username = name or ("dbl-" + "-".join(roles) + (f"-{office_id}" if office_id else ""))
        if username not in self._users:
            create_user(username, f"{username}-pass", list(roles), office_id=office_id)
            self._users.add(username)
        return username

    def office(self, code: str = "DBA") -> int:
        from core.directory.models import Office
        from core.extensions import db

        office = Office(code=code, name=f"Office {code}", region="华北")
        db.session.add(office)
        db.session.flush()
        return office.id

    def dealer(self, office_id: int, code: str = "DBL-DEALER", phone: str = "13800004321") -> int:
        from core.directory.models import Dealer
        from core.extensions import db

        dealer = Dealer(code=code, name=f"Dealer {code}", phone=phone, office_id=office_id)
        db.session.add(dealer)
        db.session.flush()
        return dealer.id

    def call(self, username: str, method: str, path: str, json=None) -> dict:
        """Send one API request as ``username`` through the test client (setup steps); the answer's JSON.

        What the builder wrote so far is committed first, so the request sees it.
        """
        from core.accounts.service import create_token, get_user
        from core.extensions import db

        db.session.commit()
        if username not in self._tokens:
            _, self._tokens[username] = create_token(get_user(username), "setup")
            db.session.commit()
        client = self.app.test_client()
        # A context of its own: a request inside the builder's context would share its ``g``
        # (and so the user signed in by the previous call).
        with self.app.app_context():
            resp = client.open(path, method=method, json=json,
                               headers={"Authorization": f"Bearer {self._tokens[username]}"})
        assert resp.status_code < 400, f"setup {method} {path}: {resp.status_code} {resp.get_data(as_text=True)[:500]}"
        db.session.expire_all()
        return resp.get_json(silent=True) or {}

    def admin(self):
        from core.accounts.service import get_user

        return get_user(self.user("admin"))

    def actor(self, username: str):
        from core.accounts.service import get_user

        return get_user(username)


def count(model, *where) -> Callable[[], int]:
    """A probe: the number of ``model`` rows matching ``where``."""
    from sqlalchemy import func, select

    from core.extensions import db

    def probe():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return probe


def probes(*parts: Callable[[], object]) -> Callable[[], tuple]:
    """Several probes at once; ``Case.delta`` applies to each of them."""

    def probe():
        return tuple(p() for p in parts)

    return probe


# --- the server and its clients ----------------------------------------------------------


class RaceWidener:
    """Holds each transaction's first write back a little while the two requests are in flight.

    Both requests then read the state before either writes, as they would on a busy
    server: a step that checks and then writes without a guard (a conditional UPDATE
    or a row lock) is caught every time instead of now and then.
    """

    PAUSE = 0.05

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine = engine
        self.active = threading.Event()
        self._event = event
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if not self.active.is_set() or conn.info.get("dbl_paused"):
            return
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            conn.info["dbl_paused"] = True
            time.sleep(self.PAUSE)

    def _end(self, conn):
        conn.info.pop("dbl_paused", None)

    def close(self):
        for name, fn in (("before_cursor_execute", self._before), ("commit", self._end), ("rollback", self._end)):
            self._event.remove(self.engine, name, fn)


class HttpActor:
    """A user talking to the live server: a bearer token for the API, a session for pages."""

    def __init__(self, base: str, username: str, token: str | None):
        self.base = base
        self.username = username
        self.session = requests.Session()
        self.token = token
        self.csrf = None

    def sign_in(self):
        page = self.session.get(f"{self.base}/login", timeout=30)
        token = CSRF_RE.search(page.text).group(1)
        resp = self.session.post(f"{self.base}/login", allow_redirects=False, timeout=30,
                                 data={"username": self.username, "password": f"{self.username}-pass",
                                       "csrf_token": token})
        assert resp.status_code == 302, f"{self.username} could not sign in: {resp.status_code}"
        page = self.session.get(f"{self.base}/login", timeout=30)
        match = CSRF_RE.search(page.text) or CSRF_RE.search(self.session.get(f"{self.base}/account/tokens").text)
        self.csrf = match.group(1)

    def send(self, case: Case, key: str | None) -> requests.Response:
        headers = {}
        url = self.base + case.path
        if case.api:
            headers["Authorization"] = f"Bearer {self.token}"
            if key:
                headers["Idempotency-Key"] = key
            if case.files:
                return requests.request(case.method, url, headers=headers, data=case.form or {},
                                        files=case.files, timeout=120, allow_redirects=False)
            return requests.request(case.method, url, headers=headers, json=case.json if case.json is not None
                                    else ({} if case.method != "DELETE" else None), timeout=120,
                                    allow_redirects=False)
        data = dict(case.form or {})
        data["csrf_token"] = self.csrf
        if key:
            data["idempotency_key"] = key  # the hidden field of the page's form
        return self.session.request(case.method, url, data=data, files=case.files, timeout=120,
                                    allow_redirects=False)


def fire_twice(actors: list[HttpActor], case: Case, widener: RaceWidener | None = None) -> list[requests.Response]:
    """Send ``case`` from two threads released together; both answers, in no particular order."""
    barrier = threading.Barrier(2)
    key = f"dbl-{uuid.uuid4().hex}" if case.idempotency_key else None
    out: list = [None, None]

    def run(i):
        barrier.wait(30)
        try:
            out[i] = actors[i].send(case, key)
        except requests.RequestException as exc:  # a reset connection is a finding, not a crash of the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    if widener is not None:
        widener.active.set()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    finally:
        if widener is not None:
            widener.active.clear()
    return out


def make_actors(app, base: str, case: Case) -> list[HttpActor]:
    """Two clients of the same user (two browser tabs, or two retries of a scanner)."""
    from core.accounts.service import create_token, get_user
    from core.extensions import db

    from core.types import utcnow

    token = None
    if case.api:
        with app.app_context():
            row, token = create_token(get_user(case.actor), "double requests")
            # A token in use: its last use is recent, so neither request writes it (the first
            # use's bookkeeping write would make the second request wait for the first).
            row.last_used_at = utcnow()
            db.session.commit()
    actors = [HttpActor(base, case.actor, token) for _ in range(2)]
    if not case.api:
        actors[0].sign_in()
        # The second tab shares the first one's session (same cookie, same CSRF token).
        actors[1].session.cookies.update(actors[0].session.cookies)
        actors[1].csrf = actors[0].csrf
    return actors


@dataclass
class Outcome:
    statuses: list
    before: object
    after: object
    problems: list = field(default_factory=list)


def audit_updates(entity: str, ident) -> Callable[[], int]:
    """A probe: how many times the audited row ``entity``/``ident`` was changed through the ORM."""
    from core.audit.models import AuditEntry

    return count(AuditEntry, AuditEntry.entity == entity, AuditEntry.entity_id == str(ident),
                 AuditEntry.action == "update")
