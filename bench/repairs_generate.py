"""Generate repair data for the benchmark: dealers, parcels, units in realistic states, their history.

Full scale is 1,000,000 repair units (about 250,000 parcels from 2,000 dealers
over three years, ~5 history rows per unit). Older units are mostly shipped
back; recent ones sit at every step, some overdue. A pool of just-announced
parcels (units "declared", not arrived) is what the scan benchmark receives.
Rows go in with bulk Core inserts (never the ORM row by row); the big tables'
indexes are built after the load.

    python bench/repairs_generate.py --db sqlite:///bench/data/repairs.sqlite --scale 0.01
    python bench/repairs_generate.py --db postgresql://postgres@127.0.0.1:5432/depot_bench_repairs
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

import click
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.dburl import database_url  # noqa: E402

FULL_UNITS = 1_000_000
DAYS = 3 * 365
CHUNK = 5_000
MODELS = ["U盘 DataTraveler 32G", "U盘 DataTraveler 64G", "SSD A400 240G", "SSD A400 480G", "SSD NV2 1TB",
          "TF卡 Canvas 64G", "SD卡 Canvas 128G", "移动硬盘 XS1000 1TB", "SSD KC3000 2TB", "U盘 Exodia 128G"]
FAULTS = ["无法识别", "读写速度慢", "写保护", "容量显示错误", "掉盘", "外壳破裂", "接口松动", "数据丢失"]
CITIES = ["北京", "天津", "上海", "杭州", "南京", "广州", "深圳", "东莞", "成都", "重庆", "武汉", "西安", "郑州", "长沙"]
WORDS = ["数码", "电子", "科技", "存储", "电脑城", "商贸"]

PATHS = {
    "declared": ["declare"],
    "missing": ["declare", "mark_missing"],
    "received": ["declare", "receive"],
    "inspected": ["declare", "receive", "inspect_ok"],
    "awaiting_dealer": ["declare", "receive", "inspect_problem"],
    "disputed": ["declare", "receive", "inspect_problem", "dispute"],
    "at_factory": ["declare", "receive", "inspect_ok", "dispatch"],
    "ready_to_ship": ["declare", "receive", "inspect_ok", "dispatch", "factory_repaired"],
    "shipped": ["declare", "receive", "inspect_ok", "dispatch", "factory_repaired", "ship"],
    "scrapped": ["declare", "receive", "inspect_ok", "dispatch", "factory_scrapped"],
}
TO_STATE = {"declare": "declared", "mark_missing": "missing", "receive": "received", "inspect_ok": "inspected",
            "inspect_problem": "awaiting_dealer", "dispute": "disputed", "dispatch": "at_factory",
            "factory_repaired": "ready_to_ship", "ship": "shipped", "factory_scrapped": "scrapped"}
# State mix by the parcel's age in days: (upper bound of age, [(state, weight), ...]).
MIX = [
    (3, [("declared", 30), ("received", 30), ("inspected", 25), ("awaiting_dealer", 10), ("at_factory", 5)]),
    (10, [("received", 5), ("inspected", 12), ("awaiting_dealer", 5), ("disputed", 1), ("at_factory", 55),
          ("ready_to_ship", 12), ("shipped", 5), ("missing", 5)]),
    (30, [("at_factory", 22), ("ready_to_ship", 10), ("shipped", 60), ("awaiting_dealer", 2), ("disputed", 1),
          ("missing", 2), ("scrapped", 1), ("inspected", 2)]),
    (10**6, [("shipped", 95), ("scrapped", 2), ("missing", 1.5), ("at_factory", 0.7), ("ready_to_ship", 0.8)]),
]
BIG_TABLES = ("repair_unit", "repair_event", "return_parcel")


def prepare_url(url: str) -> str:
    """Create the PostgreSQL database (or SQLite folder) if it does not exist; return the URL."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgresql+psycopg"):
        admin = create_engine(u.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first():
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
    elif u.database:
        os.makedirs(os.path.dirname(os.path.abspath(u.database)) or ".", exist_ok=True)
    return url


def make_app(url: str):
    """A Depot app bound to ``url`` (its own throwaway instance folder)."""
    os.environ.setdefault("DEPOT_INSTANCE_PATH", tempfile.mkdtemp(prefix="depot-bench-"))
    from core import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})


class Dues:
    """Working-day arithmetic, memoised per (day, n): a million units share a few thousand days."""

    def __init__(self):
        from core.calendar.service import WorkingCalendar

        self.cal = WorkingCalendar()
        self.memo: dict = {}

    def add(self, day: date, n: int) -> date:
        key = (day, n)
        if key not in self.memo:
            self.memo[key] = self.cal.add_working_days(day, n)
        return self.memo[key]


