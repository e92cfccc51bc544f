"""Time the monthly figures report over a large data set (issue 7: < 2 s at 1M units, 5M movements).

    python bench/figures_bench.py                         # SQLite, full scale
    python bench/figures_bench.py --units 20000 --movements 100000   # a quick run
    python bench/figures_bench.py --db postgresql://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL the bench creates (and afterwards keeps) its own database
``depot_figures_bench`` on that server. The data is generated once and kept: a
later run with the same sizes reuses it (``--regenerate`` to start over). When
``bench/repairs_generate.py`` / ``bench/inventory_generate.py`` have filled a
database already, point ``--db`` at it with ``--reuse`` to time the report over
their data instead.

Only the report's computation is timed (every table: repairs, DOA, spares,
counts, variance, freight), as the supervisor's page would run it; the PDF
rendering is timed separately.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dburl import database_url  # noqa: E402
from repairs.states import chase_due  # noqa: E402

START = date(2024, 1, 1)
END = date(2026, 11, 20)
OFFICES = 30
DEALERS = 2000
PARTS = 200
MODELS = [f"SSD-{n}" for n in range(40)] + [f"USB-{n}" for n in range(20)]
FAULTS = ["no power", "not detected", "bad sector", "slow write", "write protected", "capacity wrong",
          "cracked case", "overheats", "drops connection", "firmware"] + [f"fault {n}" for n in range(20)]
SHANGHAI_OFFSET = timedelta(hours=8)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:////tmp/depot-figures-bench.sqlite", help="database URL", type=database_url)
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--movements", type=int, default=5_000_000)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true", help="drop and generate the data again")
    ap.add_argument("--reuse", action="store_true", help="time over whatever the database holds")
    return ap.parse_args(argv)


# --------------------------------------------------------------------------- calendar helpers

class Days:
    """Working-day arithmetic over the bench range via ordinals (fast enough for millions of rows)."""

    def __init__(self, cal, first: date, last: date):
        self.first = first
        self.is_work = []
        self.ord = []
        self.by_ord = {}
        n = 0
        d = first
        while d <= last:
            w = cal.is_working_day(d)
            if w:
                n += 1
                self.by_ord[n] = d
            self.is_work.append(w)
            self.ord.append(n)
            d += timedelta(days=1)

    def add(self, day: date, n: int) -> date:
        base = self.ord[(day - self.first).days]
        return self.by_ord.get(base + n, day + timedelta(days=n * 7 // 5 + 1))


def ts(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time on ``day`` as naive UTC."""
    return datetime(day.year, day.month, day.day, hour, minute) - SHANGHAI_OFFSET


# --------------------------------------------------------------------------- bulk writers

