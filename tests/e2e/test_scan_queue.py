"""The scan station's ordered queue in a real browser: a slow server, a cut network,
a reload in the middle, and not one scan lost or applied twice.

The server's slowness is a WSGI wrapper around the live app (``scan_gate``): it sleeps
before each scan request and records every request that reaches Depot. It is also the cut
network's far end: Chromium's offline emulation does not cover every request a page under
a service worker makes (Playwright issue 2311; on a busy machine one scan got through), so
while the browser is offline the gate answers as a dead link does and passes nothing on.
"""
from __future__ import annotations

import io
import json
import re
import threading
import time

import pytest
from playwright.sync_api import expect

SCAN_PATH = "/api/v1/repairs/scan"
SERIALS = [f"QSN{n:04d}" for n in range(1, 51)]
SLOW_SECONDS = 0.15  # each scan answer takes at least this long: the clerk scans faster
SW_CACHE = "depot-scan-station-v1"


class ScanGate:
    """Wraps the app: scan requests wait ``delay`` seconds; every request that reaches the
    app is recorded; while ``cut``, nothing reaches it."""

    def __init__(self, app):
        self.app = app
        self.delay = 0.0
        self.cut = False  # the link is down: every request gets a gateway's 503 and changes nothing
        self.lose_answers = 0  # the next n scan answers are lost after the scan was applied
        self.requests: list[tuple[str, str]] = []
        self.scan_bodies: list[dict] = []
        self.scan_keys: list[str | None] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        if self.cut:
            # What a proxy answers when its upstream link is down: the station waits it out
            # exactly as it waits out a failed fetch.
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"link down"]
        with self._lock:
            self.requests.append((method, path))
        if method == "POST" and path == SCAN_PATH:
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(raw)
            with self._lock:
                self.scan_bodies.append(json.loads(raw or b"{}"))
                self.scan_keys.append(environ.get("HTTP_IDEMPOTENCY_KEY"))
            if self.delay:
                time.sleep(self.delay)
            with self._lock:
                lose = self.lose_answers > 0
                self.lose_answers -= 1 if lose else 0
            if lose:
                # The scan is applied, but its answer never reaches the browser (a proxy
                # whose upstream link dropped): the page must send it again, once.
                for _chunk in self.app(environ, lambda *args, **kwargs: None):
                    pass
                start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
                return [b"upstream connection lost"]
        return self.app(environ, start_response)

    def count(self, method, path):
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and p == path)


@pytest.fixture()
def scan_gate(server):
    app = server.app
    original = app.wsgi_app
    gate = ScanGate(original)
    app.wsgi_app = gate
    yield gate
    app.wsgi_app = original


def _parcel(username, serials):
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from repairs import intake

    office = Office(code="QUE", name="Queue office", region="华北")
    db.session.add(office)
    db.session.flush()
    db.session.add(Dealer(code="QUEDLR", name="Queue Digital Co", phone="13912345678", office_id=office.id))
    db.session.flush()
    from core.authz import SYSTEM

    # The desk registered the declared list; the clerk only scans.
    parcel = intake.create_parcel(SYSTEM, dealer_code="QUEDLR", inbound_waybill="SF9876543210",
                               lines=[{"serial": s, "model": "SSD-1T"} for s in serials])
    return parcel.rma_number


def _receive_events(seed):
    """(serial, parcel RMA) of every receive event, in the order the database recorded them."""
    from sqlalchemy import select

    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit, ReturnParcel

    def read():
        rows = db.session.execute(
            select(RepairUnit.serial, ReturnParcel.rma_number)
            .join(RepairEvent, RepairEvent.unit_id == RepairUnit.id)
            .join(ReturnParcel, ReturnParcel.id == RepairUnit.parcel_id)
            .where(RepairEvent.action == "receive").order_by(RepairEvent.id))
        return [tuple(r) for r in rows]

    return seed(read)


def _scan(page, code):
    # A handheld scanner "types" the code and Enter, a few ms per key, without pauses.
    page.keyboard.type(code + "\n", delay=2)


