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

With ``--wrk`` (Debian's ``wrk``), the same two servers are also driven by wrk
at each of ``--wrk-connections`` (8 and 32) for ``--wrk-seconds`` a round,
bare and Depot alternating for ``--wrk-rounds`` rounds, printing requests per
second, the ratio, the servers' CPU milliseconds per request (their processes'
user + system time over the round) and the load average; then one client, one
request at a time (wrk, 1 connection): the median latency of each and the ratio.
wrk's request script (Lua: POST bodies, the bearer token, a distinct declared
serial per Depot scan) is written into a temp folder for the run.

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
import shutil
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

    def pids(self) -> list[int]:
        """The master and its workers."""
        pids = [self.proc.pid]
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its workers so far."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

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


# wrk's request script. Each wrk thread has its own Lua state: thread n of N takes every Nth
# code of the list file, so no two connections scan the same unit.
WRK_SCRIPT = r"""
local threads, count = {}, 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  path, token, list, nthreads, kind = args[1], args[2], args[3], tonumber(args[4]), args[5]
  codes, pos, wraps = {}, 0, 0
  local i = 0
  for line in io.lines(list) do
    if i % nthreads == tid then codes[#codes + 1] = line end
    i = i + 1
  end
  headers = {["Content-Type"] = "application/json"}
  if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
end

function request()
  pos = pos + 1
  if pos > #codes then pos, wraps = 1, wraps + 1 end
  local body
  if kind == "scan" then
    body = '{"mode": "receive", "code": "' .. codes[pos] .. '"}'
  else
    body = '{"code": "' .. codes[pos] .. '"}'
  end
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local wraps, used = 0, 0
  for _, t in ipairs(threads) do
    wraps = wraps + (t:get("wraps") or 0)
    used = math.max(used, t:get("pos") or 0)
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.0f %.0f %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(95), wraps))
  io.write(string.format("USED %d\n", used))
end
"""


class Wrk:
    """Runs Debian's wrk against one of the servers with the generated script."""

    def __init__(self, folder: str):
        self.wrk = shutil.which("wrk")
        if self.wrk is None:
            raise SystemExit("wrk not found: apt-get install -y wrk")
        self.folder = folder
        self.script = os.path.join(folder, "scan.lua")
        with open(self.script, "w") as f:
            f.write(WRK_SCRIPT)
        self.lists = 0

    def run(self, server: Server, path: str, token: str | None, codes: list[str], kind: str,
            connections: int, seconds: float) -> dict:
        """One wrk run: requests/s, failures, CPU ms a request, median and p95 latency (ms), codes used."""
        self.lists += 1
        listfile = os.path.join(self.folder, f"codes-{self.lists}.txt")
        with open(listfile, "w") as f:
            f.write("\n".join(codes) + "\n")
        threads = min(2, connections)
        cpu = server.cpu_seconds()
        out = subprocess.run(
            [self.wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", self.script,
             f"http://127.0.0.1:{server.port}", "--", path, token or "-", listfile, str(threads), kind],
            capture_output=True, text=True, check=False)
        if out.returncode:
            raise RuntimeError(f"wrk failed: {out.stderr or out.stdout}")
        out = out.stdout
        cpu = server.cpu_seconds() - cpu
        result = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
        used = int(next(line for line in out.splitlines() if line.startswith("USED")).split()[1])
        requests, micros, socket_errors, status_errors = (int(x) for x in result[1:5])
        if int(result[7]):
            print(f"    ! {kind}: the {len(codes)} codes given ran out; raise the slice")
        return {"rps": requests / (micros / 1e6), "requests": requests, "failed": socket_errors + status_errors,
                "cpu_ms": cpu * 1000 / max(requests, 1), "p50": float(result[5]) / 1000,
                "p95": float(result[6]) / 1000, "used": used * threads}


