"""Monthly freight reconciliation: import, match by waybill, differences, exports."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict, Forbidden, ValidationFailed
from tests.shipments.conftest import count_rows


def _factory_shipments(app, world, user):
    """Four factory-leg shipments shipped in 2026-10, with recorded freight costs."""
    from core.extensions import db
    from shipments.service import create_shipment, mark_shipped

    with app.app_context():
        clerk = user("clerk")
        specs = [("WB1", "factory_dealer", "cs", "18.00", date(2026, 10, 9)),
                 ("WB2", "factory_dealer", "cs", "16.00", date(2026, 10, 12)),
                 ("WB3", "fg_dealer", "sales", "22.00", date(2026, 10, 13)),
                 ("WB4", "factory_hq", "cs", "30.00", date(2026, 10, 20))]
        for i, (waybill, leg, account, cost, day) in enumerate(specs):
            s = create_shipment(clerk, leg=leg, paying_account=account,
                                dealer_id=world.dealer_bj if leg != "factory_hq" else None,
                                lines=[{"kind": "unit", "serial": f"F-{i}", "model": "M"}])
            mark_shipped(clerk, s, waybill=waybill, carrier="顺丰", shipped_at=day, freight_cost=cost)
        # A September shipment and an HQ leg: never expected on the October factory bill.
        s = create_shipment(clerk, leg="factory_dealer", dealer_id=world.dealer_bj,
                            lines=[{"kind": "unit", "serial": "F-9", "model": "M"}])
        mark_shipped(clerk, s, waybill="WB-SEPT", carrier="顺丰", shipped_at=date(2026, 9, 28), freight_cost="5")
        s = create_shipment(clerk, leg="hq_factory", lines=[{"kind": "unit", "serial": "F-10", "model": "M"}])
        mark_shipped(clerk, s, waybill="WB-HQ", carrier="顺丰", shipped_at=date(2026, 10, 10), freight_cost="7")
        db.session.commit()


BILL = """运单号,发货日期,承运商,金额
WB1,2026-10-09,顺丰,18.00
wb2,2026/10/12,顺丰,21.00
WB3,2026-10-13,顺丰,22
NOSUCH,2026-10-15,顺丰,9.50
WB1,2026-10-09,顺丰,18.00
合计,,,88.50
"""


def test_bill_is_matched_by_waybill_with_differences_and_totals(app, world, user):
    from core.extensions import db
    from shipments.freight import import_freight_bill, result_rows

    _factory_shipments(app, world, user)
    with app.app_context():
        bill = import_freight_bill(user("sup"), filename="oct.csv", content=BILL.encode("utf-8"), period="2026-10")
        db.session.commit()
        kinds = {(f.kind, f.waybill) for f in bill.findings}
        assert kinds == {("matched", "WB1"), ("amount_diff", "WB2"), ("matched", "WB3"), ("no_shipment", "NOSUCH"),
                         ("duplicate", "WB1"), ("unbilled", "WB4")}
        diff = next(f for f in bill.findings if f.kind == "amount_diff")
        assert (diff.billed, diff.recorded, diff.difference) == (Decimal("21.00"), Decimal("16.00"), Decimal("5.00"))
        assert diff.bill_line.line_no == 3
        assert bill.line_count == 5 and bill.total_amount == Decimal("88.50")
        assert bill.totals["cs"]["billed"] == "57.00"       # WB1 + WB2 + WB1 again
        assert bill.totals["cs"]["recorded"] == "34.00"
        assert bill.totals["cs"]["unbilled"] == "30.00" and bill.totals["cs"]["unbilled_count"] == 1
        assert bill.totals["sales"]["billed"] == "22.00" and bill.totals["sales"]["difference"] == "0.00"
        assert bill.totals["unassigned"]["billed"] == "9.50"
        header, rows = result_rows(bill)
        assert rows[0][2] == "WB2"  # differences first


def test_a_bill_with_malformed_rows_is_refused_whole_with_line_numbers(app, world, user):
    from shipments.freight import import_freight_bill
    from shipments.models import FreightBill, FreightBillLine

    _factory_shipments(app, world, user)
    bad = ("waybill,date,amount\n"
           "WB1,2026-10-09,18.00\n"
           ",2026-10-09,3.00\n"
           "WB2,2026-13-45,5\n"
           "WB3,2026-10-13,abc\n"
           "WB4,2026-10-20,-2\n"
           "\n"
           "WB5,2026-10-20,1.005\n")
    with app.app_context():
        with pytest.raises(ValidationFailed) as err:
            import_freight_bill(user("sup"), filename="bad.csv", content=bad.encode(), period="2026-10")
        rows = err.value.extra["rows"]
        assert [row["line"] for row in rows] == [3, 4, 5, 6, 8]
        assert "waybill" in rows[0]["reason"] and "date" in rows[1]["reason"]
        assert "not a number" in rows[2]["reason"] and "negative" in rows[3]["reason"]
    assert count_rows(app, FreightBill) == 0 and count_rows(app, FreightBillLine) == 0


@pytest.mark.parametrize("filename, content, field", [
    ("bill.pdf", b"%PDF-1.4", "file"),
    ("bill.csv", b"", "file"),
    ("bill.csv", b"foo,bar\n1,2\n", "file"),
    ("bill.xlsx", b"PK\x03\x04 not really a workbook", "file"),
    ("bill.csv", b"waybill,amount\n", "file"),
])
def test_unreadable_files_are_refused(app, world, user, filename, content, field):
    from shipments.freight import import_freight_bill
    from shipments.models import FreightBill

    with app.app_context():
        with pytest.raises(ValidationFailed) as err:
            import_freight_bill(user("sup"), filename=filename, content=content, period="2026-10")
        assert field in err.value.errors
    assert count_rows(app, FreightBill) == 0


def test_wrong_total_row_and_bad_period_are_refused(app, world, user):
    from shipments.freight import import_freight_bill

    with app.app_context():
        with pytest.raises(ValidationFailed) as err:
            import_freight_bill(user("sup"), filename="b.csv", content="运单号,金额\nA1,3\n合计,4\n".encode(),
                                period="2026-10")
        assert err.value.extra["rows"][0]["line"] == 3
        with pytest.raises(ValidationFailed) as err:
            import_freight_bill(user("sup"), filename="b.csv", content=b"waybill,amount\nA1,3\n", period="2026-13")
        assert "period" in err.value.errors


def test_xlsx_and_gbk_csv_import_and_the_same_file_twice_is_a_conflict(app, world, user):
    from openpyxl import Workbook

    from core.extensions import db
    from shipments.freight import import_freight_bill

    _factory_shipments(app, world, user)
    wb = Workbook()
    ws = wb.active
    ws.append(["运单号", "发货日期", "运费", "件数", "重量(kg)"])
    ws.append(["WB1", date(2026, 10, 9), 18, 1, 0.5])
    ws.append(["WB4", date(2026, 10, 20), 31.5, 2, 3])
    out = io.BytesIO()
    wb.save(out)
    with app.app_context():
        bill = import_freight_bill(user("sup"), filename="oct.xlsx", content=out.getvalue())
        db.session.commit()
        assert bill.period == "2026-10"  # from the lines' dates
        assert {(f.kind, f.waybill) for f in bill.findings} == {
            ("matched", "WB1"), ("amount_diff", "WB4"), ("unbilled", "WB2"), ("unbilled", "WB3")}
        assert bill.lines[1].pieces == 2 and bill.lines[1].line_no == 3
        with pytest.raises(Conflict):
            import_freight_bill(user("sup"), filename="again.xlsx", content=out.getvalue())
        # A second bill for the month does not call WB1/WB4 unbilled again.
        gbk = "运单号,金额\nWB2,16.00\n".encode("gb18030")
        second = import_freight_bill(user("sup"), filename="gbk.csv", content=gbk, period="2026-10")
        assert {(f.kind, f.waybill) for f in second.findings} == {("matched", "WB2"), ("unbilled", "WB3")}


def test_only_supervisors_import(app, world, user):
    from shipments.freight import import_freight_bill

    with app.app_context():
        with pytest.raises(Forbidden):
            import_freight_bill(user("clerk"), filename="b.csv", content=b"waybill,amount\nA,1\n", period="2026-10")


def test_exports_carry_the_result_and_totals(app, world, user):
    from openpyxl import load_workbook

    from core.extensions import db
    from shipments.freight import export_csv, export_xlsx, import_freight_bill

    _factory_shipments(app, world, user)
    with app.app_context():
        bill = import_freight_bill(user("sup"), filename="oct.csv", content=BILL.encode(), period="2026-10")
        db.session.commit()
        text = export_csv(user("sup"), bill).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:3] == ["Result", "Bill line", "Waybill"]
        assert rows[1][:3] == ["amount differs", "3", "WB2"] and rows[1][9] == "5.00" and rows[1][-1] == "payable"
        assert any(r[:1] == ["CS"] for r in rows)
        book = load_workbook(io.BytesIO(export_xlsx(user("sup"), bill)))
        assert book.sheetnames == ["Result", "Totals"]
        result = list(book["Result"].iter_rows(values_only=True))
        assert ("not billed" in {r[0] for r in result}) and result[1][2] == "WB2"
        totals = {r[0]: r for r in book["Totals"].iter_rows(values_only=True)}
        assert totals["Sales"][2] == 22
