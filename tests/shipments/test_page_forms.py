"""Shipment pages load their forms through the API's schemas: a wrong value comes back as a message naming
the field in words (English and Chinese), on the same page, with nothing changed; a good form works."""
from __future__ import annotations

import html
import re

import pytest

from tests.shipments.conftest import count_rows
from tests.shipments.test_pages import _make


def _facts(app, number):
    from core.extensions import db
    from shipments.models import Shipment

    with app.app_context():
        db.session.expire_all()
        row = db.session.query(Shipment).filter_by(number=number).one()
        return row.status, row.waybill, row.pieces, row.freight_cost


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Pieces: Must be a whole number."),
    ("zh-CN", "件数: "),
])
def test_a_wrong_pieces_on_the_ship_form_names_the_field(app, world, user, login, language, words):
    [number] = _make(app, user, world)
    browser = login("clerk", username=f"clerk-{language}")
    before = _facts(app, number)
    resp = browser.submit(f"/shipments/{number}/ship", {"waybill": "SF77", "carrier": "顺丰", "pieces": "two"},
                          form_page=f"/shipments/{number}", headers={"Accept-Language": language})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert words in page and "pieces:" not in page and "SF77" in page
    assert _facts(app, number) == before


def test_a_wrong_cost_on_the_edit_form_changes_nothing(app, world, user, login):
    [number] = _make(app, user, world)
    browser = login("clerk", username="clerk-edit")
    before = _facts(app, number)
    resp = browser.submit(f"/shipments/{number}/edit", {"carrier": "EMS", "freight_cost": "lots"},
                          form_page=f"/shipments/{number}")
    assert resp.status_code == 422
    assert "Freight cost (RMB): Not a valid amount." in resp.get_data(as_text=True)
    assert _facts(app, number) == before


def test_a_good_ship_form_works(app, world, user, login):
    [number] = _make(app, user, world)
    browser = login("clerk", username="clerk-good")
    resp = browser.submit(f"/shipments/{number}/ship", {"waybill": "sf 88", "carrier": "顺丰", "pieces": "2",
                                                        "freight_cost": "7.5"}, form_page=f"/shipments/{number}")
    assert resp.status_code == 302
    status, waybill, pieces, cost = _facts(app, number)
    assert status == "shipped" and waybill == "SF88" and pieces == 2 and float(cost) == 7.5


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"units": "Units, line 2: Use “serial” or “serial model”.",
            "parts": "Parts, line 1 (Quantity): Must be between 1 and 100000.", "pieces": "Must be a whole number."}),
    ("zh-CN", {"units": "产品第 2 行: 请填“序列号”或“序列号 型号”。", "parts": "配件第 1 行 (数量): ", "pieces": "整数"}),
])
def test_wrong_lines_on_the_new_shipment_form_are_named_and_nothing_is_packed(app, world, login, language, words):
    from shipments.models import Shipment

    browser = login("clerk", username=f"packer-{language}")
    resp = browser.submit("/shipments/new", {"leg": "hq_factory", "units": "SN-1\nSN-2 DT too many", "parts": "CAP-10 0",
                                             "pieces": "two"}, headers={"Accept-Language": language})
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    # Each message stands beside the input it is about, and is not flashed a second time above the form.
    marked = _marked_fields(page)
    assert set(marked) == {"units", "parts", "pieces"}, marked
    for field, said in words.items():
        assert said in marked[field], (field, marked[field])
        assert page.count(said) == 1, said
    assert "lines.0" not in page and "quantity:" not in page and "SN-2 DT too many" in page
    assert count_rows(app, Shipment) == 0


def _marked_fields(page: str) -> dict[str, str]:
    """The form's fields marked wrong: the input's name -> the text shown in its field."""
    blocks = re.findall(r'<div class="field has-error">(.*?)(?=<div class="field|</form>)', page, re.S)
    return {re.search(r'name="(\w+)"', b).group(1): re.sub(r"<[^>]+>", " ", b) for b in blocks}


def test_a_line_the_service_refuses_is_named_by_the_typed_line(app, world, login):
    from shipments.models import Shipment

    browser = login("clerk", username="packer-sku")
    resp = browser.submit("/shipments/new", {"leg": "hq_factory", "units": "SN-9", "parts": "CAP-10 2\nNOSUCH 1"},
                          headers={"Accept-Language": "en"})
    assert resp.status_code == 422
    assert "Parts, line 2 (SKU): No part with SKU NOSUCH." in html.unescape(resp.get_data(as_text=True))
    assert count_rows(app, Shipment) == 0
    good = browser.submit("/shipments/new", {"leg": "hq_factory", "units": "SN-9", "parts": "CAP-10 2"})
    assert good.status_code == 302
    assert count_rows(app, Shipment) == 1


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Scan 2 (Quantity): Must be between 1 and 100000."),
    ("zh-CN", "第 2 次扫描 (数量): 必须在 1 到 100000 之间。"),
])
def test_a_wrong_quantity_at_the_receive_station_is_named_and_not_counted(app, world, user, login, language, words):
    [number] = _make(app, user, world)
    browser = login("clerk", username=f"receiver-{language}")
    station = f"/shipments/receive/{number}"
    resp = browser.submit(station, {"code": "200000*CAP-10", "scans": "PG-hq_factory-0"},
                          headers={"Accept-Language": language})
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    assert words in page and "feedback-bad" in page
    assert 'name="scans" value="PG-hq_factory-0"' in page  # the refused scan is not counted
    ok = browser.submit(station, {"code": "PG-hq_factory-0", "scans": ""}, headers={"Accept-Language": language})
    assert ok.status_code == 200 and "feedback-ok" in ok.get_data(as_text=True)
    assert _facts(app, number)[0] == "packed"


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Shipment number or waybill: Length must be between 1 and 80."),
    ("zh-CN", "发货单号或运单号: 长度必须在 1 到 80 之间。"),
])
def test_a_wrong_code_at_the_receive_start_is_named(app, world, user, login, language, words):
    [number] = _make(app, user, world)
    browser = login("clerk", username=f"starter-{language}")
    resp = browser.submit("/shipments/receive", {"code": "X" * 81}, headers={"Accept-Language": language})
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    assert page.count(words) == 1 and "feedback-bad" in page and "code:" not in page
    go = browser.submit("/shipments/receive", {"code": number.lower()})
    assert go.status_code == 302 and go.headers["Location"].endswith(f"/shipments/receive/{number}")