def _station(page):
    page.goto("/repairs/scan")
    expect(page.locator("#scan-input")).to_be_focused()
    # The service worker takes the page and keeps its files (the first visit is the only online one needed).
    # Polled from here: page.wait_for_function's polling evaluates a string, which the
    # page's CSP (no unsafe-eval) refuses. Generous: the machine running the suite may be busy.
    deadline = time.monotonic() + 30
    kept: list[str] = []
    while time.monotonic() < deadline:
        kept = page.evaluate(f"""navigator.serviceWorker.controller === null ? [] :
            caches.open('{SW_CACHE}').then(c => c.keys()).then(k => k.map(r => r.url))""")
        if any(u.endswith("/repairs/scan") for u in kept) and any(u.endswith("/scan.js") for u in kept):
            break
        time.sleep(0.1)
    assert any(u.endswith("/repairs/scan") for u in kept), kept
    page.keyboard.press("F1")
    expect(page.locator('.mode[data-mode="receive"]')).to_have_class(re.compile("active"))


def _go_offline(page, gate):
    """Cuts the network: the page's browser goes offline and the gate lets nothing through."""
    gate.cut = True
    page.context.set_offline(True)


def _go_online(page, gate):
    """The network is back: the gate lets requests through and the page is told at once."""
    gate.cut = False
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")


def _wait_all_sent(page, timeout=60_000):
    expect(page.locator("#scan-station")).to_have_attribute("data-pending", "0", timeout=timeout)


def test_fifty_scans_slow_server_cut_network_and_reload_each_applied_once_in_order(
        page, sign_in, seed, scan_gate):
    sign_in("quinn", "clerk")
    rma = seed(lambda: _parcel("quinn", SERIALS))
    _station(page)
    scan_gate.delay = SLOW_SECONDS
    log = page.locator("#scan-log")

    # 1. The parcel's label, then 20 units, faster than the server answers; three answers get lost.
    scan_gate.lose_answers = 3
    _scan(page, rma)
    for code in SERIALS[:20]:
        _scan(page, code)
    # The big panel follows the last code scanned, not the last answer to arrive.
    feedback = page.locator("#feedback")
    expect(feedback.locator(".fb-code")).to_have_text(SERIALS[19])
    expect(feedback).to_have_class(re.compile("waiting"))
    expect(feedback.locator(".fb-message")).to_contain_text("pending")
    expect(page.locator("#queue-status")).to_contain_text("pending")

    # 2. The network goes: 10 more scans are kept, and the page says so.
    _go_offline(page, scan_gate)
    for code in SERIALS[20:30]:
        _scan(page, code)
    status = page.locator("#queue-status")
    expect(status).to_contain_text("Offline")
    expect(status).to_contain_text(re.compile(r"\d+ scans waiting, they will be sent in order"))
    expect(log.locator(f'li[data-code="{SERIALS[29]}"]')).to_have_class(re.compile("waiting"))

    # 3. A reload while offline: the station comes from the service worker's copy, the queue from IndexedDB.
    pages_before = scan_gate.count("GET", "/repairs/scan")
    page.reload()
    expect(page.locator("#scan-input")).to_be_focused()
    assert scan_gate.count("GET", "/repairs/scan") == pages_before  # nothing reached the server
    expect(log.locator(f'li[data-code="{SERIALS[29]}"]')).to_be_visible()
    expect(status).to_contain_text("Offline")
    expect(page.locator('.mode[data-mode="receive"]')).to_have_class(re.compile("active"))
    for code in SERIALS[30:40]:
        _scan(page, code)
    expect(log.locator(f'li[data-code="{SERIALS[39]}"]')).to_have_class(re.compile("waiting"))

    # 4. The network is back: everything goes in order, and the clerk keeps scanning meanwhile.
    _go_online(page, scan_gate)
    for code in SERIALS[40:]:
        _scan(page, code)
    _wait_all_sent(page)

    events = _receive_events(seed)
    assert [serial for serial, _rma in events] == SERIALS  # each once, in the order scanned
    # Every request carried its scan's key; a scan sent again (answer lost) kept its key.
    keys = scan_gate.scan_keys
    assert None not in keys and len(set(keys)) == len(SERIALS) + 1, (len(keys), len(set(keys)))
    assert len(keys) >= len(SERIALS) + 1 + 3  # the lost answers were asked again
    assert {parcel for _serial, parcel in events} == {rma}
    for code in SERIALS:
        line = log.locator(f'li[data-code="{code}"]')
        expect(line).to_have_count(1)
        expect(line).to_have_class(re.compile(r"\bgood\b"))
        expect(line).to_contain_text(re.compile("receiv", re.IGNORECASE))
    expect(feedback.locator(".fb-code")).to_have_text(SERIALS[-1])
    expect(feedback).to_have_class(re.compile(r"\bgood\b"))
    expect(status).to_be_hidden()
    expect(page.locator("#failed-scans")).to_be_hidden()
    assert not page.js_errors, page.js_errors