def pick_state(rng, age_days: float) -> str:
    for bound, mix in MIX:
        if age_days < bound:
            states, weights = zip(*mix)
            return rng.choices(states, weights)[0]
    raise AssertionError


def generate(url: str, scale: float, seed: int, pool: int | None = None, echo=click.echo) -> dict:
    """Empty the database at ``url`` and fill it; returns counts."""
    from sqlalchemy import select

    from core.extensions import db

    rng = random.Random(seed)
    n_units = max(1_000, int(FULL_UNITS * scale))
    n_dealers = max(50, min(2_000, n_units // 100))
    pool = pool if pool is not None else min(20_000, max(500, n_units // 20))
    app = make_app(prepare_url(url))
    started = time.perf_counter()
    with app.app_context():
        engine = db.engine
        pg = engine.dialect.name == "postgresql"
        db.metadata.drop_all(engine)
        db.metadata.create_all(engine)
        with engine.begin() as conn:
            for name in BIG_TABLES:
                for index in db.metadata.tables[name].indexes:
                    conn.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
        t = db.metadata.tables
        now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
        dues = Dues()

        with engine.begin() as conn:
            offices = [{"id": i + 1, "code": f"O{i + 1:02d}", "name": f"{CITIES[i % len(CITIES)]}办事处{i + 1}",
                        "region": "", "contact": "", "phone": "", "active": True, "created_at": now}
                       for i in range(30)]
            conn.execute(insert(t["office"]), offices)
            conn.execute(insert(t["factory"]), [
                {"id": 1, "code": "FAC", "name": "东莞工厂维修部", "contact": "林工", "email": "repair@factory.example",
                 "phone": "", "address": "", "created_at": now},
                {"id": 2, "code": "TW", "name": "台湾返修中心", "contact": "陈先生", "email": "rma@tw.example",
                 "phone": "", "address": "", "created_at": now}])
            conn.execute(insert(t["repair_route"]), [
                {"id": 1, "code": "FAC", "name": "工厂维修", "factory_id": 1, "promise_days": 7, "dispatch_days": 2, "active": True},
                {"id": 2, "code": "TW", "name": "台湾返修", "factory_id": 2, "promise_days": None, "dispatch_days": 2, "active": True}])
            dealers = []
            for i in range(n_dealers):
                city = CITIES[i % len(CITIES)]
                dealers.append({"id": i + 1, "code": f"D{i + 1:05d}", "name": f"{city}{rng.choice(WORDS)}{i + 1}号店",
                                "contact": "", "phone": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                                "email": None, "region": "", "address": "", "office_id": (i % 30) + 1,
                                "channel_rep": "", "active": True, "created_at": now})
            conn.execute(insert(t["dealer"]), dealers)

        parcel_rows, unit_rows, event_rows = [], [], []
        counters: dict[str, int] = {}
        totals = {"parcels": 0, "units": 0, "events": 0}
        parcel_id = unit_id = 0
        serial_base = 10_000_000

        def flush(force=False):
            if not force and len(unit_rows) < CHUNK:
                return
            with engine.begin() as conn:
                if parcel_rows:
                    conn.execute(insert(t["return_parcel"]), parcel_rows)
                if unit_rows:
                    conn.execute(insert(t["repair_unit"]), unit_rows)
                if event_rows:
                    conn.execute(insert(t["repair_event"]), event_rows)
            totals["parcels"] += len(parcel_rows)
            totals["units"] += len(unit_rows)
            totals["events"] += len(event_rows)
            parcel_rows.clear(), unit_rows.clear(), event_rows.clear()

        label = f"repairs: {n_units:,} units on {'PostgreSQL' if pg else 'SQLite'}"
        with click.progressbar(length=n_units, label=label) as bar:
            made = 0
            while made < n_units:
                in_pool = made >= n_units - pool
                # Parcels arrive roughly evenly over three years; the pool was announced today.
                created = now - timedelta(hours=rng.uniform(0, 20)) if in_pool else \
                    now - timedelta(days=DAYS * (rng.random() ** 1.15))
                age = (now - created).total_seconds() / 86400
                parcel_id += 1
                dealer = dealers[rng.randrange(len(dealers))]
                period = created.astimezone(timezone(timedelta(hours=8))).strftime("%y%m")
                counters[period] = counters.get(period, 0) + 1
                n_in = min(rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 8]), n_units - made)
                parcel_rows.append({
                    "id": parcel_id, "rma_number": f"RMA{period}-{counters[period]:04d}", "dealer_id": dealer["id"],
                    "office_id": dealer["office_id"], "inbound_waybill": f"SF{rng.randint(0, 10**12 - 1):012d}",
                    "inbound_carrier": "顺丰", "source": "form", "note": "", "created_at": created,
                    "created_by": "service", "arrived_at": None if in_pool else created + timedelta(days=1),
                    "receipt_completed_at": None if in_pool else created + timedelta(days=1, hours=1),
                })
                for line in range(n_in):
                    unit_id += 1
                    made += 1
                    state = "declared" if in_pool else pick_state(rng, age)
                    model = rng.choice(MODELS)
                    serial = f"SN{serial_base + unit_id * 7 + rng.randint(0, 6)}"
                    route = 2 if rng.random() < 0.05 else 1
                    row = {"id": unit_id, "parcel_id": parcel_id, "line_no": line + 1, "serial": serial, "model": model,
                           "fault": rng.choice(FAULTS), "warranty_claimed": rng.random() > 0.1, "declared": True,
                           "state": state, "route_id": route, "received_at": None, "inspected_at": None,
                           "dispatched_at": None, "returned_at": None, "shipped_at": None, "dispatch_due": None,
                           "ship_due": None, "factory_due": None, "promise_paused_on": None, "paused_days": 0,
                           "human_damage": False, "no_stock": False, "out_of_warranty": False,
                           "inspection_note": "", "quote_amount": None, "quote_price_id": None,
                           "dealer_decision": None, "outcome": None, "replacement_serial": None,
                           "factory_shipment_id": None, "return_shipment_id": None, "updated_at": created}
                    moment = created
                    prev = None
                    for action in PATHS[state]:
                        if action == "receive":
                            moment += timedelta(hours=rng.uniform(18, 60))
                            row["received_at"] = moment
                            row["dispatch_due"] = dues.add(moment.date(), 2)
                        elif action in ("inspect_ok", "inspect_problem"):
                            moment += timedelta(hours=rng.uniform(0.5, 30))
                            row["inspected_at"] = moment
                            if route == 1:
                                row["ship_due"] = dues.add(moment.date(), 7)
                            if action == "inspect_problem":
                                # Waiting for the dealer (or the supervisor): the CS clocks stand still.
                                row["promise_paused_on"] = moment.date()
                                row["human_damage"] = rng.random() < 0.6
                                row["out_of_warranty"] = not row["human_damage"]
                                row["quote_amount"] = rng.choice([60, 80, 100, 120])
                        elif action == "dispatch":
                            moment += timedelta(hours=rng.uniform(2, 60))
                            row["dispatched_at"] = moment
                            # The factory's own clock (calendar days), or long outstanding on Taiwan.
                            row["factory_due"] = moment.date() + timedelta(days=7 if route == 1 else 30)
                        elif action.startswith("factory_"):
                            moment += timedelta(days=rng.uniform(3, 9))
                            row["returned_at"] = moment
                            row["outcome"] = "unrepairable" if action == "factory_scrapped" else \
                                ("replaced" if rng.random() < 0.1 else "repaired")
                            if row["outcome"] == "replaced":
                                row["replacement_serial"] = "R" + serial
                        elif action == "ship":
                            moment += timedelta(hours=rng.uniform(4, 40))
                            row["shipped_at"] = moment
                        elif action in ("mark_missing", "dispute"):
                            moment += timedelta(hours=rng.uniform(18, 30))
                        moment = min(moment, now)
                        to_state = TO_STATE[action]
                        event_rows.append({"parcel_id": parcel_id, "unit_id": unit_id, "action": action,
                                           "from_state": prev, "to_state": to_state, "actor_id": None,
                                           "actor_name": "clerk" if action != "declare" else "service",
                                           "at": moment, "note": "", "data": {}})
                        prev = to_state
                    row["updated_at"] = moment
                    unit_rows.append(row)
                bar.update(n_in)
                flush()
            flush(force=True)

        echo("building indexes ...")
        with engine.begin() as conn:
            for name in BIG_TABLES:
                for index in db.metadata.tables[name].indexes:
                    index.create(conn)
            conn.execute(insert(t["sequence_counter"]), [{"name": f"RMA{p}", "value": v} for p, v in counters.items()])
            if pg:
                for name in ("office", "dealer", "factory", "repair_route", "return_parcel", "repair_unit", "repair_event"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        declared = db.session.scalar(select(db.func.count()).select_from(t["repair_unit"]).where(
            t["repair_unit"].c.state == "declared"))
    elapsed = time.perf_counter() - started
    echo(f"done in {elapsed:.0f} s: {totals['parcels']:,} parcels, {totals['units']:,} units, "
         f"{totals['events']:,} events, {n_dealers:,} dealers; {declared:,} units declared (scan pool)")
    return {**totals, "dealers": n_dealers, "declared": declared, "seconds": elapsed}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:///bench/data/repairs.sqlite", help="database URL (emptied first)", type=database_url)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000,000 units")
    ap.add_argument("--pool", type=int, default=None, help="declared units left for the scan benchmark")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    generate(args.db, args.scale, args.seed, args.pool)


if __name__ == "__main__":
    main()
