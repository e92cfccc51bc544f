"""Generate an inventory ledger for the benchmark (bulk inserts, never the ORM row by row).

Full scale: 50 offices x 2,000 SKUs, 5,000,000 movements over a year, and one
month of counts per office (four weekly and one monthly, each of every SKU).
``--scale 0.001`` gives a 5,000-movement ledger for the "same speed at 5,000"
comparison. The balances are written from the generator's own running totals,
exactly as the services would have kept them.

    python bench/inventory_generate.py --db sqlite:///bench/data/inventory.sqlite
    python bench/inventory_generate.py --db postgresql://postgres@127.0.0.1:5432/depot_bench
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import click
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.dburl import database_url  # noqa: E402

FULL_MOVEMENTS = 5_000_000
OFFICES = 50
SKUS = 2_000
DAYS = 365


def engine_for(url: str):
    u = make_url(url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername.startswith("postgresql"):
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first():
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
    elif u.database:
        os.makedirs(os.path.dirname(os.path.abspath(u.database)), exist_ok=True)
    return create_engine(u)


def reset_schema(engine):
    import core.models  # noqa: F401  (the tables inventory refers to)
    import inventory.models  # noqa: F401
    from core.extensions import db

    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    movement = db.metadata.tables["inv_movement"]
    # Load first, index after: much faster than keeping five indexes up to date row by row.
    with engine.begin() as conn:
        for index in movement.indexes:
            conn.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
    return db.metadata


def sqlite_ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:///bench/data/inventory.sqlite", help="database URL (emptied first)", type=database_url)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of 5,000,000 movements (offices and SKUs stay)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    n_moves = max(1000, int(FULL_MOVEMENTS * args.scale))
    engine = engine_for(args.db)
    pg = engine.dialect.name == "postgresql"
    started = time.perf_counter()
    metadata = reset_schema(engine)
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    start = now - timedelta(days=DAYS)
    ts = (lambda m: m) if pg else sqlite_ts

    # Locations: 1 HQ, 2 FG (source), 3 DEALER, 4 COUNT-LOSS, then one per office.
    with engine.begin() as conn:
        conn.execute(metadata.tables["office"].insert(), [
            {"id": i, "code": f"O{i:02d}", "name": f"Office {i}", "region": "", "contact": "", "phone": "",
             "active": True, "created_at": start} for i in range(1, OFFICES + 1)])
        locs = [{"id": 1, "code": "HQ", "name": "HQ CS store", "kind": "hq_store"},
                {"id": 2, "code": "FAC-FG", "name": "Factory finished goods", "kind": "finished_goods"},
                {"id": 3, "code": "DEALER", "name": "At dealers", "kind": "dealer"},
                {"id": 4, "code": "COUNT-LOSS", "name": "Count loss", "kind": "count_loss"}]
        locs += [{"id": 4 + i, "code": f"OFF-O{i:02d}", "name": f"Office {i}", "kind": "office", "office_id": i}
                 for i in range(1, OFFICES + 1)]
        conn.execute(metadata.tables["inv_location"].insert(),
                     [{"office_id": None, "parent_id": None, "active": True, **loc} for loc in locs])
        conn.execute(metadata.tables["inv_part"].insert(), [
            {"id": p, "sku": f"SKU{p:05d}", "model": f"Model {p}", "family": "bench", "vendor_managed": False,
             "serialized": False, "unit_cost": rng.choice([12, 25, 40, 90, 210]), "vendor_id": None, "active": True,
             "created_at": start} for p in range(1, SKUS + 1)])
    office_locs = list(range(5, 5 + OFFICES))

    # One month of counts: weekly on days -28, -21, -14, -7 and the monthly one on day -1.
    count_days = [28, 21, 14, 7, 1]
    count_times = sorted((now - timedelta(days=d, hours=rng.randint(0, 6)), d, loc)
                         for d in count_days for loc in office_locs)
    next_count = 0
    counts_rows, line_rows = [], []

    balance: dict[tuple[int, int], int] = {}
    step = (now - start) / n_moves
    cols = ("id", "at", "part_id", "from_location_id", "to_location_id", "quantity", "serial", "reason", "ref_type",
            "ref_id", "actor_id", "note", "reverses_id", "recorded_at")
    batch: list[tuple] = []

    def flush(conn, cur):
        if not batch:
            return
        if pg:
            with cur.copy(f"COPY inv_movement ({', '.join(cols)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO inv_movement ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", batch)
        batch.clear()

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("PRAGMA synchronous=OFF")
        with click.progressbar(range(1, n_moves + 1), label=f"{n_moves:,} movements") as bar:
            for i in bar:
                at = start + step * i
                while next_count < len(count_times) and count_times[next_count][0] <= at:
                    when, day, loc = count_times[next_count]
                    cid = next_count + 1
                    counts_rows.append({"id": cid, "number": f"CNT-B{cid:05d}", "location_id": loc,
                                        "kind": "monthly" if day == 1 else "weekly", "method": "upload",
                                        "blind": False, "full": True, "counted_at": when, "status": "submitted",
                                        "counted_by_id": None, "note": "", "created_at": when,
                                        "variance_value": 0, "shortfall_value": 0, "surplus_value": 0})
                    for part in range(1, SKUS + 1):
                        have = balance.get((loc, part), 0)
                        if rng.random() < 0.02:
                            have = max(0, have + rng.choice((-1, 1)))
                        line_rows.append((cid, part, have))
                    next_count += 1
                part = rng.randint(1, SKUS)
                r = rng.random()
                office = rng.choice(office_locs)
                if r < 0.45 and balance.get((office, part), 0) > 0:
                    frm, to, qty, reason = office, 3, 1, "swap_out"
                elif r < 0.9 and balance.get((1, part), 0) >= 5:
                    frm, to, qty, reason = 1, office, rng.randint(1, 5), "office_issue"
                else:
                    frm, to, qty, reason = 2, 1, rng.randint(20, 120), "receipt"
                balance[(frm, part)] = balance.get((frm, part), 0) - qty
                balance[(to, part)] = balance.get((to, part), 0) + qty
                stamp = ts(at)
                batch.append((i, stamp, part, frm, to, qty, None, reason, None, None, None, "", None, stamp))
                if len(batch) >= 50_000:
                    flush(raw, cur)
            flush(raw, cur)
        raw.commit()
    finally:
        raw.close()

    click.echo("balances, counts, indexes ...")
    with engine.begin() as conn:
        conn.execute(metadata.tables["inv_balance"].insert(), [
            {"location_id": loc, "part_id": part, "quantity": q} for (loc, part), q in balance.items()])
        conn.execute(metadata.tables["inv_count"].insert(), counts_rows)
        for k in range(0, len(line_rows), 100_000):
            conn.execute(metadata.tables["inv_count_line"].insert(), [
                {"count_id": c, "part_id": p, "counted_qty": q} for c, p, q in line_rows[k:k + 100_000]])
        for index in metadata.tables["inv_movement"].indexes:
            index.create(conn)
        if pg:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('inv_movement', 'id'), :n)"), {"n": n_moves})
    # VACUUM too on PostgreSQL: a bulk-loaded table has no visibility map until autovacuum
    # comes round, and until then every index-only read of the ledger also reads its heap.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if pg else "ANALYZE"))
    click.echo(f"{n_moves:,} movements, {len(balance):,} balances, {len(counts_rows)} counts, "
               f"{len(line_rows):,} count lines in {time.perf_counter() - started:.0f} s -> {args.db}")


if __name__ == "__main__":
    main()