def test_scan_refused_on_sync_is_listed_until_dismissed(page, sign_in, seed, scan_gate):
    sign_in("rita", "clerk")
    seed(lambda: _parcel("rita", SERIALS[:3]))
    _station(page)

    _go_offline(page, scan_gate)
    _scan(page, "NOPE-4711")
    _scan(page, SERIALS[0])
    expect(page.locator("#queue-status")).to_contain_text("2 scans waiting")
    feedback = page.locator("#feedback")
    expect(feedback.locator(".fb-code")).to_have_text(SERIALS[0])
    _go_online(page, scan_gate)
    _wait_all_sent(page, 20_000)

    # The refused scan is named with the server's message, and the scan after it still went through.
    failed = page.locator("#failed-scans")
    expect(failed).to_be_visible()
    line = failed.locator('li[data-code="NOPE-4711"]')
    expect(line).to_contain_text("NOPE-4711")
    expect(line).to_contain_text("not on any declared list")
    expect(page.locator('#scan-log li[data-code="NOPE-4711"]')).to_have_class(re.compile(r"\bbad\b"))
    assert [serial for serial, _rma in _receive_events(seed)] == [SERIALS[0]]

    # Kept through a reload until the clerk dismisses it.
    page.reload()
    expect(failed.locator('li[data-code="NOPE-4711"]')).to_be_visible()
    failed.locator('li[data-code="NOPE-4711"] button.dismiss').click()
    expect(failed).to_be_hidden()
    expect(page.locator("#scan-input")).to_be_focused()
    page.reload()
    expect(page.locator('#scan-log li[data-code="NOPE-4711"]')).to_be_visible()  # still in the log
    expect(failed).to_be_hidden()
    assert not page.js_errors, page.js_errors


def test_context_is_taken_when_the_scan_is_sent(page, sign_in, seed, scan_gate):
    """A unit scanned right after the parcel's label, before the label's answer came back,
    is received into that parcel: the open parcel is read when the scan is sent."""
    sign_in("sven", "clerk")
    rma = seed(lambda: _parcel("sven", SERIALS[:2]))
    _station(page)
    scan_gate.delay = 0.4
    _scan(page, rma)
    _scan(page, SERIALS[1])
    _scan(page, SERIALS[0])
    expect(page.locator("#feedback .fb-code")).to_have_text(SERIALS[0])
    _wait_all_sent(page, 20_000)
    assert _receive_events(seed) == [(SERIALS[1], rma), (SERIALS[0], rma)]
    expect(page.locator("#ctx-parcel")).to_contain_text(rma)
    sent = [(b["code"], b.get("parcel")) for b in scan_gate.scan_bodies]
    assert sent == [(rma, None), (SERIALS[1], rma), (SERIALS[0], rma)]

    def bodies():
        from sqlalchemy import select

        from core.extensions import db
        from core.idempotency import IdempotencyRecord

        return list(db.session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.path == SCAN_PATH)))

    assert len(set(seed(bodies))) == 3  # each scan its own Idempotency-Key
    assert not page.js_errors, page.js_errors


ANSWERS = {
    # code: (HTTP status, answer) as the scan API may give them, with and without "level".
    "W1": (200, {"ok": True, "status": "done", "level": "warning", "code": "W1",
                 "message": "W1 is not on the declared list: received as an extra unit.",
                 "parcel": {"rma_number": "RMA2601-0007", "scanned": 3, "expected": 5,
                            "expected_serials": ["QA1", "QA2"]}}),
    "D1": (200, {"ok": True, "status": "already_done", "message": "Already received."}),
    "E1": (409, {"status": 409, "code": "invalid_transition", "message": "E1 cannot be received now."}),
    "B1": (200, {"ok": True, "status": "done", "level": "success", "code": "B1", "message": "B1 packed.",
                 "box": {"id": 4, "number": "SH2601-0004", "destination": "Factory A", "count": 4}}),
    "O1": (409, {"status": 409, "code": "open_elsewhere", "level": "error", "message": "O1 is open on another parcel.",
                 "open_elsewhere": {"rma_number": "RMA2601-0009", "url": "/repairs/parcels/RMA2601-0009"}}),
}


