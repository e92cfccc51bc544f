"""Every export, downloaded over HTTP and read back: formula-looking text stays text, times are Shanghai times.

Reproduces the count export that turned scanned serials such as ``=1+1`` into
live formulas and answered 500 to everyone for a serial with a NUL byte.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from core.calendar import SHANGHAI
from tests import sheet_corpus as corpus

NASTY_SERIALS = ["=1+1", '=HYPERLINK("http://evil.example","open")', "@SUM(1)", "+CMD", "-A1"]
# A control character XML cannot carry: NUL on SQLite (as in the finding); PostgreSQL cannot store NUL at all.
CONTROL = {"sqlite": "SN\x00NUL", "postgresql": "SN\x1fUS"}
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture()
def exports(app, make_user, login):
    """A count with nasty serials, a freight bill with nasty waybills; the URLs of every export."""
    from core.accounts.service import get_user
    from core.extensions import db
    from inventory import counts, service
    from inventory.models import HQ_STORE
    from shipments.freight import import_freight_bill

    make_user("boss", "supervisor")
    with app.app_context():
        boss = get_user("boss")
        hq = service.system_location(HQ_STORE)
        serials = NASTY_SERIALS + [CONTROL[db.engine.dialect.name]]
        data = counts.CountInput(serials=[(n, None, s) for n, s in enumerate(serials, start=1)])
        count = counts.submit_count(boss, location=hq, kind="spot", data=data, full=False)
        bill_rows = [["waybill", "date", "amount"], ["=1+1", "2026-10-02", "3"], ["@SUM(1)", "2026-10-03", "4"],
                     ["WB9", "2026-10-04", "5"]]
        bill = import_freight_bill(boss, filename="b.csv", content=corpus.csv_bytes(bill_rows), period="2026-10")
        db.session.commit()
        count_id, bill_id, control = count.id, bill.id, CONTROL[db.engine.dialect.name]
    urls = [f"/inventory/counts/{count_id}/export.csv", f"/inventory/counts/{count_id}/export.xlsx",
            f"/shipments/freight/{bill_id}/export.csv", f"/shipments/freight/{bill_id}/export.xlsx",
            "/shipments/freight/statement.csv?month=2026-10", "/shipments/freight/statement.xlsx?month=2026-10",
            "/figures/report.xlsx?month=2026-10", "/figures/report/by_fault.csv?month=2026-10"]
    return login("supervisor", username="reader"), urls, control


def _csv_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff"), "CSV exports carry a BOM so Excel reads them as UTF-8"
    return [cell for row in csv.reader(io.StringIO(text[1:])) for cell in row]


def _xlsx_cells(body: bytes) -> list:
    book = load_workbook(io.BytesIO(body))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_every_export_reads_back_with_formulas_as_text(exports):
    client, urls, control = exports
    seen = set()
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        if ".csv" in url:
            for cell in _csv_cells(resp.data):
                # Nothing a spreadsheet would run: formula-looking text carries a leading quote.
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (url, cell)
                assert not cell.startswith("-") or NUMBER.fullmatch(cell), (url, cell)
                seen.add(cell)
        else:
            for cell in _xlsx_cells(resp.data):
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (url, cell.coordinate, cell.value)
                    seen.add(cell.value)
    # The count's serials came out as typed (XLSX) or quoted (CSV); the NUL never broke a file.
    assert {"=1+1", "'=1+1", "@SUM(1)", "'@SUM(1)", "'-A1", control.replace(control[2], "\ufffd")} <= seen


def test_export_times_are_shanghai_times(exports):
    client, _urls, _control = exports
    book = load_workbook(io.BytesIO(client.get("/figures/report.xlsx?month=2026-10").data))
    cover = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    generated = cover["Generated"]
    assert isinstance(generated, datetime)
    now = datetime.now(SHANGHAI).replace(tzinfo=None)
    assert abs(generated - now) < timedelta(minutes=5)


def test_export_headers_follow_the_readers_language(exports):
    client, urls, _control = exports
    count_csv, count_xlsx = urls[0], urls[1]
    zh = client.get(count_csv, headers={"Accept-Language": "zh-CN"}).data.decode("utf-8")
    en = client.get(count_csv, headers={"Accept-Language": "en"}).data.decode("utf-8")
    assert zh.splitlines()[0].startswith("\ufeff料号,") and en.splitlines()[0].startswith("\ufeffSKU,")
    book = load_workbook(io.BytesIO(client.get(count_xlsx, headers={"Accept-Language": "zh-CN"}).data))
    header = next(book.worksheets[1].iter_rows(max_row=1, values_only=True))
    assert header[:2] == ("序列号", "料号")
    assert book.worksheets[0].freeze_panes == "A2"
