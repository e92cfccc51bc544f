"""Intake findings in the figures, and the after-sales staff who compile them (ch. 1 2.7).

October's units received (tests.figures.data): U3, U4 (10-12), U5 (10-13) and U6 (10-31 23:30
Shanghai) = 4. Marked here: U3 human damage with a 30.00 paid repair quoted, U4 a quote waived
(0.00), U5 no stock left and out of warranty, U6 human damage; U1 (received in September) and
U7 (November) carry findings that October must not count.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from tests.figures.data import seed


@pytest.fixture()
def data(app):
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        ids = seed()
        marks = {"U1": {"human_damage": True, "quote_amount": Decimal("50.00")},
                 "U3": {"human_damage": True, "quote_amount": Decimal("30.00")},
                 "U4": {"quote_amount": Decimal("0.00"), "quote_waived_reason": "goodwill"},
                 "U5": {"no_stock": True, "out_of_warranty": True},
                 "U6": {"human_damage": True},
                 "U7": {"human_damage": True, "out_of_warranty": True}}
        for serial, values in marks.items():
            db.session.execute(update(RepairUnit).where(RepairUnit.serial == serial).values(**values))
        db.session.commit()
        return ids


EXPECTED = [["Human damage", 2, 4, 50.0], ["No stock left", 1, 4, 25.0], ["Out of warranty", 1, 4, 25.0],
            ["Paid repair (charge quoted)", 1, 4, 25.0]]


def test_findings_of_the_month_for_the_service_staff(api_as, data):
    resp = api_as("service").get("/api/v1/figures/report?month=2026-10")
    assert resp.status_code == 200
    table = next(t for t in resp.get_json()["tables"] if t["key"] == "findings")
    assert [[r[0], r[1], r[2], round(float(r[3]), 1)] for r in table["rows"]] == EXPECTED


def test_findings_page_and_xlsx_in_chinese(login, data):
    c = login("service")
    resp = c.get("/figures/report?month=2026-10", headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "验收核对结果" in html and "已无库存" in html and "有偿维修（已报价）" in html
    xlsx = c.get("/figures/report.xlsx?month=2026-10", headers={"Accept-Language": "zh-CN"})
    assert xlsx.status_code == 200
    import io

    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    assert ["已无库存", 1, 4] == [v for v in next(r for r in rows if r and r[0] == "已无库存")[:3]]


def test_service_staff_see_every_office_and_the_menu(login, data):
    c = login("service")
    html = c.get("/figures/report?month=2026-10&office=SH").get_data(as_text=True)
    assert "Dealer Two" in html and "Dealer One" not in html
    assert 'href="/figures/"' in c.get("/tasks").get_data(as_text=True)
