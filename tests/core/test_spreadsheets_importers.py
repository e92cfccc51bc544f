"""Every importer against the same corpus of files, through real HTTP (pages and API).

Each file either imports exactly the right rows, or gets a clear 4xx naming
the problem and imports nothing; the answer and its cookie stay small
whatever the file (a page shows the errors in its own answer, never through
the session cookie).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable

import pytest
from sqlalchemy import func, select

from tests import sheet_corpus as corpus

WEEK = date(2026, 11, 23)  # a Monday
FORMULA = '=HYPERLINK("http://x","y")'
MAX_ANSWER = 64 * 1024
MAX_COOKIE = 4000


@dataclass
class Importer:
    """One upload route: how to set it up, send a file, and count what it imported."""

    name: str
    layout: corpus.Layout
    setup: Callable  # (app, make_office, make_user, login, api_as) -> client that sends
    send: Callable  # (client, ctx, filename, content) -> response
    imported: Callable  # (app) -> rows imported
    stored_texts: Callable | None = None  # (app) -> free texts stored (formulas must come back as typed)
    formula_error: str | None = None  # when formula-looking cells are a clear error here instead


def _count(app, model) -> int:
    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _texts(app, column) -> list[str]:
    from core.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(column)))


def _parts(app, *, vendor_managed=False):
    from core.directory.models import Vendor
    from core.extensions import db
    from inventory.models import Part

    with app.app_context():
        vendor = Vendor(code="MAXELL", name="Maxell")
        db.session.add(vendor)
        db.session.flush()
        for i in range(corpus.GOOD_ROWS):
            db.session.add(Part(sku=f"P-{i}", model=f"Part {i}", unit_cost=Decimal("10"),
                                vendor_managed=vendor_managed, vendor_id=vendor.id if vendor_managed else None))
        db.session.commit()


# --- counts ------------------------------------------------------------------------------------

COUNT_LAYOUT = corpus.Layout(
    ["sku", "quantity"], ["物料编码", "数量"],
    good=lambda i: [f"P-{i}", str(i + 1)],
    good_zh=lambda i: [f"Ｐ-{i}", "１２３"[i]],  # a full-width input method
    bad=lambda i: [f"NOPE-{i}", "many"],
    formula=lambda i: [f"P-{i}", "=1+2"])


def _count_page_setup(app, make_office, make_user, login, api_as):
    from inventory import service

    _parts(app)
    office = make_office("BJ")
    with app.app_context():
        location = service.office_location(office).id
        from core.extensions import db
        db.session.commit()
    client = login("office", username="bj-counter", office_id=office)
    return client, {"location": location}


def _count_page_send(client, ctx, filename, content):
    return client.submit("/inventory/counts/new", {"location": str(ctx["location"]), "kind": "weekly", "full": "1",
                                                   "file": (io.BytesIO(content), filename)},
                         form_page="/inventory/counts/new", content_type="multipart/form-data")


def _count_api_setup(app, make_office, make_user, login, api_as):
    from core.extensions import db
    from inventory import service
    from inventory.models import HQ_STORE

    _parts(app)
    with app.app_context():
        service.system_location(HQ_STORE)
        db.session.commit()
    return api_as("clerk"), {}


def _count_api_send(client, ctx, filename, content):
    return client.post("/api/v1/inventory/counts/upload",
                       data={"location": "HQ", "kind": "spot", "full": "false",
                             "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def _count_lines(app):
    from inventory.models import CountLine

    return _count(app, CountLine)


# --- declared lists (repairs) ------------------------------------------------------------------

DECLARED_LAYOUT = corpus.Layout(
    ["model", "serial", "fault", "warranty"], ["型号", "序列号", "故障描述", "保修"],
    good=lambda i: ["SSD A400", f"XA{i}", "no power", "yes"],
    good_zh=lambda i: ["SSD A400", f"XA{i}", "无法识别，掉盘", "是"],
    bad=lambda i: ["SSD A400", f"bad serial {i}!", "x", "yes"],
    formula=lambda i: ["SSD A400", f"XF{i}", FORMULA, "yes"])


def _declared_setup(app, make_office, make_user, login, api_as):
    from core.directory.models import Dealer
    from core.extensions import db

    office = make_office("BJ")
    with app.app_context():
        dealer = Dealer(code="D0001", name="北京数码", office_id=office)
        db.session.add(dealer)
        db.session.commit()
        dealer_id = dealer.id
    return login("service", username="desk"), {"dealer_id": dealer_id}


def _declared_send(client, ctx, filename, content):
    return client.submit("/repairs/parcels", {"dealer_id": str(ctx["dealer_id"]), "rows": "",
                                              "file": (io.BytesIO(content), filename)},
                         content_type="multipart/form-data")


def _units(app):
    from repairs.models import RepairUnit

    return _count(app, RepairUnit)


def _faults(app):
    from repairs.models import RepairUnit

    return _texts(app, RepairUnit.fault)


# --- vendor statements -------------------------------------------------------------------------

STATEMENT_LAYOUT = corpus.Layout(
    ["day", "direction", "sku", "quantity", "serial", "reference"],
    ["日期", "方向", "物料编码", "数量", "序列号", "单号"],
    good=lambda i: [f"2026-11-2{3 + i}", "in", f"P-{i}", "2", "", f"REF{i}"],
    good_zh=lambda i: [f"2026年11月2{3 + i}日", "入库", f"P-{i}", "2", "", f"单{i}"],
    bad=lambda i: ["2026-11-23", "sideways", "P-0", "1", "", ""],
    formula=lambda i: [f"2026/11/2{3 + i}", "out", f"P-{i}", "1", "", FORMULA])


def _statement_setup(app, make_office, make_user, login, api_as):
    _parts(app, vendor_managed=True)
    return login("clerk", username="pool-clerk"), {}


def _statement_send(client, ctx, filename, content):
    return client.submit("/inventory/vendor/statement", {"week_start": WEEK.isoformat(),
                                                          "file": (io.BytesIO(content), filename)},
                         form_page="/inventory/vendor", content_type="multipart/form-data")


def _statement_lines(app):
    from inventory.models import ShippingStatementLine

    return _count(app, ShippingStatementLine)


def _references(app):
    from inventory.models import ShippingStatementLine

    return _texts(app, ShippingStatementLine.reference)


# --- freight bills -----------------------------------------------------------------------------

FREIGHT_LAYOUT = corpus.Layout(
    ["waybill", "date", "amount", "destination"], ["运单号", "发货日期", "运费", "目的地"],
    good=lambda i: [f"WB{i}", f"2026-10-0{i + 1}", "12.50", "Beijing"],
    good_zh=lambda i: [f"ＷＢ{i}", f"2026/10/{i + 1}", "￥12.50", "北京市朝阳区"],
    bad=lambda i: [f"WB{i}", "2026-10-01", "abc", ""],
    formula=lambda i: [f"WB{i}", f"2026-10-0{i + 1}", "12.50", FORMULA])


def _freight_page_setup(app, make_office, make_user, login, api_as):
    return login("supervisor", username="boss"), {}


def _freight_page_send(client, ctx, filename, content):
    return client.submit("/shipments/freight", {"period": "2026-10", "file": (io.BytesIO(content), filename)},
                         content_type="multipart/form-data")


def _freight_api_setup(app, make_office, make_user, login, api_as):
    return api_as("supervisor"), {}


def _freight_api_send(client, ctx, filename, content):
    return client.post("/api/v1/shipments/freight-bills",
                       data={"period": "2026-10", "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _bill_lines(app):
    from shipments.models import FreightBillLine

    return _count(app, FreightBillLine)


def _destinations(app):
    from shipments.models import FreightBillLine

    return _texts(app, FreightBillLine.destination)


# --- dealers -----------------------------------------------------------------------------------

DEALER_LAYOUT = corpus.Layout(
    ["code", "name", "address"], ["代码", "名称", "地址"],
    good=lambda i: [f"D{i:03d}", f"Dealer {i}", "Road 1"],
    good_zh=lambda i: [f"D{i:03d}", f"北京数码{i}", "北京市朝阳区"],
    bad=lambda i: [f"D{i:04d}", "", ""],
    formula=lambda i: [f"D{i:03d}", f"Dealer {i}", FORMULA])


def _dealer_page_setup(app, make_office, make_user, login, api_as):
    return login("service", username="editor"), {}


def _dealer_page_send(client, ctx, filename, content):
    return client.submit("/directory/dealers/import", {"file": (io.BytesIO(content), filename)},
                         content_type="multipart/form-data")


def _dealer_api_setup(app, make_office, make_user, login, api_as):
    return api_as("service"), {}


def _dealer_api_send(client, ctx, filename, content):
    return client.post("/api/v1/dealers/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _dealers(app):
    from core.directory.models import Dealer

    return _count(app, Dealer)


def _addresses(app):
    from core.directory.models import Dealer

    return _texts(app, Dealer.address)


# --- repair price lists --------------------------------------------------------------------------

PRICE_LAYOUT = corpus.Layout(
    ["model", "in force from", "price", "notice"], ["型号", "生效日期", "价格", "备注"],
    good=lambda i: [f"SSD A{i}00", "2026-12-01", "120.00", "Notice 12"],
    good_zh=lambda i: [f"SSD A{i}00", "2026年12月1日", "￥１２０", "十二月调价"],
    bad=lambda i: [f"M{i}", "someday", "cheap", ""],
    formula=lambda i: [f"SSD A{i}00", "2026-12-01", "99", FORMULA])


def _price_page_setup(app, make_office, make_user, login, api_as):
    return login("supervisor", username="pricer"), {}


def _price_page_send(client, ctx, filename, content):
    return client.submit("/repairs/prices", {"kind": "import", "file": (io.BytesIO(content), filename)},
                         content_type="multipart/form-data")


def _price_api_setup(app, make_office, make_user, login, api_as):
    return api_as("supervisor"), {}


def _price_api_send(client, ctx, filename, content):
    return client.post("/api/v1/repairs/prices/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _prices(app):
    from repairs.models import RepairPrice

    return _count(app, RepairPrice)


def _notices(app):
    from repairs.models import RepairPrice

    return _texts(app, RepairPrice.notice)


IMPORTERS = [
    Importer("counts_page", COUNT_LAYOUT, _count_page_setup, _count_page_send, _count_lines,
             formula_error=r"=1\+2"),
    Importer("counts_api", COUNT_LAYOUT, _count_api_setup, _count_api_send, _count_lines, formula_error=r"=1\+2"),
    Importer("declared_page", DECLARED_LAYOUT, _declared_setup, _declared_send, _units, _faults),
    Importer("statement_page", STATEMENT_LAYOUT, _statement_setup, _statement_send, _statement_lines, _references),
    Importer("freight_page", FREIGHT_LAYOUT, _freight_page_setup, _freight_page_send, _bill_lines, _destinations),
    Importer("freight_api", FREIGHT_LAYOUT, _freight_api_setup, _freight_api_send, _bill_lines, _destinations),
    Importer("dealers_page", DEALER_LAYOUT, _dealer_page_setup, _dealer_page_send, _dealers, _addresses),
    Importer("dealers_api", DEALER_LAYOUT, _dealer_api_setup, _dealer_api_send, _dealers, _addresses),
    Importer("prices_page", PRICE_LAYOUT, _price_page_setup, _price_page_send, _prices, _notices),
    Importer("prices_api", PRICE_LAYOUT, _price_api_setup, _price_api_send, _prices, _notices),
]


def _answer_text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("case", corpus.CASES, ids=corpus.CASE_NAMES)
@pytest.mark.parametrize("importer", IMPORTERS, ids=[i.name for i in IMPORTERS])
def test_importer_against_the_corpus(app, make_office, make_user, login, api_as, importer, case):
    client, ctx = importer.setup(app, make_office, make_user, login, api_as)
    before = importer.imported(app)
    filename, content = case.build(importer.layout)
    resp = importer.send(client, ctx, filename, content)
    text = _answer_text(resp)
    # Small answers, small cookies, whatever the file.
    assert len(resp.get_data()) < MAX_ANSWER, (importer.name, case.name, len(resp.get_data()))
    cookies = resp.headers.getlist("Set-Cookie")
    assert sum(len(c) for c in cookies) < MAX_COOKIE, cookies
    expect_error = case.error
    if case.name == "formulas" and importer.formula_error:
        expect_error = importer.formula_error
    if expect_error is None:
        assert resp.status_code in (200, 201, 302), (resp.status_code, text[:2000])
        assert importer.imported(app) - before == case.rows
        if case.name == "formulas" and importer.stored_texts:
            assert FORMULA in importer.stored_texts(app)
        return
    assert 400 <= resp.status_code < 500, (resp.status_code, text[:500])
    if case.status:
        assert resp.status_code == case.status
    assert re.search(expect_error, text, re.I), (importer.name, case.name, text[:3000])
    assert importer.imported(app) == before, "a refused file imported something"


def test_bad_lines_are_listed_by_file_line_first_fifty_and_the_total(login, make_office, app, make_user, api_as):
    client, ctx = _count_page_setup(app, make_office, make_user, login, api_as)
    rows = [["sku", "quantity"], ["", ""], ["P-0", "1"]] + [[f"NOPE-{i}", "1"] for i in range(120)]
    resp = _count_page_send(client, ctx, "c.csv", corpus.csv_bytes(rows))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    # The blank line 2 still counts: the first bad line is line 4 of the file.
    assert "Line 4: unknown SKU NOPE-0" in page and "Line 53: unknown SKU NOPE-49" in page
    assert "Line 54:" not in page and "70 more bad lines (120 in all)" in page
    api = api_as("clerk")
    body = _count_api_send(api, {}, "c.csv", corpus.csv_bytes(rows)).get_json()
    assert body["total"] == 120 and len(body["rows"]) == 50 and body["rows"][0]["line"] == 4
    assert len(body["errors"]["file"]) == 51


def test_a_price_list_refuses_a_model_priced_twice_and_only_the_supervisor_imports(app, login, api_as):
    rows = [PRICE_LAYOUT.headers_en, PRICE_LAYOUT.good(0), PRICE_LAYOUT.good(1), PRICE_LAYOUT.good(0)]
    resp = _price_api_send(api_as("supervisor"), {}, "p.csv", corpus.csv_bytes(rows))
    assert resp.status_code == 422 and resp.get_json()["rows"] == [
        {"line": 4, "reason": "Line 4: SSD A000 from 2026-12-01 is already on line 2."}]
    assert _price_api_send(api_as("service"), {}, "p.csv", corpus.csv_bytes(rows[:2])).status_code == 403
    page = login("supervisor", username="boss").get("/repairs/prices").get_data(as_text=True)
    assert 'name="kind" value="import"' in page and 'type="file"' in page
    assert _prices(app) == 0


def test_a_row_with_an_extra_column_is_no_crash(app, make_office, make_user, login, api_as):
    client, ctx = _statement_setup(app, make_office, make_user, login, api_as)
    rows = [STATEMENT_LAYOUT.headers_en, STATEMENT_LAYOUT.good(0) + ["surplus"], STATEMENT_LAYOUT.good(1)]
    resp = _statement_send(client, ctx, "s.csv", corpus.csv_bytes(rows))
    assert resp.status_code == 302 and _statement_lines(app) == 2


def test_a_count_sheet_with_more_skus_than_a_query_takes_is_answered_not_crashed(app, make_office, make_user,
                                                                                   login, api_as):
    # PostgreSQL takes at most 65,535 parameters in one statement: 70,000 distinct SKUs once answered 500.
    client, ctx = _count_api_setup(app, make_office, make_user, login, api_as)
    rows = [["sku", "quantity"]] + [[f"X-{i}", "1"] for i in range(70_000)]
    resp = _count_api_send(client, ctx, "big.csv", corpus.csv_bytes(rows))
    body = resp.get_json()
    assert resp.status_code == 422 and body["total"] == 70_000 and len(body["rows"]) == 50
    assert len(resp.get_data()) < MAX_ANSWER and _count_lines(app) == 0