def bench_wrk(bare: Server, depot: Server, token: str, pool: list[str], bare_codes: list[str],
              connections: list[int], seconds: float, rounds: int, folder: str) -> dict:
    """Bare and Depot driven by wrk in turn at each connection count; then one client's latency."""
    wrk = Wrk(folder)
    out = {}
    slice_size = int(seconds * 3000)  # more than a round can scan

    def depot_round(conns, secs):
        if len(pool) < slice_size:
            raise SystemExit(f"only {len(pool)} declared units left for wrk; regenerate the data")
        r = wrk.run(depot, "/api/v1/repairs/scan", token, pool[:slice_size], "scan", conns, secs)
        del pool[:r["used"]]
        return r

    for conns in connections:
        ratios, bares, scans = [], [], []
        for n in range(1, rounds + 1):
            b = wrk.run(bare, "/bare", None, bare_codes, "bare", conns, seconds)
            d = depot_round(conns, seconds)
            bares.append(b)
            scans.append(d)
            ratios.append(d["rps"] / b["rps"])
            print(f"  wrk {conns:>2} conns, round {n}: bare {b['rps']:7.1f} req/s ({b['failed']} failed, "
                  f"{b['cpu_ms']:.2f} CPU ms/req), Depot scan {d['rps']:7.1f} req/s ({d['failed']} failed, "
                  f"{d['cpu_ms']:.2f} CPU ms/req), ratio {ratios[-1]:.2f}, load {os.getloadavg()[0]:.2f}")
        out[conns] = {"bare_rps": statistics.median(x["rps"] for x in bares),
                      "scan_rps": statistics.median(x["rps"] for x in scans),
                      "ratio": statistics.median(ratios),
                      "bare_cpu": statistics.median(x["cpu_ms"] for x in bares),
                      "scan_cpu": statistics.median(x["cpu_ms"] for x in scans)}
        r = out[conns]
        print(f"  wrk {conns:>2} conns: bare {r['bare_rps']:.0f} req/s, Depot {r['scan_rps']:.0f} req/s, ratio "
              f"{r['ratio']:.2f} (median of {rounds}; target >= 0.6); CPU ms/req bare {r['bare_cpu']:.2f}, "
              f"Depot {r['scan_cpu']:.2f} ({r['scan_cpu'] / r['bare_cpu']:.1f}x)")
    # One client, one request at a time.
    b50, d50 = [], []
    for _ in range(rounds):
        b50.append(wrk.run(bare, "/bare", None, bare_codes, "bare", 1, seconds)["p50"])
        d50.append(depot_round(1, seconds)["p50"])
    out["one"] = {"bare_ms": statistics.median(b50), "scan_ms": statistics.median(d50)}
    out["one"]["ratio"] = out["one"]["scan_ms"] / out["one"]["bare_ms"]
    print(f"  one client: median bare {out['one']['bare_ms']:.2f} ms, Depot scan {out['one']['scan_ms']:.2f} ms, "
          f"{out['one']['ratio']:.1f}x (median of {rounds} runs of {seconds:g} s; target <= 2x); "
          f"load {os.getloadavg()[0]:.2f}")
    return out


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


def bench_one(name: str, url: str, scans: int, clients: int, lookups: int, rounds: int, warmup: int,
              wrk: dict | None = None) -> dict:
    print(f"\n== {name}: {url.split('@')[-1]}   (load average {os.getloadavg()[0]:.2f})")
    need = rounds * scans + warmup
    token, declared, queries = setup(url, need + 100 + (200_000 if wrk else 0))
    if len(declared) < need:
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
        if wrk:
            out["wrk"] = bench_wrk(bare, depot, token, pool[:len(pool) - rounds * scans], declared[:scans * 10],
                                   wrk["connections"], wrk["seconds"], wrk["rounds"], instance)
            del pool[:len(pool) - rounds * scans]
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
        if rounds:
            out["bare_rps"] = statistics.median(bare_rates)
            out["scan_rps"] = statistics.median(scan_rates)
            out["ratio"] = statistics.median(ratios)
            print(f"  bare endpoint (1 lookup + 1 insert): {out['bare_rps']:8.1f} req/s  (median of {rounds})")
            print(f"  Depot scan (receive):                {out['scan_rps']:8.1f} req/s  (median of {rounds})")
            print(f"  ratio scan / bare:                   {out['ratio']:8.2f}   (median of {rounds}; target >= 0.5)")
        if lookups:
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
    ap.add_argument("--wrk", action="store_true", help="also drive both servers with wrk (Debian's wrk)")
    ap.add_argument("--wrk-connections", type=lambda v: [int(x) for x in v.split(",")], default=[8, 32],
                    help="wrk connection counts, comma-separated (default 8,32)")
    ap.add_argument("--wrk-seconds", type=int, default=3, help="length of one wrk round")
    ap.add_argument("--wrk-rounds", type=int, default=3, help="alternating bare/Depot wrk rounds per connection count")
    args = ap.parse_args(argv)
    targets = [(n, u) for n, u in (("SQLite", args.sqlite), ("PostgreSQL", args.postgres)) if u]
    if not targets:
        ap.error("give --sqlite and/or --postgres")
    if args.generate:
        from bench.repairs_generate import generate

        for _name, url in targets:
            generate(url, args.scale, seed=11, pool=max(args.scans * args.rounds + args.warmup + 500, 2000))
    wrk = {"connections": args.wrk_connections, "seconds": args.wrk_seconds, "rounds": args.wrk_rounds} if args.wrk else None
    results = {name: bench_one(name, url, args.scans, args.clients, args.lookups, args.rounds, args.warmup, wrk)
               for name, url in targets}
    print("\nsummary")
    for name, r in results.items():
        if "ratio" in r:
            print(f"  {name:<10} scan {r['scan_rps']:.0f}/s vs bare {r['bare_rps']:.0f}/s = {r['ratio']:.2f}")
        if "lookup_p95" in r:
            print(f"  {name:<10} lookup median {r['lookup_median']:.1f} ms, p95 {r['lookup_p95']:.1f} ms")
        for conns, w in sorted((k, v) for k, v in r.get("wrk", {}).items() if k != "one"):
            print(f"  {name:<10} wrk {conns:>2} conns: scan {w['scan_rps']:.0f}/s vs bare {w['bare_rps']:.0f}/s = "
                  f"{w['ratio']:.2f}; CPU {w['scan_cpu']:.2f} vs {w['bare_cpu']:.2f} ms/req")
        if "wrk" in r:
            one = r["wrk"]["one"]
            print(f"  {name:<10} one client: scan {one['scan_ms']:.2f} ms vs bare {one['bare_ms']:.2f} ms = "
                  f"{one['ratio']:.1f}x")


if __name__ == "__main__":
    main()
