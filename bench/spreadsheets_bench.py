"""Spreadsheet imports: a 50,000-line count file and a 50,000-line freight bill, CSV and XLSX; a million-row refusal.

Prints for each file: the time to read it (core.sheets and the importer's own
parsing), the time of the whole import (reading, the rules, the database
writes and the commit) and the process's peak memory above what it held
before. Then the time and memory to refuse a 1,000,000-row file. Targets:
each import under 5 s and 300 MB; the refusal under 1 s with flat memory.

Every case runs in a fresh process on a fresh database (SQLite in a
temporary folder unless ``--db`` names a PostgreSQL database, which is
emptied first), so peaks do not leak from one case into the next.

    .venv/bin/python bench/spreadsheets_bench.py
    .venv/bin/python bench/spreadsheets_bench.py --db postgresql://postgres@127.0.0.1:5432/depot_sheets_bench
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.dburl import database_url  # noqa: E402

CASES = ["counts-csv", "counts-xlsx", "freight-csv", "freight-xlsx", "refuse-csv", "refuse-xlsx"]


def _rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ensure_database(url: str) -> None:
    """Create the PostgreSQL database named by ``url`` if it does not exist."""
    from sqlalchemy import create_engine, make_url, text

    u = make_url(url)
    if not u.drivername.startswith("postgresql"):
        return
    admin = create_engine(u.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first():
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def _app(url: str):
    from core import create_app
    from core.extensions import db

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def _xlsx(rows) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows) -> bytes:
    return ("\ufeff" + "".join(",".join(str(c) for c in row) + "\r\n" for row in rows)).encode("utf-8")


def _user(role: str):
    from core.accounts.service import create_user, get_user
    from core.extensions import db

    create_user(f"bench-{role}", "bench-password-1", [role])
    db.session.commit()
    return get_user(f"bench-{role}")


def run_counts(app, fmt: str, lines: int) -> dict:
    from sqlalchemy import insert

    from core.extensions import db
    from inventory import counts, service
    from inventory.models import HQ_STORE, Part

    with app.app_context():
        db.session.execute(insert(Part), [{"sku": f"SKU-{i:06d}", "model": f"Part {i}", "unit_cost": Decimal("9.5"),
                                           "serialized": False, "vendor_managed": False, "active": True}
                                          for i in range(lines)])
        hq = service.system_location(HQ_STORE)
        db.session.commit()
        clerk = _user("clerk")
        rows = [["物料编码", "数量"]] + [[f"SKU-{i:06d}", i % 40] for i in range(lines)]
        content = _csv(rows) if fmt == "csv" else _xlsx(rows)
        def whole_import():
            data = counts.parse_count_file(f"count.{fmt}", content)
            counts.submit_count(clerk, location=hq, kind="spot", data=data, full=False)

        return _measure(lambda: counts.parse_count_file(f"count.{fmt}", content), whole_import, len(content))


def run_freight(app, fmt: str, lines: int) -> dict:
    from shipments import freight

    with app.app_context():
        boss = _user("supervisor")
        start = date(2026, 10, 1)
        rows = [["运单号", "发货日期", "运费", "件数", "重量(kg)", "快递公司", "目的地"]]
        rows += [[f"SF{i:010d}", (start + timedelta(days=i % 28)).isoformat(), f"{12 + i % 50}.50", 1 + i % 3,
                  "1.25", "顺丰", "北京市朝阳区"] for i in range(lines)]
        content = _csv(rows) if fmt == "csv" else _xlsx(rows)
        return _measure(lambda: freight.parse_bill(f"bill.{fmt}", content),
                        lambda: freight.import_freight_bill(boss, filename=f"bill.{fmt}", content=content,
                                                            period="2026-10"),
                        len(content))


def _measure(read, whole_import, size: int) -> dict:
    """Time reading alone, then the whole import (read again, rules, writes, commit); peak memory of both."""
    from core.extensions import db

    gc.collect()
    before = _rss_mb()
    t = time.perf_counter()
    read()
    read_s = time.perf_counter() - t
    read_peak = _peak_mb() - before
    gc.collect()
    t = time.perf_counter()
    whole_import()
    db.session.commit()
    import_s = time.perf_counter() - t
    return {"bytes": size, "read_s": read_s, "rules_s": import_s - read_s, "import_s": import_s,
            "read_peak_mb": read_peak, "peak_mb": _peak_mb() - before}


def run_refusal(fmt: str) -> dict:
    from core import sheets
    from core.errors import ValidationFailed
    from tests import sheet_corpus as corpus

    layout = corpus.Layout(["sku", "quantity"], [], lambda i: ["SKU-1", "1"], lambda i: [], lambda i: [])
    case = next(c for c in corpus.CASES if c.name == f"million_{fmt}")
    name, content = case.build(layout)
    columns = sheets.Columns({"sku": (), "quantity": ()}, required=("sku",))
    gc.collect()
    before = _rss_mb()
    t = time.perf_counter()
    try:
        sheets.read_table(content, name, columns, limits=sheets.Limits())
        refused = False
    except ValidationFailed:
        refused = True
    return {"bytes": len(content), "import_s": time.perf_counter() - t, "peak_mb": _peak_mb() - before,
            "refused": refused}


def child(case: str, url: str, lines: int) -> None:
    kind, fmt = case.split("-")
    if kind == "refuse":
        result = run_refusal(fmt)
    else:
        app = _app(url)
        result = (run_counts if kind == "counts" else run_freight)(app, fmt, lines)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=database_url, help="a PostgreSQL database to use (emptied); default: SQLite")
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case, args.db, args.lines)
        return
    if args.db:
        _ensure_database(args.db)
    print(f"{'case':14} {'file MB':>8} {'read s':>7} {'rules s':>8} {'import s':>9} {'read MB':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            url = args.db or f"sqlite:///{tmp}/{case}.sqlite"
            out = subprocess.run([sys.executable, __file__, "--case", case, "--db", url, "--lines", str(args.lines)],
                                 capture_output=True, text=True)
            if out.returncode:
                print(f"{case:14} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            read = f"{r['read_s']:.2f}" if "read_s" in r else "-"
            rules = f"{r['rules_s']:.2f}" if "rules_s" in r else "-"
            note = "" if r.get("refused", True) else "  NOT REFUSED"
            read_mb = f"{r['read_peak_mb']:.0f}" if "read_peak_mb" in r else "-"
            print(f"{case:14} {r['bytes'] / 2**20:8.2f} {read:>7} {rules:>8} {r['import_s']:9.2f} {read_mb:>8} "
                  f"{r['peak_mb']:8.0f}{note}")


if __name__ == "__main__":
    main()
