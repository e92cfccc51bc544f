"""Rate limits hold across gunicorn workers when they share a Redis.

Two real gunicorn workers, a real Redis on loopback (``.ci/run`` starts one),
20 failed sign-ins within a minute from one client: only the configured 10 get
through, the rest are 429. With the in-memory default each worker counts alone
(the finding: 20 got through), and gunicorn warns about it at start-up.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests

import core

ROOT = Path(core.__file__).resolve().parents[1]
# A database number of its own, flushed before and after: never the one a server uses.
REDIS_URL = os.environ.get("DEPOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

pytestmark = pytest.mark.slow


@pytest.fixture()
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("DEPOT_REQUIRE_REDIS"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL} (.ci/run starts one)")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn --workers 2 wsgi:app`` on the test database, from the project folder."""

    def __init__(self, app, workdir: Path, **env):
        self.port = _free_port()
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("DEPOT_")}
        environ.update({"DEPOT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                        "DEPOT_SECRET_KEY": "rate-limit-test-key", "DEPOT_INSTANCE_PATH": str(workdir / "instance"),
                        "PYTHONPATH": str(ROOT), **env})
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=environ, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == 200 and self._workers_up():
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not start: " + self.output())

    def _workers_up(self) -> bool:
        return self.output().count("Booting worker") >= 2

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def _failed_sign_ins(url: str, attempts: int) -> list[int]:
    """``attempts`` wrong passwords, each on a new connection (so both workers take some)."""
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(f"{url}/login").text).group(1)
    statuses = []
    for i in range(attempts):
        resp = browser.post(f"{url}/login", data={"username": f"guess-{i}", "password": "wrong", "csrf_token": token},
                            headers={"Connection": "close"}, allow_redirects=False, timeout=30)
        statuses.append(resp.status_code)
    return statuses


def test_sign_in_limit_holds_across_two_workers_sharing_redis(app, tmp_path, shared_redis):
    server = Gunicorn(app, tmp_path, DEPOT_RATELIMIT_STORAGE_URI=shared_redis)
    try:
        statuses = _failed_sign_ins(server.url, 20)
        # The dealers' status check without login has its own limit (10 a minute), shared the same way.
        lookups = [requests.get(f"{server.url}/api/v1/repairs/public-status",
                                params={"rma_number": "RMA2611-0001", "phone_last4": "1234"},
                                headers={"Connection": "close"}, timeout=30).status_code for _ in range(20)]
        assert "Rate limits are counted in each" not in server.output()
    finally:
        server.stop()
    assert statuses.count(401) == 10, statuses
    assert statuses.count(429) == 10, statuses
    assert lookups.count(429) == 10 and lookups.count(404) == 10, lookups
    assert redis.Redis.from_url(shared_redis).dbsize() >= 1  # the counts were kept in Redis


def test_in_memory_limits_with_two_workers_warn_at_start_up(app, tmp_path):
    server = Gunicorn(app, tmp_path)
    try:
        # Two clients at once: while one worker answers, the other takes the next connection, so
        # both workers count (one client alone can land on one worker every time on a busy machine).
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda _: _failed_sign_ins(server.url, 20), range(2)))
        statuses = runs[0] + runs[1]
        output = server.output()
    finally:
        server.stop()
    assert "Rate limits are counted in each of the 2 worker processes alone" in output
    assert "DEPOT_RATELIMIT_STORAGE_URI" in output
    # Each worker counts alone: more than the 10 get through (the reason for the warning).
    assert statuses.count(401) > 10, statuses


def test_rate_limit_storage_is_read_from_the_environment(tmp_path):
    from core.config import load_config

    assert load_config(str(tmp_path), {})["RATELIMIT_STORAGE_URI"] == "memory://"
    uri = "redis://127.0.0.1:6379/0"
    assert load_config(str(tmp_path), {"DEPOT_RATELIMIT_STORAGE_URI": uri})["RATELIMIT_STORAGE_URI"] == uri


@pytest.fixture()
def limiter_restored():
    """The limiter is one object bound to the last app made: give the tests' app its own back."""
    from core.extensions import limiter

    saved = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


def test_an_unreachable_redis_falls_back_to_counting_in_the_process(tmp_path, limiter_restored):
    """Redis away: sign-in still works and is still limited (per process), never a 500."""
    from core import create_app
    from core.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite",
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0", "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    statuses = [client.post("/login", data={"username": f"guess-{i}", "password": "wrong", "csrf_token": token})
                .status_code for i in range(12)]
    assert statuses == [401] * 10 + [429] * 2, statuses
    with app.app_context():
        db.engine.dispose()


def test_web_concurrency_with_in_memory_limits_warns(tmp_path, monkeypatch, caplog, limiter_restored):
    from core import create_app

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with caplog.at_level("WARNING", logger="depot"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite",
                    "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    assert "each of the 4 worker processes alone" in caplog.text
