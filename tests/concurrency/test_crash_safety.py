"""SIGKILL in the middle of a scan burst: nothing acknowledged is lost, nothing is half-done.

A real gunicorn server (2 workers) on a free 127.0.0.1 port serves the test
database. Client threads scan units in ("receive") as fast as they can; once a
third of the units are acknowledged, the master and both workers get SIGKILL
at once. Then:

- every scan the server acknowledged is in the database (state, timestamp
  and its one history event);
- no unit is half-done: its state, ``received_at`` and events agree, and at
  most the requests in flight at the kill were applied without an answer;
- the server starts again on the same database, and the clients finish the
  burst (a scan that was applied but never answered gets 409, or, sent with
  its Idempotency-Key when the API honours it, the first result); in the end
  every unit was received exactly once.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

import core
from tests.concurrency import scenario

ROOT = Path(core.__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("DEPOT_TEST_ARTIFACTS", ROOT / "test-artifacts"))
PARCELS, UNITS = 3, 40
THREADS = 4
KILL_AFTER = (PARCELS * UNITS) // 3

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_url: str, workdir: Path):
        self.db_url = db_url
        self.workdir = workdir
        self.proc = None
        self.port = None
        self.log = None

    def start(self, label: str):
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPOT_")}
        env.update({"DEPOT_DATABASE_URL": self.db_url, "DEPOT_SECRET_KEY": "crash-test-key",
                    "DEPOT_INSTANCE_PATH": str(self.workdir / "instance"), "PYTHONPATH": str(ROOT),
                    "DEPOT_SMTP_HOST": "127.0.0.1", "DEPOT_SMTP_PORT": "1"})
        self.log = (self.workdir / f"gunicorn-{label}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.proc.returncode}: {self.read_log(label)}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer /healthz in time")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def kill_all(self) -> int:
        victims = self.workers() + [self.proc.pid]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(30)
        return len(victims)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.log:
            self.log.close()

    def read_log(self, label):
        return (self.workdir / f"gunicorn-{label}.log").read_text()[-3000:]


def _scan(url: str, token: str, serial: str, key: str | None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(f"{url}{scenario.SCAN_PATH}", data=json.dumps({"mode": "receive", "code": serial}).encode(),
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _scan_api_is_idempotent(app) -> bool:
    view = app.view_functions.get("repairs_api.Scan")
    cls = getattr(view, "view_class", None)
    return bool(getattr(getattr(cls, "post", None), "_depot_idempotent", False))


def test_sigkill_mid_burst_loses_no_acknowledged_scan(app, _database, tmp_path):
    setup = scenario.seed(app, parcels=PARCELS, units=UNITS, clerks=THREADS, stock=False)
    idempotent = _scan_api_is_idempotent(app)
    keys = {s: f"crash-{uuid.uuid4()}" for s in setup.serials} if idempotent else {}
    shares = [setup.serials[i::THREADS] for i in range(THREADS)]
    acked: dict[str, dict] = {}
    in_flight: dict[str, int] = {}  # serial -> thread, sent but never answered
    lock = threading.Lock()
    killed = threading.Event()

    server = Server(_database, tmp_path)
    server.start("first")
    try:
        def burst(i):
            for serial in shares[i]:
                if killed.is_set():
                    return
                with lock:
                    in_flight[serial] = i
                try:
                    status, body = _scan(server.url, setup.tokens[i], serial, keys.get(serial))
                except (urllib.error.URLError, ConnectionError, OSError, http.client.HTTPException):
                    # The server died under us (before answering, or halfway through
                    # the answer): this scan stays unacknowledged.
                    return
                with lock:
                    in_flight.pop(serial, None)
                    if status == 200 and body.get("status") == "done":
                        acked[serial] = body
                    else:
                        raise AssertionError(f"{serial}: {status} {body}")

        threads = [threading.Thread(target=burst, args=(i,), daemon=True) for i in range(THREADS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while len(acked) < KILL_AFTER and time.monotonic() < deadline and any(t.is_alive() for t in threads):
            time.sleep(0.005)
        assert len(acked) >= KILL_AFTER, f"only {len(acked)} scans acknowledged before the deadline"
        victims = server.kill_all()
        killed.set()
        for t in threads:
            t.join(60)
        acked_at_kill = dict(acked)
        unanswered = dict(in_flight)
        assert len(acked_at_kill) < len(setup.serials), "the burst finished before the kill"

        # 1. Nothing acknowledged is lost, nothing is half-applied.
        state = _unit_states(app, setup.serials)
        lost = [s for s in acked_at_kill if state[s] != ("received", True, 1)]
        assert not lost, f"acknowledged but not (fully) in the database: {[(s, state[s]) for s in lost]}"
        half = {s: v for s, v in state.items() if v not in (("received", True, 1), ("declared", False, 0))}
        assert not half, f"half-applied units: {half}"
        applied_unanswered = [s for s, v in state.items() if v[0] == "received" and s not in acked_at_kill]
        assert set(applied_unanswered) <= set(unanswered), (applied_unanswered, unanswered)

        # 2. The server starts again on the same database, and the burst completes.
        server.start("restart")
        retry_statuses = {}
        for serial in setup.serials:
            if serial in acked_at_kill:
                continue
            status, body = _scan(server.url, setup.tokens[0], serial, keys.get(serial))
            retry_statuses[serial] = (status, body.get("status") or body.get("code"))
            ok = status == 200 or (status == 409 and serial in applied_unanswered)
            assert ok, f"{serial} after restart: {status} {body}"
        final = _unit_states(app, setup.serials)
        assert all(v == ("received", True, 1) for v in final.values()), final
        log = server.read_log("restart")
        assert "Traceback" not in log, log
    finally:
        server.stop()

    figures = {"units": len(setup.serials), "client_threads": THREADS, "processes_killed": victims,
               "acknowledged_before_kill": len(acked_at_kill), "acknowledged_and_found": len(acked_at_kill),
               "applied_but_unanswered": len(applied_unanswered), "unanswered_in_flight": len(unanswered),
               "idempotency_key_retries": bool(idempotent),
               "database": "postgresql" if _database.startswith("postgresql") else "sqlite"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"crash-figures-{figures['database']}.json").write_text(json.dumps(figures, indent=2))
    print("crash figures:", json.dumps(figures))


def _unit_states(app, serials) -> dict:
    """serial -> (state, has received_at, number of receive events)."""
    from sqlalchemy import func, select

    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit

    with app.app_context():
        db.session.remove()
        events = dict(db.session.execute(select(RepairEvent.unit_id, func.count())
                                         .where(RepairEvent.action == "receive")
                                         .group_by(RepairEvent.unit_id)).all())
        out = {}
        for unit in db.session.scalars(select(RepairUnit).where(RepairUnit.serial.in_(serials))):
            out[unit.serial] = (unit.state, unit.received_at is not None, events.get(unit.id, 0))
        db.session.remove()
    return out