class Writer:
    """Bulk insert through the raw DB-API: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, conn, dialect: str):
        self.conn = conn
        self.dialect = dialect

    def rows(self, table: str, columns: list[str], rows, batch: int = 50_000) -> int:
        total = 0
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                self._write(table, columns, chunk)
                total += len(chunk)
                chunk = []
        if chunk:
            self._write(table, columns, chunk)
            total += len(chunk)
        return total

    def _write(self, table, columns, chunk):
        cur = self.conn.cursor()
        columns = [f'"{c}"' for c in columns]  # "full" and friends are reserved words
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in columns)
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                            [tuple(_sqlite(v) for v in r) for r in chunk])
        else:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for r in chunk:
                    copy.write_row([_pg(v) for v in r])
        cur.close()


def _sqlite(v):
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.000000")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _pg(v):
    if isinstance(v, datetime):
        return v.replace(tzinfo=timezone.utc)
    return v


# --------------------------------------------------------------------------- data

def generate(conn, dialect: str, days: Days, n_units: int, n_movements: int, log) -> None:
    rng = random.Random(7)
    w = Writer(conn, dialect)
    if dialect == "postgresql":
        # Generated rows are consistent by construction: skip the per-row foreign-key triggers (superuser only).
        cur = conn.cursor()
        cur.execute("SET session_replication_role = replica")
        cur.close()
    span = (END - START).days
    today = END

    w.rows("office", ["id", "code", "name", "region", "contact", "phone", "active", "created_at"],
           [(i, f"O{i:02d}", f"Office {i}", "", "", "", True, ts(START, 9)) for i in range(1, OFFICES + 1)])
    w.rows("factory", ["id", "code", "name", "contact", "phone", "address", "created_at"],
           [(1, "F1", "Factory", "", "", "", ts(START, 9)), (2, "TW", "Taiwan", "", "", "", ts(START, 9))])
    w.rows("repair_route", ["id", "code", "name", "factory_id", "promise_days", "dispatch_days", "active"],
           [(1, "FAC", "Factory repair", 1, 7, 2, True), (2, "FAC2", "Factory line 2", 1, 7, 2, True),
            (3, "TW", "Taiwan repair", 2, None, 2, True)])
    w.rows("dealer", ["id", "code", "name", "contact", "phone", "region", "address", "office_id", "channel_rep",
                      "active", "created_at"],
           [(i, f"D{i:05d}", f"Dealer {i}", "", "", "", "", (i % OFFICES) + 1, "", True, ts(START, 9))
            for i in range(1, DEALERS + 1)])
    log("directory")

    n_parcels = max(1, n_units // 5)
    parcel_dealer = [rng.randint(1, DEALERS) for _ in range(n_parcels + 1)]
    parcel_day = [START + timedelta(days=rng.randrange(span)) for _ in range(n_parcels + 1)]

    def parcels():
        for p in range(1, n_parcels + 1):
            d = parcel_dealer[p]
            day = parcel_day[p]
            yield (p, f"RMA{p:08d}", d, (d % OFFICES) + 1, "", "form", "", ts(day, 9), "", ts(day, 10), ts(day, 17))

    w.rows("return_parcel", ["id", "rma_number", "dealer_id", "office_id", "inbound_carrier", "source", "note",
                             "created_at", "created_by", "arrived_at", "receipt_completed_at"], parcels())
    log(f"{n_parcels} parcels")

    def units():
        for i in range(1, n_units + 1):
            p = (i - 1) // 5 + 1
            day = parcel_day[p]
            route = 3 if rng.random() < 0.08 else rng.choice((1, 2))
            received = ts(day, 10, rng.randrange(60))
            dispatch_due = days.add(day, 2)
            ship_due = days.add(day, 7) if route != 3 else None
            dday = days.add(day, rng.choice((0, 1, 1, 2, 2, 2, 3)))
            bday = days.add(dday, rng.randint(2, 7))
            sday = days.add(bday, rng.randint(0, 2))
            state, dispatched, returned, shipped = "shipped", ts(dday, 15), ts(bday, 11), ts(sday, 16)
            if sday > today:
                shipped, state = None, "ready_to_ship"
            if bday > today:
                returned, state = None, "at_factory"
            if dday > today:
                dispatched, state = None, "inspected"
            yield (i, p, (i - 1) % 5 + 1, f"SN{i:09d}", rng.choice(MODELS), rng.choice(FAULTS), True, True, state,
                   route, received, received + timedelta(hours=1), dispatched, returned, shipped, dispatch_due,
                   ship_due, chase_due(state, dispatch_due, ship_due, None), False, False, False, "", received)

    w.rows("repair_unit", ["id", "parcel_id", "line_no", "serial", "model", "fault", "warranty_claimed", "declared",
                           "state", "route_id", "received_at", "inspected_at", "dispatched_at", "returned_at",
                           "shipped_at", "dispatch_due", "ship_due", "chase_due", "human_damage", "no_stock",
                           "out_of_warranty", "inspection_note", "updated_at"], units())
    log(f"{n_units} units")

    # Spares: parts, locations (HQ, dealers sink, each office and its defective bin), the ledger, balances.
    w.rows("inv_part", ["id", "sku", "model", "family", "vendor_managed", "serialized", "unit_cost", "active",
                        "created_at"],
           [(i, f"SP-{i:04d}", rng.choice(MODELS), "", False, False, rng.randint(20, 400), True, ts(START, 9))
            for i in range(1, PARTS + 1)])
    locs = [(1, "HQ", "HQ store", "hq_store", None, None), (2, "DEALERS", "Dealers", "dealer", None, None),
            (3, "FS", "Factory shipping", "factory_shipping", None, None)]
    for o in range(1, OFFICES + 1):
        locs.append((3 + o, f"OFF-O{o:02d}", f"Office {o}", "office", o, None))
        locs.append((3 + OFFICES + o, f"OFF-O{o:02d}-DEF", f"Office {o} defective", "bin", o, 3 + o))
    w.rows("inv_location", ["id", "code", "name", "kind", "office_id", "parent_id", "active"],
           [loc + (True,) for loc in locs])
    office_locs = [loc[0] for loc in locs if loc[4] is not None]
    balances: dict[tuple[int, int], int] = {}

    def movements():
        for i in range(1, n_movements + 1):
            office_loc = rng.choice(office_locs)
            other = rng.choice((1, 1, 2, 3))
            src, dst = (other, office_loc) if rng.random() < 0.55 else (office_loc, other)
            part = rng.randint(1, PARTS)
            qty = rng.randint(1, 5)
            balances[(dst, part)] = balances.get((dst, part), 0) + qty
            balances[(src, part)] = balances.get((src, part), 0) - qty
            at = ts(START + timedelta(days=rng.randrange(span)), rng.randint(8, 18), rng.randrange(60))
            yield (i, at, part, src, dst, qty, "bench", "", at)

    w.rows("inv_movement", ["id", "at", "part_id", "from_location_id", "to_location_id", "quantity", "reason",
                            "note", "recorded_at"], movements())
    log(f"{n_movements} movements")
    w.rows("inv_balance", ["location_id", "part_id", "quantity"],
           [(loc, part, q) for (loc, part), q in balances.items()])

    def counts():
        n = 0
        monday = START - timedelta(days=START.weekday())
        while monday < END:
            for o in range(1, OFFICES + 1):
                if rng.random() < 0.9:
                    n += 1
                    day = monday + timedelta(days=rng.randint(0, 6))
                    late = timedelta(days=rng.choice((0, 0, 0, 3)))
                    accepted = ts(day, 18) + late if rng.random() < 0.7 else None
                    short = rng.randint(0, 500)
                    yield (n, f"CNT{n:07d}", 3 + o, "weekly", "form", False, True, ts(day, 16), "accepted" if accepted
                           else "submitted", "", ts(day, 17) + late, short + rng.randint(0, 50), accepted, short,
                           rng.randint(0, 50), "office" if accepted else None, o if accepted else None, 0)
            monday += timedelta(days=7)

    w.rows("inv_count", ["id", "number", "location_id", "kind", "method", "blind", "full", "counted_at", "status",
                         "note", "created_at", "variance_value", "accepted_at", "shortfall_value", "surplus_value",
                         "liable_party", "liable_office_id", "relocated_value"], counts())
    log("counts")

    def shipments():
        legs = ("hq_factory", "factory_dealer", "factory_hq", "hq_office", "fg_dealer")
        for i in range(1, n_units // 4 + 1):
            day = START + timedelta(days=rng.randrange(span))
            leg = rng.choice(legs)
            account = "sales" if leg == "fg_dealer" else "cs"
            cost = rng.randint(8, 120) if rng.random() < 0.95 else None
            yield (i, f"SHP{i:08d}", leg, "SF", account, "shipped", (i % OFFICES) + 1, "", ts(day, 9), ts(day, 15),
                   cost)

    w.rows("shipment", ["id", "number", "leg", "carrier", "paying_account", "status", "office_id", "note",
                        "created_at", "shipped_at", "freight_cost"], shipments())
    log("shipments")


def main(argv=None) -> int:
    args = parse_args(argv)
    from sqlalchemy import create_engine, func, select, text
    from sqlalchemy.engine import make_url

    url = make_url(args.db)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = 'depot_figures_bench'")).first()
            if args.regenerate and exists:
                c.execute(text('DROP DATABASE "depot_figures_bench"'))
                exists = None
            if not exists:
                c.execute(text('CREATE DATABASE "depot_figures_bench"'))
        admin.dispose()
        url = url.set(database="depot_figures_bench")
    elif args.regenerate and url.database and os.path.exists(url.database):
        os.remove(url.database)

    os.environ.setdefault("DEPOT_SECRET_KEY", "bench")
    from core import create_app
    from core.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "bench"})
    t0 = time.perf_counter()

    def log(what):
        print(f"  generated {what} ({time.perf_counter() - t0:.1f} s)", flush=True)

    with app.app_context():
        db.create_all()
        from inventory.models import Movement
        from repairs.models import RepairUnit

        have_units = db.session.scalar(select(func.count()).select_from(RepairUnit))
        have_moves = db.session.scalar(select(func.count()).select_from(Movement))
        db.session.rollback()
        if not args.reuse and have_units == 0:
            print(f"generating {args.units:,} units and {args.movements:,} movements on {url.get_backend_name()} ...")
            from core.calendar import current_calendar

            days = Days(current_calendar(), START - timedelta(days=10), END + timedelta(days=120))
            raw = db.engine.raw_connection()
            try:
                generate(raw, url.get_backend_name(), days, args.units, args.movements, log)
                raw.commit()
            finally:
                raw.close()
            # Fresh statistics and, on PostgreSQL, the visibility map that autovacuum would have set
            # by now on a live database (index-only scans depend on it).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE" if url.get_backend_name() == "postgresql" else "ANALYZE"))
            have_units, have_moves = args.units, args.movements
        elif not args.reuse and (have_units != args.units or have_moves != args.movements):
            print(f"database holds {have_units:,} units / {have_moves:,} movements; use --regenerate or --reuse")
            return 2

        from figures import export, service
        from figures.models import FIGURE_INDEXES
        from figures.periods import parse_month

        # create_all makes missing tables only: a database from an earlier run gets the figures' indexes here.
        for index in FIGURE_INDEXES:
            index.create(db.engine, checkfirst=True)

        period = parse_month(args.month)
        print(f"monthly report {period.key} over {have_units:,} units and {have_moves:,} movements "
              f"({url.get_backend_name()}):")
        timings = []
        report = None
        for run in range(args.runs):
            start, cpu = time.perf_counter(), time.process_time()
            report = service.compute_report(period, service.Scope(None))
            timings.append(time.perf_counter() - start)
            cpu = time.process_time() - cpu
            db.session.rollback()
            # On a shared machine the wall time includes waiting for a core; the CPU time of this
            # process is what SQLite itself spent (PostgreSQL's work is in the server's processes).
            print(f"  run {run + 1}: {timings[-1]:.3f} s wall, {cpu:.3f} s CPU in this process")
        start = time.perf_counter()
        pdf = export.report_pdf(report)
        pdf_s = time.perf_counter() - start
        charts = []
        for name in service.CHARTS:
            start = time.perf_counter()
            service.compute_chart(name, period, service.Scope(None))
            charts.append(f"{name} {time.perf_counter() - start:.3f} s")
            db.session.rollback()
        print("  dashboard charts: " + ", ".join(charts))
        summary = {str(r[0]): r[2] for r in report.table("summary").rows}
        print(f"  units received {summary.get('Received')}, returned {summary.get('Returned to the dealer')}; "
              f"{len(report.table('by_dealer').rows)} dealers")
        print(f"monthly report time: best {min(timings):.3f} s, first {timings[0]:.3f} s "
              f"(target < 2 s); PDF {pdf_s:.3f} s, {len(pdf) // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
