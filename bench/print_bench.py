"""Sending 1,000 labels to a printer: a Zebra stand-in on loopback (ZPL over TCP) and ippeveprinter (IPP, PDF).

Run: ``python bench/print_bench.py [count]``. Prints figures; asserts nothing.

For each printer it times the whole path a clerk's "Print to …" takes
(``labels.printing.print_labels``: look the records up, draw the labels for that
printer, record the job, send it and wait for the printer's confirmation; two
jobs of 500 codes, the most one request takes) and the sending alone (the same
bytes again over the wire). The records are 1,000 parts with Chinese model
names in a throwaway SQLite database. ippeveprinter (Debian's cups-ipp-utils)
needs avahi on a system D-Bus (``.ci/run`` starts both); without it the IPP
figures are skipped, saying why.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.labels.printers import IppEvePrinter, ZebraListener  # noqa: E402

JOB_CODES = 500   # labels.sources.MAX_BATCH_CODES: the most one print request takes


def _app(tmp: Path):
    from core import create_app
    from core.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'print.sqlite'}",
                      "DEPOT_PRINT_TIMEOUT": 120})
    with app.app_context():
        db.create_all()
    return app


def _seed(app, count: int) -> list[str]:
    from core.accounts.service import create_user
    from core.extensions import db
    from inventory import service as inv

    with app.test_request_context():
        admin = create_user("bench-admin", "bench-admin-pass-123", ["admin"])
        skus = []
        for i in range(count):
            part = inv.create_part(admin, sku=f"BENCH-{i:05d}", model=f"SSD A400 240G 固态硬盘 {i}", family="SSD")
            skus.append(part.sku)
        db.session.commit()
        return skus


def _run(app, name: str, printer_fields: dict, skus: list[str], send_again) -> None:
    from core.accounts.service import get_user
    from core.extensions import db
    from labels import printing

    with app.test_request_context():
        admin = get_user("bench-admin")
        printer = printing.create_printer(admin, {"name": name, **printer_fields})
        db.session.commit()
        start, cpu = time.perf_counter(), time.process_time()
        jobs, each = [], []
        for i in range(0, len(skus), JOB_CODES):
            one = time.perf_counter()
            job = printing.print_labels(admin, "part", skus[i:i + JOB_CODES], printer_id=printer.id)
            db.session.commit()
            jobs.append(job)
            each.append(time.perf_counter() - one)
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        states = {j.status for j in jobs}
        size = sum(len(j.body) for j in jobs)
        print(f"{name:<28} print {len(skus):>5} labels in {len(jobs)} jobs: {wall:6.2f} s wall, {used:5.2f} s CPU, "
              f"{size / 1e6:5.2f} MB, jobs {', '.join(sorted(states))} "
              f"(each: {', '.join(f'{t:.2f} s' for t in each)}; attempts {[j.attempts for j in jobs]})")
        start = time.perf_counter()
        for job in jobs:
            send_again(job)
        print(f"{'':<28} the same bytes sent again:          {time.perf_counter() - start:6.2f} s wall")


def _ipp_again(uri: str, job) -> None:
    from labels import ipp

    while True:  # ippeveprinter takes one job at a time: "busy" until the previous one is done
        try:
            ipp.print_job(uri, job.body, job_name=f"again {job.token}", timeout=120)
            return
        except ipp.IppError as err:
            if not err.busy:
                raise
            time.sleep(0.2)


def main(count: int = 1000) -> None:
    from labels import printing

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = _app(tmp)
        skus = _seed(app, count)

        with ZebraListener() as zebra:
            _run(app, "Zebra (ZPL, raw TCP)", {"kind": "zpl", "host": "127.0.0.1", "port": zebra.port,
                                                "cjk_mode": "graphic"}, skus,
                 lambda job: printing.send_raw("127.0.0.1", zebra.port, job.body, timeout=120))
            formats = len(zebra.printed_formats())
            print(f"{'':<28} the listener read {formats} complete label formats")

        eve = IppEvePrinter(tmp / "spool")
        try:
            eve.start()
        except RuntimeError as err:
            print(f"IPP printer skipped: {err}")
            return
        try:
            _run(app, "IPP printer (PDF, A4)", {"kind": "ipp", "uri": eve.uri, "pdf_format": "a4"}, skus,
                 lambda job: _ipp_again(eve.uri, job))
            _run(app, "IPP printer (PDF, 60x40)", {"kind": "ipp", "uri": eve.uri, "pdf_format": "thermal60x40"},
                 skus, lambda job: _ipp_again(eve.uri, job))
        finally:
            eve.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
