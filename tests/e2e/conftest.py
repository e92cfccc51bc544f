"""Browser tests: Depot served on a loopback port, driven by Debian's headless Chromium.

- ``live_server``: the app (its own database, SQLite file or a throwaway
  PostgreSQL database like the rest of the suite) served by werkzeug in a
  thread on a free 127.0.0.1 port.
- ``browser`` / ``page``: Playwright for Python driving ``/usr/bin/chromium``
  (never a browser downloaded by Playwright). ``make browser`` installs it;
  without it these tests are skipped, saying so.
- A failing test leaves a screenshot and the page's HTML in ``test-artifacts/``.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.dbsetup import create_test_database, empty_all_tables

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DEPOT_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("DEPOT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _compiled_translations(tmp_dir: Path) -> str:
    """Compile the zh_CN catalogue into a temp folder (the tree's .mo files may be missing)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    import core

    source = Path(core.__file__).parent / "translations"
    for po_path in source.glob("*/LC_MESSAGES/messages.po"):
        target = tmp_dir / po_path.relative_to(source).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        with target.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)
    return str(tmp_dir)


class LiveServer:
    def __init__(self, app, url):
        self.app = app
        self.url = url

    def reset(self):
        from core.extensions import db, limiter

        with self.app.app_context():
            db.session.remove()
            empty_all_tables(db)
        limiter.reset()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if chromium_path() is None:
        pytest.skip("Chromium not found at /usr/bin/chromium: run `make browser` (apt-get install chromium)")
    from werkzeug.serving import make_server

    from core import create_app
    from core.extensions import db

    base = tmp_path_factory.mktemp("e2e")
    url, drop = create_test_database(str(base))
    app = create_app({
        "TESTING": False,
        "SECRET_KEY": "e2e-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(base / "uploads"),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "BABEL_TRANSLATION_DIRECTORIES": _compiled_translations(base / "translations"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
    })
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def server(live_server):
    """The live server with an empty database (emptied again after the test)."""
    live_server.reset()
    yield live_server
    live_server.reset()


@pytest.fixture()
def page(browser, server, request):
    context = browser.new_context(locale="en-US", base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_console(msg):
        # A 4xx answer the page expects (an unknown code scanned) is logged by the browser as
        # "Failed to load resource"; that is not a script error.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(f"{msg.text} ({(msg.location or {}).get('url', '')})")

    pg.on("console", on_console)
    pg.js_errors = errors
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "__").replace("[", "_").replace("]", "")
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(pg.content(), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - a dead page must not hide the real failure
            print(f"could not save the failure screenshot: {exc}")
    context.close()


@pytest.fixture()
def seed(server):
    """seed(fn): run ``fn()`` in the live server's app context and commit; returns its result."""
    from core.extensions import db

    def run(fn):
        with server.app.app_context():
            result = fn()
            db.session.commit()
            return result

    return run


@pytest.fixture()
def make_user(seed):
    """Create a user in the live server's database; the password is '<name>-pass'."""
    from core.accounts.service import create_user

    def make(username, *roles, office_id=None):
        seed(lambda: create_user(username, f"{username}-pass", roles or ["service"], office_id=office_id))
        return username

    return make


@pytest.fixture()
def sign_in(page, make_user):
    """sign_in(username, *roles): create the user and sign in through the login page."""

    def go(username, *roles, office_id=None):
        make_user(username, *roles, office_id=office_id)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", f"{username}-pass")
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{username} could not sign in"
        return page

    return go
