"""Time count reconciliation and balance reads on a ledger made by ``inventory_generate.py``.

Prints:
- reconciling the month's monthly counts (50 offices x 2,000 SKUs) against the
  ledger as of each count's time, and the whole month (weekly + monthly counts);
- a balance read (the median of many single reads) on this ledger, and on a
  small one (``--small-db``) for the "as fast at 5,000,000 as at 5,000" check.

    python bench/inventory_bench.py --db sqlite:///bench/data/inventory.sqlite --small-db sqlite:///bench/data/inventory-5k.sqlite
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.dburl import database_url  # noqa: E402


def make_app(url: str):
    """A bare app bound to the bench database: the real models and services, nothing else."""
    from flask import Flask

    from core.extensions import db

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = Flask("inventory-bench")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    import core.models  # noqa: F401
    import inventory.models  # noqa: F401

    return app


def time_reconcile(ids, repeat: int = 3) -> tuple[float, int]:
    from inventory.counts import reconcile_rows

    best, rows = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = len(reconcile_rows(ids))
        best = min(best, time.perf_counter() - t)
    return best, rows


def time_reconcile_objects(counts) -> float:
    """The service call the results pages use (rows turned into line results, serial findings included)."""
    from inventory.counts import reconcile_many

    t = time.perf_counter()
    reconcile_many(counts)
    return time.perf_counter() - t


def balance_read_us(reads: int = 2000, seed: int = 3) -> tuple[float, int]:
    from sqlalchemy import func, select

    from core.extensions import db
    from inventory.models import Balance, Movement
    from inventory.service import balance_of

    keys = db.session.execute(select(Balance.location_id, Balance.part_id)).all()
    rng = random.Random(seed)
    sample = [rng.choice(keys) for _ in range(reads)]
    for loc, part in sample[:200]:  # warm the cache like a running server
        balance_of(loc, part)
    times = []
    for loc, part in sample:
        t = time.perf_counter()
        balance_of(loc, part)
        times.append(time.perf_counter() - t)
    movements = db.session.scalar(select(func.max(Movement.id))) or 0
    return statistics.median(times) * 1e6, movements


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite:///bench/data/inventory.sqlite", type=database_url)
    ap.add_argument("--small-db", default=None, help="a 5,000-movement ledger (generate with --scale 0.001)", type=database_url)
    args = ap.parse_args(argv)
    from sqlalchemy import select

    from core.extensions import db
    from inventory.models import StockCount

    app = make_app(args.db)
    with app.app_context():
        dialect = db.engine.dialect.name
        counts = db.session.scalars(select(StockCount).order_by(StockCount.id)).all()
        monthly = [c for c in counts if c.kind == "monthly"]
        t_month, rows_month = time_reconcile([c.id for c in monthly])
        t_all, rows_all = time_reconcile([c.id for c in counts])
        t_obj = time_reconcile_objects(monthly)
        read_us, movements = balance_read_us()
    print(f"database: {dialect}, ledger: {movements:,} movements")
    print(f"reconcile monthly counts: {len(monthly)} counts, {rows_month:,} lines in {t_month:.2f} s"
          f"  (target < 2 s)")
    print(f"  same through reconcile_many (line objects + serial findings): {t_obj:.2f} s")
    print(f"reconcile the whole month: {len(counts)} counts, {rows_all:,} lines in {t_all:.2f} s")
    print(f"balance read (median of 2,000): {read_us:.0f} us at {movements:,} movements")
    if args.small_db:
        small = make_app(args.small_db)
        with small.app_context():
            small_us, small_n = balance_read_us()
        print(f"balance read (median of 2,000): {small_us:.0f} us at {small_n:,} movements"
              f"  -> ratio {read_us / small_us:.2f}")


if __name__ == "__main__":
    main()