def test_answers_are_coloured_by_level_and_name_their_code(browser, server, make_user):
    """Green success, amber warning, red error, blue already done; every line and the big
    panel name the code; a parcel's count, the serials still expected, the open box and
    the record open elsewhere are shown when the answer has them."""
    make_user("wanda", "clerk")
    # Canned answers from the browser's side (no service worker: it would hide the requests).
    context = browser.new_context(locale="en-US", base_url=server.url, service_workers="block")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def answer(route):
        code = json.loads(route.request.post_data)["code"]
        status, body = ANSWERS.get(code, (200, {"ok": True, "status": "done", "level": "success",
                                                "message": f"{code} received."}))
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**" + SCAN_PATH, answer)
    try:
        page.goto("/login")
        page.fill("input[name=username]", "wanda")
        page.fill("input[name=password]", "wanda-pass")
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        page.goto("/repairs/scan")
        expect(page.locator("#scan-input")).to_be_focused()
        feedback = page.locator("#feedback")
        log = page.locator("#scan-log")

        _scan(page, "W1")
        expect(feedback).to_have_class(re.compile(r"\bwarn\b"))
        expect(feedback.locator(".fb-code")).to_have_text("W1")
        expect(feedback).to_contain_text("3 of 5 scanned")
        expect(feedback).to_contain_text("Still expected: QA1, QA2")

        expected = {"D1": "repeat", "E1": "bad", "B1": "good", "O1": "bad"}
        for code in expected:
            _scan(page, code)
        for code, cls in {"W1": "warn", **expected}.items():
            line = log.locator(f'li[data-code="{code}"]')
            expect(line).to_have_class(re.compile(rf"\b{cls}\b"))
            expect(line.locator(".code")).to_have_text(code)
        expect(page.locator("#scan-station")).to_have_attribute("data-pending", "0")
        expect(feedback.locator(".fb-code")).to_have_text("O1")
        expect(feedback).to_have_class(re.compile(r"\bbad\b"))
        link = feedback.locator(".fb-elsewhere a")
        expect(link).to_have_text("RMA2601-0009")
        expect(link).to_have_attribute("href", "/repairs/parcels/RMA2601-0009")
        _scan(page, "B1")
        expect(feedback).to_contain_text("SH2601-0004 → Factory A: 4 unit(s)")

        # The log keeps the last 200 lines, newest first (the clerk scrolls it).
        for n in range(1, 211):
            page.keyboard.type(f"L{n}\n")
        expect(page.locator("#scan-station")).to_have_attribute("data-pending", "0", timeout=30_000)
        expect(log.locator("li")).to_have_count(200)
        expect(log.locator("li").first).to_have_attribute("data-code", "L210")
        expect(log.locator("li").last).to_have_attribute("data-code", "L11")
        assert not errors, errors
    finally:
        context.close()


def test_a_second_station_tab_waits_for_the_first(page, sign_in, seed, scan_gate):
    """One queue per browser and user is sent by one tab: a second station tab says so and
    takes over when the first one is closed."""
    sign_in("tess", "clerk")
    seed(lambda: _parcel("tess", SERIALS[:2]))
    page.goto("/repairs/scan")
    expect(page.locator("#scan-input")).to_be_enabled()
    second = page.context.new_page()
    second.goto("/repairs/scan")
    expect(second.locator("#scan-input")).to_be_disabled()
    expect(second.locator("#feedback")).to_contain_text("already open in another tab")
    page.close()
    expect(second.locator("#scan-input")).to_be_enabled(timeout=15_000)
    expect(second.locator("#scan-input")).to_be_focused()
    second.keyboard.press("F1")
    _scan(second, SERIALS[0])
    expect(second.locator(f'#scan-log li[data-code="{SERIALS[0]}"]')).to_have_class(re.compile(r"\bgood\b"))
    assert [serial for serial, _rma in _receive_events(seed)] == [SERIALS[0]]


