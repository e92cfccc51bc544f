"""Time every list page and list API at a year's data: p50/p95 of the first page and of a deep page.

    python bench/pages_bench.py                                   # SQLite, full scale
    python bench/pages_bench.py --units 20000 --movements 100000  # a quick run
    python bench/pages_bench.py --db postgresql://postgres@127.0.0.1:5432/postgres --explain

The data is the figures bench's year (1,000,000 repair units over 200,000 parcels,
5,000,000 ledger movements, weekly counts, 250,000 shipments), generated once and
kept, plus what the lists need that the figures do not: tasks, DOA applications and
one freight bill of 5,000 lines. With a PostgreSQL URL the bench makes (and keeps)
its own database ``depot_pages_bench``.

Each list is requested through the real app (a signed-in supervisor, the test client:
routing, sessions, queries, templates and JSON all run; no network) ``--runs`` times
for its first page and for a deep one: the page a user reaches after paging far (the
last pages of an OFFSET list, or the cursor of a row near the end for a keyset list).
The target is a p95 under 200 ms for every one. With ``--explain`` on PostgreSQL the
plan of each request's statements is read back and any sequential scan over a large
table is printed.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dburl import database_url  # noqa: E402
from bench.figures_bench import END, OFFICES, START, Days, Writer, generate, ts  # noqa: E402

BENCH_DB = "depot_pages_bench"
LARGE_TABLES = ("repair_unit", "return_parcel", "repair_event", "inv_movement", "inv_count", "inv_count_line",
                "shipment", "shipment_line", "task", "doa_application", "freight_bill_line")
TARGET_MS = 200.0
LARGE_ROWS = 10_000  # a listed table with fewer rows than this is not large at the bench's size
PASSWORD = "bench-supervisor-pass"

# Each list: (name, first page URL, how to reach a deep page).
#   ("page", per_page)  an OFFSET list: the last page, from the total it reports
#   ("after", key)      a keyset list: follow its ``next`` link ``key`` times from the first page
#   None                the list is short by nature (one office's own stock, ...)
LISTS = [
    ("overdue page", "/repairs/overdue", ("after", 30)),
    ("all overdue API, repairs section", "/api/v1/overdue?section=repair_unit", ("after", 30)),
    ("overdue API", "/api/v1/repairs/overdue", ("after", 30)),
    ("all overdue API", "/api/v1/overdue", ("after", 30)),
    ("repair tasks page", "/tasks?process=repairs", ("after", 30)),
    ("repair tasks API", "/api/v1/repairs/tasks", ("after", 30)),
    ("tasks page", "/tasks", ("after", 30)),
    ("tasks API", "/api/v1/tasks", ("after", 30)),
    ("parcels page", "/repairs/parcels", ("after", 30)),
    ("parcels API", "/api/v1/repairs/parcels", ("after", 30)),
    ("unit lookup API", "/api/v1/repairs/units?q=Dealer%2012", None),  # the newest 25: no pages
    ("shipments page", "/shipments/", ("after", 30)),
    ("shipments API", "/api/v1/shipments", ("after", 30)),
    ("movements page", "/inventory/movements", ("after", 30)),
    ("movements API", "/api/v1/inventory/movements", ("after", 30)),
    ("movements of one SKU page", "/inventory/movements?sku=SP-0117", ("after", 30)),
    ("movements of one SKU API", "/api/v1/inventory/movements?sku=SP-0117", ("after", 30)),
    ("counts page", "/inventory/counts", ("after", 30)),
    ("counts API", "/api/v1/inventory/counts", ("after", 30)),
    ("freight bills page", "/shipments/freight", None),
    ("freight bills API", "/api/v1/shipments/freight-bills", None),
    ("freight bill lines page", "/shipments/freight/{bill_id}", ("after", 30)),
    ("DOA cases page", "/doa/", ("after", 30)),
    ("DOA cases API", "/api/v1/doa/applications", ("after", 30)),
    ("DOA overdue page", "/doa/overdue", ("after", 30)),
    ("DOA overdue API", "/api/v1/doa/overdue", ("after", 30)),
    ("DOA tasks page", "/tasks?process=doa", ("after", 30)),
    ("dealers page", "/directory/dealers", ("after", 30)),
    ("dealers API", "/api/v1/dealers", ("after", 30)),
]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:////tmp/depot-pages-bench.sqlite", help="database URL", type=database_url)
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--movements", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=20, help="requests per page (p50/p95 over these)")
    ap.add_argument("--only", default="", help="time only the lists whose name contains this")
    ap.add_argument("--regenerate", action="store_true", help="drop and generate the data again")
    ap.add_argument("--explain", action="store_true", help="PostgreSQL: print sequential scans over large tables")
    return ap.parse_args(argv)


# --------------------------------------------------------------------------- what the lists need beyond the figures

def generate_lists(conn, dialect: str, days: Days, n_units: int, log) -> None:
    """Tasks, DOA applications and a 5,000-line freight bill, in the figures bench's year."""
    rng = random.Random(17)
    w = Writer(conn, dialect)
    span = (END - START).days
    n_parcels = max(1, n_units // 5)
    dealers = 2000

    def tasks():
        kinds = {"repairs": ("ask_dealer", "no_stock", "unannounced"), "doa": ("unapproved_arrival", "findings")}
        for i in range(1, n_units // 10 + 1):
            process = "repairs" if rng.random() < 0.7 else "doa"
            day = START + timedelta(days=rng.randrange(span))
            dealer = rng.randint(1, dealers)
            status = "open" if day > END - timedelta(days=30) and rng.random() < 0.6 else rng.choice(
                ("resolved", "resolved", "resolved", "agreed", "disputed"))
            case_type, case_id = ("parcel", rng.randint(1, n_parcels)) if process == "repairs" else (None, None)
            yield (i, process, rng.choice(kinds[process]), case_type, case_id, None, None, dealer,
                   (dealer % OFFICES) + 1, None, "", days.add(day, 2), status, None, "", ts(day, 11),
                   None if status == "open" else ts(day, 15), None if status == "open" else "bench")

    w.rows("task", ["id", "process", "kind", "case_type", "case_id", "subject_type", "subject_id", "dealer_id",
                    "office_id", "department_id", "detail", "due_on", "status", "resolution", "note", "created_at",
                    "closed_at", "closed_by"], tasks())
    log("tasks")

    def applications():
        states = ("submitted", "approved", "received", "replacement_shipped", "closed", "closed", "closed",
                  "refused")
        for i in range(1, n_units // 10 + 1):
            day = START + timedelta(days=rng.randrange(span))
            dealer = rng.randint(1, dealers)
            state = rng.choice(states) if day > END - timedelta(days=20) else "closed"
            received = state in ("received", "replacement_shipped", "closed")
            yield (i, f"DOA{i:08d}", dealer, (dealer % OFFICES) + 1, rng.choice(("replacement", "refund")),
                   day - timedelta(days=rng.randint(1, 20)), 30, False, "no power", "", "staff", state,
                   ts(day, 10), "bench", days.add(day, 1), "", "", "[]",
                   days.add(day, 9) if received else None, "", "", ts(day, 12))

    w.rows("doa_application", ["id", "number", "dealer_id", "office_id", "request", "purchase_date", "window_days",
                               "outside_window", "fault", "contact", "source", "state", "created_at", "created_by",
                               "approval_due", "channel_reason", "product_reason", "receipt_findings",
                               "replacement_due", "closing_waiver_reason", "closed_reason", "updated_at"],
           applications())
    log("DOA applications")

    w.rows("freight_bill", ["id", "number", "period", "filename", "checksum", "content_key", "status", "imported_at",
                            "line_count", "total_amount", "totals", "note"],
           [(1, "BILL-00001", "2026-10", "october.xlsx", "0" * 64, "1" * 64, "open", ts(date(2026, 11, 3), 10),
             5000, 5000 * 30, "{}", "")])
    n_shipments = n_units // 4

    def bill_lines():
        for i in range(1, 5001):
            shipment = rng.randint(1, n_shipments)
            yield (i, 1, i, f"SF{shipment:010d}", date(2026, 10, rng.randint(1, 31)), "SF", "", 1, 1.5, 30,
                   shipment, "accepted" if rng.random() < 0.97 else "disputed", "")

    w.rows("freight_bill_line", ["id", "bill_id", "line_no", "waybill", "ship_date", "carrier", "destination",
                                 "pieces", "weight_kg", "amount", "shipment_id", "review", "decision_note"],
           bill_lines())
    log("a freight bill of 5,000 lines")


# --------------------------------------------------------------------------- timing

NEXT_HTML = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')


def next_link(resp, url: str = "") -> str | None:
    """The next page's URL as the list gives it: a Link header, a JSON ``next`` (a URL, or the keyset
    cursor to send back as ``after``), or an HTML rel=next link."""
    link = resp.headers.get("Link", "")
    match = re.search(r'<([^>]+)>;\s*rel="next"', link)
    if match:
        return match.group(1)
    if resp.is_json:
        body = resp.get_json(silent=True)
        if isinstance(body, dict):
            links = body.get("links") if isinstance(body.get("links"), dict) else {}
            nxt = body.get("next") or links.get("next")
            sections = body.get("sections")
            if nxt is None and isinstance(sections, list) and len(sections) == 1 and isinstance(sections[0], dict):
                nxt = sections[0].get("next")  # /api/v1/overdue?section=...: one section, paged on
            if isinstance(nxt, str) and nxt.startswith("/"):
                return nxt
            if isinstance(nxt, str) and nxt:
                base = re.sub(r"([?&])after=[^&]*&?", r"\1", url).rstrip("?&")
                return f"{base}{'&' if '?' in base else '?'}after={quote(nxt)}"
        return None
    match = NEXT_HTML.search(resp.get_data(as_text=True))
    if match:
        return (match.group(1) or match.group(2)).replace("&amp;", "&")
    return None


def deep_url(client, url: str, how, headers) -> str | None:
    """The URL of a page far into the list: the last page of an OFFSET list (from its page count),
    or, for a keyset list, the page reached by following its ``next`` link ``value`` times."""
    if how is None:
        return None
    _kind, value = how
    first = client.get(url, headers=headers)
    nxt = next_link(first, url)
    if nxt is None:
        return None
    if re.search(r"[?&]page=\d+", nxt):
        body = first.get_json(silent=True) if first.is_json else None
        pages = body.get("pages") if isinstance(body, dict) else None
        if pages is None:
            match = re.search(r"Page \d+ of (\d+)", first.get_data(as_text=True))
            pages = int(match.group(1)) if match else None
        return re.sub(r"([?&])page=\d+", lambda m: f"{m.group(1)}page={pages}", nxt) if pages else nxt
    current = nxt
    for _ in range(value - 1):
        found = next_link(client.get(current, headers=headers), current)
        if not found:
            break
        current = found
    return current


def time_url(client, url: str, runs: int, headers) -> tuple[float, float, int, int]:
    """p50 and p95 in ms over ``runs`` requests, the status and the body's size."""
    client.get(url, headers=headers)  # warm: templates compiled, statements prepared
    times = []
    status, size = 0, 0
    for _ in range(runs):
        start = time.perf_counter()
        resp = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        status, size = resp.status_code, len(resp.get_data())
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return statistics.median(times), p95, status, size


class Statements:
    """The SQL statements one request sends (for --explain)."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[tuple[str, object]] = []

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            self.seen.append((statement, parameters))


def sequential_scans(engine, statements) -> list[str]:
    """The large tables any of ``statements`` reads by a sequential scan (PostgreSQL)."""
    from sqlalchemy import text  # noqa: F401

    found = set()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        # Large at this size: a table the bench left (nearly) empty is rightly read whole.
        cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reltuples >= %s",
                    (list(LARGE_TABLES), LARGE_ROWS))
        large = {name for (name,) in cur.fetchall()}
        for sql, params in statements:
            cur.execute("EXPLAIN " + sql, params)
            for (line,) in cur.fetchall():
                match = re.search(r"Seq Scan on (\w+)", line)
                if match and match.group(1) in large:
                    found.add(match.group(1))
        raw.rollback()
    finally:
        raw.close()
    return sorted(found)


# --------------------------------------------------------------------------- main

def prepare_database(args):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(args.db)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            exists = c.execute(text(f"SELECT 1 FROM pg_database WHERE datname = '{BENCH_DB}'")).first()
            if args.regenerate and exists:
                c.execute(text(f'DROP DATABASE "{BENCH_DB}"'))
                exists = None
            if not exists:
                c.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        admin.dispose()
        url = url.set(database=BENCH_DB)
    elif args.regenerate and url.database and os.path.exists(url.database):
        os.remove(url.database)
    return url


def main(argv=None) -> int:
    args = parse_args(argv)
    url = prepare_database(args)
    backend = url.get_backend_name()
    os.environ.setdefault("DEPOT_SECRET_KEY", "bench")
    from sqlalchemy import func, select, text

    from core import create_app
    from core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    t0 = time.perf_counter()

    def log(what):
        print(f"  generated {what} ({time.perf_counter() - t0:.1f} s)", flush=True)

    with app.app_context():
        db.create_all()
        # create_all makes missing tables only: data kept from an earlier run gets the indexes added
        # or changed since (an index of the same name over other columns is made again).
        from sqlalchemy import inspect

        found = inspect(db.engine)
        for table in db.metadata.sorted_tables:
            have = {ix["name"]: ix["column_names"] for ix in found.get_indexes(table.name)}
            for index in table.indexes:
                columns = [getattr(c, "name", None) for c in index.expressions]
                if index.name in have and have[index.name] != columns and None not in columns:
                    index.drop(db.engine)
                    have.pop(index.name)
                if index.name not in have:
                    index.create(db.engine)
        from repairs.models import RepairUnit

        have_units = db.session.scalar(select(func.count()).select_from(RepairUnit))
        db.session.rollback()
        if have_units == 0:
            print(f"generating {args.units:,} units and {args.movements:,} movements on {backend} ...", flush=True)
            from core.calendar import current_calendar

            days = Days(current_calendar(), START - timedelta(days=10), END + timedelta(days=120))
            raw = db.engine.raw_connection()
            try:
                generate(raw, backend, days, args.units, args.movements, log)
                generate_lists(raw, backend, days, args.units, log)
                raw.commit()
            finally:
                raw.close()
            if backend == "postgresql":
                # Identity sequences do not move with explicit ids: later inserts (the bench's user) need them past.
                with db.engine.connect() as c:
                    for table in ("office", "dealer", "task", "doa_application", "freight_bill",
                                  "freight_bill_line", "shipment", "return_parcel", "repair_unit"):
                        c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
                    c.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"))
            have_units = args.units
        from core.accounts.models import User
        from core.accounts.service import create_user

        if db.session.scalar(select(User).where(User.username == "bench-supervisor")) is None:
            create_user("bench-supervisor", PASSWORD, ["supervisor"])
            db.session.commit()

    client = app.test_client()
    resp = client.login("bench-supervisor", PASSWORD) if hasattr(client, "login") else _login(client)
    if resp.status_code != 302:
        print(f"could not sign in: {resp.status_code}")
        return 2
    print(f"list pages over {have_units:,} units on {backend}; {args.runs} requests each; target p95 < "
          f"{TARGET_MS:.0f} ms")
    print(f"{'list':<26} {'first p50':>10} {'p95':>8}  {'deep p50':>9} {'p95':>8}  {'size':>8}  note")
    worst = 0.0
    headers = {"Accept-Language": "en"}
    for name, path, how in LISTS:
        if args.only and args.only not in name:
            continue
        url = path.format(bill_id=1)
        first = time_url(client, url, args.runs, headers)
        deep = deep_url(client, url, how, headers)
        deep_t = time_url(client, deep, args.runs, headers) if deep else None
        note = "" if first[2] == 200 else f"status {first[2]}"
        if how is not None and deep is None:
            note = (note + " no next page").strip()
        if args.explain and backend == "postgresql":
            with app.app_context(), Statements(db.engine) as seen:
                client.get(url, headers=headers)
                if deep:
                    client.get(deep, headers=headers)
            with app.app_context():
                scans = sequential_scans(db.engine, seen.seen)
            if scans:
                note = (note + " seq scan: " + ", ".join(scans)).strip()
        worst = max(worst, first[1], deep_t[1] if deep_t else 0.0)
        deep_cols = f"{deep_t[0]:>9.1f} {deep_t[1]:>8.1f}" if deep_t else f"{'-':>9} {'-':>8}"
        print(f"{name:<26} {first[0]:>10.1f} {first[1]:>8.1f}  {deep_cols}  {first[3] // 1024:>6} K  {note}",
              flush=True)
    print(f"worst p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
    return 0


def _login(client):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": "bench-supervisor", "password": PASSWORD,
                                       "csrf_token": match.group(1) if match else ""})


if __name__ == "__main__":
    sys.exit(main())
