"""Scan station queue: the time from a scan to its answer on screen, with 1, 10 and 100 scans queued.

Run: ``python bench/scan_queue_bench.py [--db URL] [--bursts 1,10,100] [--delay 0]``.

Depot is served on a loopback port (werkzeug, threaded, like the browser tests) on a
fresh SQLite file (or ``--db``: an EMPTY database, its tables are created and the rows
this bench writes are left there). Debian's Chromium (``/usr/bin/chromium``) is driven
by Playwright: a clerk signs in, opens the station in receive mode and scans a parcel's
label; then each burst of N declared serials is typed as a scanner does (code + Enter,
no pause), all N are queued at once, and the page reports, for every scan, the time
from its Enter to its answer shown against its code (the ``depot:scan-answer`` event).
``--delay`` adds seconds of server think time to each scan answer (a slow link).
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dburl import database_url  # noqa: E402

SCAN_PATH = "/api/v1/repairs/scan"
SERVER_TIMES: list[float] = []  # seconds Depot spent on each scan request (after --delay)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Records, in the page, when each code was entered and when its answer was on screen.
PAGE_PROBE = """
window.__bench = { typed: {}, answered: {} };
document.getElementById('scan-form').addEventListener('submit', function () {
  var code = document.getElementById('scan-input').value.trim();
  if (code) { window.__bench.typed[code] = performance.now(); }
}, true);
document.getElementById('scan-station').addEventListener('depot:scan-answer', function (ev) {
  // The answer's line is already on screen when the event fires; wait for the frame showing it.
  var code = ev.detail.code;
  requestAnimationFrame(function () { window.__bench.answered[code] = performance.now(); });
});
"""


def slow_scans(app, delay: float):
    inner = app.wsgi_app

    def wrapped(environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == SCAN_PATH:
            if delay:
                time.sleep(delay)
            start = time.perf_counter()
            try:
                return inner(environ, start_response)
            finally:
                SERVER_TIMES.append(time.perf_counter() - start)
        return inner(environ, start_response)

    app.wsgi_app = wrapped


def seed(app, serials: list[str]) -> str:
    from core.accounts.service import create_user, get_user
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from repairs import service as rep

    with app.app_context():
        create_user("bench-clerk", "bench-clerk-pass", ["clerk"])
        office = Office(code="BNQ", name="Bench office", region="华北")
        db.session.add(office)
        db.session.flush()
        db.session.add(Dealer(code="BNQDLR", name="Bench Digital Co", phone="13900000000", office_id=office.id))
        db.session.flush()
        parcel = rep.create_parcel(get_user("bench-clerk"), dealer_code="BNQDLR", inbound_waybill="SF0000000001",
                                   lines=[{"serial": s, "model": "SSD-1T"} for s in serials])
        db.session.commit()
        return parcel.rma_number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=database_url, help="an empty database URL (default: a temp SQLite file)")
    parser.add_argument("--bursts", default="1,10,100", help="scans queued at once, comma-separated")
    parser.add_argument("--delay", type=float, default=0.0, help="extra seconds per scan answer")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    bursts = [int(b) for b in args.bursts.split(",") if b.strip()]

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from core import create_app
    from core.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="depot-scan-bench-"))
    url = args.db or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"SECRET_KEY": "scan-queue-bench", "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_FOLDER": str(tmp / "uploads"), "LOGIN_RATE_LIMIT": "1000 per minute",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
    serials = [f"BQ{n:06d}" for n in range(1, sum(bursts) + 1)]
    rma = seed(app, serials)
    slow_scans(app, args.delay)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    db_kind = url.split(":", 1)[0]
    print(f"Depot on {base} ({db_kind}), Chromium {args.chromium}, server delay {args.delay:.2f} s per scan")

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
            # The probe and the waits are evaluated scripts: the strict CSP would refuse them.
            context = browser.new_context(base_url=base, locale="en-US", bypass_csp=True)
            context.set_default_timeout(120_000)
            page = context.new_page()
            page.goto("/login")
            page.fill("input[name=username]", "bench-clerk")
            page.fill("input[name=password]", "bench-clerk-pass")
            page.click("button[type=submit].primary")
            page.wait_for_load_state()
            page.goto("/repairs/scan")
            page.evaluate(PAGE_PROBE)
            page.keyboard.press("F1")
            page.keyboard.type(rma + "\n")
            page.wait_for_function("document.getElementById('scan-station').dataset.pending === '0'")

            offset = 0
            print(f"{'queued':>7} {'first':>9} {'median':>9} {'p95':>9} {'last':>9} {'per scan':>9} {'server':>9}")
            print("        (ms: from a scan's Enter to its answer on screen; per scan = the burst's span / N;"
                  " server = median time Depot took per scan request)")
            for n in bursts:
                codes = serials[offset:offset + n]
                offset += n
                SERVER_TIMES.clear()
                # A scanner's burst: every code and its Enter, no pause between them.
                for code in codes:
                    page.keyboard.type(code + "\n")
                page.wait_for_function(
                    "codes => codes.every(c => c in window.__bench.answered)", arg=codes, polling=20)
                got = page.evaluate("codes => codes.map(c => [window.__bench.typed[c], window.__bench.answered[c]])",
                                    codes)
                waits = [answered - typed for typed, answered in got]
                span = got[-1][1] - got[0][0]
                p95 = sorted(waits)[max(0, int(round(0.95 * len(waits))) - 1)]
                print(f"{n:>7} {waits[0]:>9.0f} {statistics.median(waits):>9.0f} {p95:>9.0f} {waits[-1]:>9.0f} "
                      f"{span / n:>9.1f} {1000 * statistics.median(SERVER_TIMES):>9.1f}")
                bad = page.locator("#scan-log li.bad").count()
                if bad:
                    print(f"        ({bad} scans answered with an error: check the seed)")
            browser.close()
    finally:
        server.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