def test_scans_queued_offline_survive_a_browser_restart(browser, server, make_user, seed, scan_gate, tmp_path):
    """Scans typed offline are still there after the browser is closed and started again
    (its profile on disk); the station opens without the network, and once Depot can be
    reached (and the clerk, whose session ended with the browser, has signed in again)
    they are sent in order, each once."""
    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    make_user("uma", "clerk")
    rma = seed(lambda: _parcel("uma", SERIALS[:3]))
    profile = tmp_path / "profile"

    def start():
        ctx = browser.browser_type.launch_persistent_context(
            str(profile), executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True,
            base_url=server.url, locale="en-US")
        ctx.set_default_timeout(15_000)
        return ctx

    def sign_in(pg):
        pg.goto("/login")
        pg.fill("input[name=username]", "uma")
        pg.fill("input[name=password]", "uma-pass")
        pg.click("button[type=submit].primary")
        pg.wait_for_load_state()
        assert "/login" not in pg.url

    first = start()
    try:
        page = first.pages[0] if first.pages else first.new_page()
        sign_in(page)
        _station(page)
        _go_offline(page, scan_gate)
        for code in [rma, *SERIALS[:3]]:
            _scan(page, code)
        expect(page.locator("#queue-status")).to_contain_text("4 scans waiting")
        # Closed once every scan is on disk (the station asks before leaving while one is not).
        expect(page.locator("#scan-station")).to_have_attribute("data-unsaved", "0")
    finally:
        first.close()
    assert scan_gate.count("POST", SCAN_PATH) == 0

    again = start()
    try:
        page = again.pages[0] if again.pages else again.new_page()
        _go_offline(page, scan_gate)
        page.goto("/repairs/scan")  # no network: the service worker's copy
        expect(page.locator("#queue-status")).to_contain_text("4 scans waiting")
        for code in SERIALS[:3]:
            expect(page.locator(f'#scan-log li[data-code="{code}"]')).to_have_class(re.compile("waiting"))
        _go_online(page, scan_gate)
        station = page.locator("#scan-station")
        status = page.locator("#queue-status")
        # The session cookie ended with the browser: the page keeps the scans and asks to sign in.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and station.get_attribute("data-pending") != "0" \
                and "Signed out" not in (status.text_content() or ""):
            time.sleep(0.1)
        if station.get_attribute("data-pending") != "0":
            expect(status).to_contain_text("Signed out — 4 scans waiting")
            expect(status.locator(".qs-login")).to_be_visible()
            sign_in(again.new_page())
        _wait_all_sent(page, 40_000)
        assert _receive_events(seed) == [(s, rma) for s in SERIALS[:3]]
        for code in SERIALS[:3]:
            expect(page.locator(f'#scan-log li[data-code="{code}"]')).to_have_class(re.compile(r"\bgood\b"))
    finally:
        again.close()


def test_receipt_with_units_still_expected_is_confirmed_by_the_next_label_scan(page, sign_in, seed, scan_gate):
    """The RMA label scanned again while units are expected asks first; the label scanned once
    more confirms it. Typed all at once: the confirmation is decided when its turn comes."""
    sign_in("vera", "clerk")
    rma = seed(lambda: _parcel("vera", SERIALS[:2]))
    _station(page)
    scan_gate.delay = 0.2
    for code in (rma, SERIALS[0], rma, rma):
        _scan(page, code)
    _wait_all_sent(page, 20_000)
    assert [b.get("confirm_missing", False) for b in scan_gate.scan_bodies] == [False, False, False, True]
    lines = page.locator(f'#scan-log li[data-code="{rma}"]')
    expect(lines).to_have_count(3)
    expect(lines.nth(1)).to_have_class(re.compile(r"\binput\b"))  # newest first: the question
    expect(lines.nth(1)).to_contain_text(SERIALS[1])               # names the unit still expected
    expect(lines.nth(0)).to_have_class(re.compile(r"\bwarn\b"))    # complete, one unit missing

    def states():
        from sqlalchemy import select

        from core.extensions import db
        from repairs.models import RepairUnit

        return dict(db.session.execute(select(RepairUnit.serial, RepairUnit.state)).all())

    assert seed(states) == {SERIALS[0]: "received", SERIALS[1]: "missing"}
    assert not page.js_errors, page.js_errors
