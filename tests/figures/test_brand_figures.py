"""Repairs and DOA per brand in the monthly report, computed by hand for October 2026 (tests/figures/data.py).

Brands: M Maxell, K Kingston; each unit carries the brand it got from its model when entered.

Repair units (data.py's table) with their brand and intake findings:
- U1 M (received 09-30, returned 10-15: on time), U2 M (received 09-30, returned 10-16: late),
- U3 K (received 10-12, returned 10-21: on time, human damage), U4 K (received 10-12, charge quoted: paid),
- U5 M (received 10-13, out of warranty), U6 no brand (received 10-31 23:30, no stock left),
- U7 K (received 11-01 00:30: November's).
October per brand:   received  on time  late  human  no stock  out of warranty  paid
  (no brand)            1         0      0      0       1            0           0
  Kingston              2         1      0      1       0            0           1
  Maxell                1         1      1      0       0            1           0
  All                   4         2      1      1       1            1           1

DOA (data.py's seed_doa) with units: A1 (made 10-08, credited 10-15) units M and K; A2 (made 09-30,
replacement shipped 10-21) a K unit; A3 (made 10-20, refused) units M, M and one without a brand.
October per brand:   applications made  units  exchanged  refunded
  (no brand)                1 (A3)        1        0          0
  Kingston                  1 (A1)        1        1 (A2)     1 (A1)
  Maxell                    2 (A1, A3)    3        0          1 (A1)
  All                       2             5        1          1
The week 2026-W42 is checked too (see its test).
"""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from tests.figures.data import seed


@pytest.fixture()
def brand_data(app):
    from sqlalchemy import update

    from core.directory.models import Brand
    from core.extensions import db
    from doa.models import DoaApplication, DoaUnit
    from repairs.models import RepairUnit

    with app.app_context():
        ids = seed()
        m, k = Brand(code="M", name="Maxell"), Brand(code="K", name="Kingston")
        db.session.add_all([m, k])
        db.session.flush()
        for serials, values in ((("U1", "U2", "U5"), {"brand_id": m.id}), (("U3", "U4", "U7"), {"brand_id": k.id}),
                                (("U3",), {"human_damage": True}), (("U4",), {"quote_amount": Decimal("80.00")}),
                                (("U5",), {"out_of_warranty": True}), (("U6",), {"no_stock": True})):
            db.session.execute(update(RepairUnit).where(RepairUnit.serial.in_(serials)).values(**values))
        apps = {a.number: a.id for a in db.session.query(DoaApplication)}
        for number, brand_ids in (("DOA2610-001", [m.id, k.id]), ("DOA2609-001", [k.id]),
                                  ("DOA2610-002", [m.id, m.id, None])):
            for i, brand_id in enumerate(brand_ids, start=1):
                db.session.add(DoaUnit(application_id=apps[number], line_no=i, serial=f"{number}-{i}",
                                       model="x", brand_id=brand_id))
        db.session.commit()
        return ids


def _rows(body, key):
    return next(t for t in body["tables"] if t["key"] == key)["rows"]


REPAIRS = [["(no brand)", 1, 0, 0, 0, 1, 0, 0], ["Kingston", 2, 1, 0, 1, 0, 0, 1],
           ["Maxell", 1, 1, 1, 0, 0, 1, 0], ["All", 4, 2, 1, 1, 1, 1, 1]]
DOA = [["(no brand)", 1, 1, 0, 0], ["Kingston", 1, 1, 1, 1], ["Maxell", 2, 3, 0, 1], ["All", 2, 5, 1, 1]]


def test_october_per_brand_through_the_api(api_as, brand_data):
    body = api_as("supervisor").get("/api/v1/figures/report?month=2026-10").get_json()
    assert _rows(body, "repairs_brand") == REPAIRS
    assert _rows(body, "doa_brand") == DOA
    # The per-brand totals agree with the report's own figures.
    summary = {r[0]: r for r in _rows(body, "summary")}
    assert summary["Received"][2] == 4
    findings = {r[0]: r[1] for r in _rows(body, "findings")}
    assert [findings[k] for k in ("Human damage", "No stock left", "Out of warranty",
                                  "Paid repair (charge quoted)")] == REPAIRS[-1][4:]


