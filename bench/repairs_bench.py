"""Repairs benchmark: scan throughput through gunicorn against a bare Flask endpoint, and lookup latency.

For each database given (SQLite and/or PostgreSQL) the script starts two
gunicorn servers (2 sync workers each, loopback ports): Depot, and the bare
endpoint of ``repairs_wsgi.bare`` (one indexed lookup and one insert, with
Depot's own connection settings). Both are warmed up, then driven in turn by
the same client threads for ``--rounds`` rounds (bare, Depot, bare, Depot ...,
so a slow spell of the machine falls on both), and it prints

* scan throughput: receive-mode scans of declared units through
  POST /api/v1/repairs/scan (bearer token), requests per second, and the
  ratio to the bare endpoint, per round and as the median (target >= 0.5);
* status lookup: GET /api/v1/repairs/units?q=... for serials, RMA numbers,
  waybills, dealer phones and names, one request at a time: median and p95
  in milliseconds (target p95 < 50 ms at 1,000,000 units).

Data comes from ``repairs_generate.py`` (``--generate --scale`` makes it here).
Each round receives ``--scans`` declared units, so a run uses
``rounds x scans + warmup`` of them.

    python bench/repairs_bench.py --sqlite sqlite:///bench/data/repairs.sqlite \
        --postgres postgresql://postgres@127.0.0.1:5432/depot_bench_repairs --generate --scale 0.01
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from bench.dburl import database_url  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 2 workers on a loopback port, stopped on exit."""

    def __init__(self, target: str, url: str, instance: str):
        self.port = free_port()
        env = dict(os.environ, DEPOT_DATABASE_URL=url, DEPOT_INSTANCE_PATH=instance, PYTHONPATH=ROOT,
                   DEPOT_ENV="development")
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.proc = subprocess.Popen(
            [gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--chdir", ROOT, f"bench.repairs_wsgi:{target}()"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited: " + self.proc.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, payload


def drive(port, path, bodies, headers, clients) -> tuple[float, int]:
    """POST every body with ``clients`` threads; returns (requests/second, failures)."""
    queue = list(bodies)
    lock = threading.Lock()
    failures = [0]

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            status, payload = request(port, "POST", path, body, headers)
            if status != 200:
                with lock:
                    failures[0] += 1
                    if failures[0] <= 3:
                        print(f"    ! {status} {payload[:200]!r}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(bodies) / (time.perf_counter() - started), failures[0]


def setup(url: str, need: int):
    """A bench clerk with a token, the declared serials to scan and the lookup queries."""
    from sqlalchemy import select

    from bench.repairs_generate import make_app
    from core.accounts.models import User
    from core.accounts.service import create_token, create_user
    from core.directory.models import Dealer
    from core.extensions import db
    from repairs.models import RepairUnit, ReturnParcel

    app = make_app(url)
    rng = random.Random(5)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench-clerk"))
        if user is None:
            user = create_user("bench-clerk", "bench-clerk-pass", ["clerk", "service"])
        _, token = create_token(user, "bench")
        db.session.commit()
        declared = list(db.session.scalars(select(RepairUnit.serial).where(RepairUnit.state == "declared")
                                           .order_by(RepairUnit.id.desc()).limit(need)))
        max_unit = db.session.scalar(select(db.func.max(RepairUnit.id)))
        max_parcel = db.session.scalar(select(db.func.max(ReturnParcel.id)))
        max_dealer = db.session.scalar(select(db.func.max(Dealer.id)))
        queries = []
        for _ in range(60):
            queries.append(db.session.scalar(select(RepairUnit.serial).where(RepairUnit.id == rng.randint(1, max_unit))))
            p = db.session.get(ReturnParcel, rng.randint(1, max_parcel))
            queries += [p.rma_number, p.inbound_waybill]
            d = db.session.get(Dealer, rng.randint(1, max_dealer))
            queries += [d.phone, d.name]
        db.session.remove()
        db.engine.dispose()
    rng.shuffle(queries)
    return token, declared, queries


def bench_one(name: str, url: str, scans: int, clients: int, lookups: int, rounds: int, warmup: int) -> dict:
    print(f"\n== {name}: {url.split('@')[-1]}")
    token, declared, queries = setup(url, rounds * scans + warmup + 100)
    if len(declared) < rounds * scans + warmup:
        raise SystemExit(f"only {len(declared)} declared units left; regenerate the data")
    auth = {"Authorization": f"Bearer {token}"}
    instance = tempfile.mkdtemp(prefix="depot-bench-")
    out = {}
    # Both servers up at once, driven in turn: bare, Depot, bare, Depot ... so slow
    # drifts of the machine fall on both alike. Each is warmed first (a worker's
    # first requests import, compile and cache; a server in service is past that).
    bare = Server("bare", url, instance)
    depot = Server("depot", url, instance)
    try:
        pool = list(declared)
        bare_bodies = [{"code": s} for s in declared[:scans]]  # the bare endpoint changes no state
        drive(bare.port, "/bare", bare_bodies[:warmup], {}, clients)
        drive(depot.port, "/api/v1/repairs/scan", [{"mode": "receive", "code": pool.pop()} for _ in range(warmup)],
              auth, clients)
        ratios, bare_rates, scan_rates = [], [], []
        for n in range(1, rounds + 1):
            bare_rps, bare_fail = drive(bare.port, "/bare", bare_bodies, {}, clients)
            scan_rps, scan_fail = drive(depot.port, "/api/v1/repairs/scan",
                                        [{"mode": "receive", "code": pool.pop()} for _ in range(scans)], auth, clients)
            bare_rates.append(bare_rps)
            scan_rates.append(scan_rps)
            ratios.append(scan_rps / bare_rps)
            print(f"  round {n}: bare {bare_rps:7.1f} req/s ({bare_fail} failed), "
                  f"Depot scan {scan_rps:7.1f} req/s ({scan_fail} failed), ratio {ratios[-1]:.2f}")
        out["bare_rps"] = statistics.median(bare_rates)
        out["scan_rps"] = statistics.median(scan_rates)
        out["ratio"] = statistics.median(ratios)
        print(f"  bare endpoint (1 lookup + 1 insert): {out['bare_rps']:8.1f} req/s  (median of {rounds})")
        print(f"  Depot scan (receive):                {out['scan_rps']:8.1f} req/s  (median of {rounds})")
        print(f"  ratio scan / bare:                   {out['ratio']:8.2f}   (median of {rounds}; target >= 0.5)")
        times = []
        for q in (queries * (lookups // len(queries) + 1))[:lookups]:
            started = time.perf_counter()
            status, payload = request(depot.port, "GET", "/api/v1/repairs/units?q=" + _quote(q), None, auth)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                print(f"    ! lookup {q!r}: {status} {payload[:120]!r}")
        times.sort()
        out["lookup_median"] = statistics.median(times)
        out["lookup_p95"] = times[int(len(times) * 0.95) - 1]
        print(f"  status lookup ({len(times)} queries): median {out['lookup_median']:.1f} ms, "
              f"p95 {out['lookup_p95']:.1f} ms   (target p95 < 50 ms)")
    finally:
        bare.stop()
        depot.stop()
    return out


def _quote(q: str) -> str:
    from urllib.parse import quote

    return quote(q, safe="")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sqlite", help="SQLite URL with generated data", type=database_url)
    ap.add_argument("--postgres", help="PostgreSQL URL with generated data", type=database_url)
    ap.add_argument("--generate", action="store_true", help="(re)generate the data first")
    ap.add_argument("--scale", type=float, default=1.0, help="for --generate: fraction of 1,000,000 units")
    ap.add_argument("--scans", type=int, default=400, help="scans per round")
    ap.add_argument("--clients", type=int, default=4, help="client threads")
    ap.add_argument("--lookups", type=int, default=400, help="status lookups to time")
    ap.add_argument("--rounds", type=int, default=11, help="alternating bare/Depot rounds (the median is reported)")
    ap.add_argument("--warmup", type=int, default=200, help="requests to each server before measuring")
    args = ap.parse_args(argv)
    targets = [(n, u) for n, u in (("SQLite", args.sqlite), ("PostgreSQL", args.postgres)) if u]
    if not targets:
        ap.error("give --sqlite and/or --postgres")
    if args.generate:
        from bench.repairs_generate import generate

        for _name, url in targets:
            generate(url, args.scale, seed=11, pool=max(args.scans * args.rounds + args.warmup + 500, 2000))
    results = {name: bench_one(name, url, args.scans, args.clients, args.lookups, args.rounds, args.warmup) for name, url in targets}
    print("\nsummary")
    for name, r in results.items():
        print(f"  {name:<10} scan {r['scan_rps']:.0f}/s vs bare {r['bare_rps']:.0f}/s = {r['ratio']:.2f}; "
              f"lookup median {r['lookup_median']:.1f} ms, p95 {r['lookup_p95']:.1f} ms")


if __name__ == "__main__":
    main()