def test_the_offices_spare_stock_per_brand_at_the_end_of_october(app, api_as, brand_data):
    """SP-A (Maxell, 50.00): 9 held at BJ at October's end (data.py), 13 now; a Kingston part (30.00) with 2
    at BJ since September and 1 more in on 11-02; a part without a brand (10.00), 5 at SH."""
    from sqlalchemy import select, update

    from core.directory.models import Brand
    from core.extensions import db
    from inventory.models import Balance, Location, Movement, Part
    from tests.figures.data import sh

    with app.app_context():
        brand = dict(db.session.execute(select(Brand.code, Brand.id)).all())
        db.session.execute(update(Part).where(Part.sku == "SP-A").values(brand_id=brand["M"]))
        loc = dict(db.session.execute(select(Location.code, Location.id)).all())
        king = Part(sku="SP-K", model="K1", unit_cost=Decimal("30.00"), brand_id=brand["K"])
        plain = Part(sku="SP-N", model="N1", unit_cost=Decimal("10.00"))
        db.session.add_all([king, plain])
        db.session.flush()
        db.session.add_all([Balance(location_id=loc["OFF-BJ"], part_id=king.id, quantity=3),
                            Balance(location_id=loc["OFF-SH"], part_id=plain.id, quantity=5),
                            Movement(at=sh(2026, 9, 2), part_id=king.id, from_location_id=loc["HQ"],
                                     to_location_id=loc["OFF-BJ"], quantity=2, reason="test"),
                            Movement(at=sh(2026, 11, 2), part_id=king.id, from_location_id=loc["HQ"],
                                     to_location_id=loc["OFF-BJ"], quantity=1, reason="test")])
        db.session.commit()
    body = api_as("supervisor").get("/api/v1/figures/report?month=2026-10").get_json()
    assert _rows(body, "spare_stock_brand") == [["(no brand)", 5, "50.00"], ["Kingston", 2, "60.00"],
                                                ["Maxell", 9, "450.00"], ["All", 16, "560.00"]]
    office = api_as("office", office_id=brand_data["bj"]).get("/api/v1/figures/report?month=2026-10").get_json()
    assert _rows(office, "spare_stock_brand") == [["Kingston", 2, "60.00"], ["Maxell", 9, "450.00"],
                                                  ["All", 11, "510.00"]]


def test_the_week_of_10_12_per_brand_and_on_the_page(api_as, login, brand_data):
    # Week 42 (10-12..10-18): U3, U4 (K) and U5 (M) received; U1 (on time) and U2 (late) returned, both M;
    # A1 (units M and K) credited. U6, A2's shipment and A3 fall in other weeks.
    body = api_as("supervisor").get("/api/v1/figures/report?week=2026-W42").get_json()
    assert _rows(body, "repairs_brand") == [["Kingston", 2, 0, 0, 1, 0, 0, 1], ["Maxell", 1, 1, 1, 0, 0, 1, 0],
                                            ["All", 3, 1, 1, 1, 0, 1, 1]]
    assert _rows(body, "doa_brand") == [["Kingston", 0, 0, 0, 1], ["Maxell", 0, 0, 0, 1], ["All", 0, 0, 0, 1]]
    page = login("supervisor").get("/figures/report?month=2026-10").get_data(as_text=True)
    assert "Repairs per brand" in page and "DOA per brand" in page


def test_an_office_sees_its_dealers_brands_only(api_as, brand_data):
    # Beijing's dealer D1 sent U1, U2, U5, U6 (U7 is November's) and applied for A1 and A3.
    body = api_as("office", office_id=brand_data["bj"]).get("/api/v1/figures/report?month=2026-10").get_json()
    assert _rows(body, "repairs_brand") == [["(no brand)", 1, 0, 0, 0, 1, 0, 0], ["Maxell", 1, 1, 1, 0, 0, 1, 0],
                                            ["All", 2, 1, 1, 0, 1, 1, 0]]
    assert _rows(body, "doa_brand") == [["(no brand)", 1, 1, 0, 0], ["Kingston", 1, 1, 0, 1],
                                        ["Maxell", 2, 3, 0, 1], ["All", 2, 5, 0, 1]]


def test_the_brand_tables_in_the_xlsx_and_the_pdf(login, brand_data):
    from openpyxl import load_workbook

    from tests.figures.test_web import _pdf_text

    c = login("supervisor")
    wb = load_workbook(io.BytesIO(c.get("/figures/report.xlsx?month=2026-10").get_data()))
    sheet = [list(r) for r in wb["repairs_brand"].iter_rows(values_only=True) if r and r[0] in
             ("(no brand)", "Kingston", "Maxell", "All")]
    assert sheet == REPAIRS
    doa = [list(r) for r in wb["doa_brand"].iter_rows(values_only=True) if r and r[0] in
           ("(no brand)", "Kingston", "Maxell", "All")]
    assert doa == DOA
    text = _pdf_text(c.get("/figures/report.pdf?month=2026-10").get_data())
    assert "Repairs per brand" in text and "DOA per brand" in text
    assert "Maxell" in text and "Kingston" in text
    zh = _pdf_text(c.get("/figures/report.pdf?month=2026-10", headers={"Accept-Language": "zh-CN"}).get_data())
    assert "Maxell" in zh and "各品牌返修" in zh and "各品牌新品换货" in zh and "逾期寄回" in zh
