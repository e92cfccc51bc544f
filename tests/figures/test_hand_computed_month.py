"""The supervisor's October 2026, computed by hand, in the dashboard, the report, CSV, XLSX and PDF.

Made through the services, then dated into October:

- offices BJ and SH; BJ holds SSD-X (serialised SSD, 210.00) and 10 SD cards (29.00 each); HQ holds SSD-Y;
- BJ's weekly count of 10-07 (SD 9, SSD-X) is superseded by its count of 10-14, a serial swap (SSD-Y found,
  SSD-X missing, SD 10), accepted 10-15: SSD-X written off (210.00, charged to BJ), SSD-Y taken from HQ
  (210.00, HQ's loss); BJ holds 10 SD + SSD-Y = 11 units, 500.00; ledger lines in October: 1 in, 1 out;
- counts on time: 4 weeks ended in October plus the monthly count = 5 expected; BJ 1 on time (the superseded
  count does not count), SH none;
- freight: WB1 factory -> dealer 18.00 (CS), WB3 finished goods -> dealer 22.00 (sales), and the inbound DOA
  parcel DOA-IN-1 dealer -> HQ 15.00 (sales, never marked shipped, booked 10-20): CS 18.00, sales 37.00;
- bills: BILL-00001 (WB1 18, WB3 22) paid; BILL-00002 re-bills WB1 (disputed) and bills DOA-IN-1 15 (paid):
  billed 73.00, matched 55.00, disputed 18.00, payable 55.00, paid 55.00.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import update

from tests.figures.data import sh
from tests.figures.test_web import _pdf_text

D = Decimal


def _october(app, make_office, make_user):
    from core.accounts.service import get_user
    from core.directory.models import Dealer
    from core.extensions import db
    from inventory import access, counts
    from inventory import service as inv
    from inventory.models import StockCount
    from shipments import freight, receiving
    from shipments import service as shipments
    from shipments.models import Shipment

    bj, sho = make_office("BJ"), make_office("SH")
    make_user("sup", "supervisor")
    make_user("clerk", "clerk")
    make_user("bj-office", "office", office_id=bj)
    with app.app_context():
        sup, clerk, office = get_user("sup"), get_user("clerk"), get_user("bj-office")
        dealer = Dealer(code="D1", name="Dealer One", office_id=bj)
        db.session.add(dealer)
        ssd = inv.create_part(sup, sku="SSD-1T", model="SSD", serialized=True, unit_cost="210.00")
        sd = inv.create_part(sup, sku="SD-64", model="SD", unit_cost="29.00")
        off_bj, hq, source = access.office_location(bj), inv.system_location("hq_store"), inv.system_location("finished_goods")
        access.office_location(sho)
        start = sh(2026, 9, 20)
        inv.post_movement(actor=sup, part=ssd, from_location=source, to_location=off_bj, serial="SSD-X", reason="receipt", at=start)
        inv.post_movement(actor=sup, part=ssd, from_location=source, to_location=hq, serial="SSD-Y", reason="receipt", at=start)
        inv.post_movement(actor=sup, part=sd, from_location=source, to_location=off_bj, quantity=10, reason="receipt", at=start)
        db.session.commit()

        first = counts.submit_count(office, location=off_bj, kind="weekly", counted_at=sh(2026, 10, 7, 17),
                                    data=counts.CountInput(quantities=[(1, "SD-64", 9)], serials=[(2, "SSD-1T", "SSD-X")]))
        db.session.commit()
        swap = counts.submit_count(office, location=off_bj, kind="weekly", counted_at=sh(2026, 10, 14, 17),
                                   data=counts.CountInput(quantities=[(1, "SD-64", 10)], serials=[(2, "SSD-1T", "SSD-Y")]))
        db.session.commit()
        counts.accept_count(sup, swap, confirm_relocations=True)
        db.session.commit()
        assert db.session.get(StockCount, first.id).status == "superseded"
        c = StockCount.__table__
        db.session.execute(update(c).values(created_at=c.c.counted_at))
        db.session.execute(update(c).where(c.c.id == swap.id).values(accepted_at=sh(2026, 10, 15, 10)))

        for waybill, leg, account, cost, day, serial in (("WB1", "factory_dealer", "cs", "18.00", date(2026, 10, 9), "F-1"),
                                                          ("WB3", "fg_dealer", "sales", "22.00", date(2026, 10, 13), "F-2")):
            s = shipments.create_shipment(clerk, leg=leg, paying_account=account, dealer_id=dealer.id,
                                          lines=[{"kind": "unit", "serial": serial, "model": "M"}])
            shipments.mark_shipped(clerk, s, waybill=waybill, carrier="SF", shipped_at=day, freight_cost=cost)
        inbound = shipments.create_shipment(clerk, leg="dealer_hq", paying_account="sales", dealer_id=dealer.id,
                                            waybill="DOA-IN-1", carrier="SF", freight_cost="15.00",
                                            lines=[{"kind": "unit", "serial": "DOA-U1", "model": "M"}])
        receiving.receive_shipment(clerk, inbound, [{"code": "DOA-U1"}])
        s_t = Shipment.__table__
        db.session.execute(update(s_t).where(s_t.c.id == inbound.id).values(
            created_at=sh(2026, 10, 20, 10), received_at=sh(2026, 10, 20, 10), reported_at=sh(2026, 10, 20, 10)))
        db.session.commit()

        def bill(lines):
            body = "waybill,date,amount\n" + "".join(f"{w},2026-10-{d:02d},{a}\n" for w, d, a in lines)
            made = freight.import_freight_bill(sup, filename="b.csv", content=body.encode(), period="2026-10")
            db.session.commit()
            return made

        first_bill = bill([("WB1", 9, "18.00"), ("WB3", 13, "22.00")])
        freight.pay_bill(sup, first_bill)
        db.session.commit()
        second = bill([("WB1", 9, "18.00"), ("DOA-IN-1", 20, "15.00")])
        rebilled = next(line for line in second.lines if line.waybill == "WB1")
        assert rebilled.review == "pending" and freight.billed_before_text(rebilled) == "billed before on BILL-00001"
        freight.decide_line(sup, rebilled, "dispute", note="paid on BILL-00001")
        db.session.commit()
        freight.pay_bill(sup, second)
        db.session.commit()


EXPECTED = {
    "spare_stock": {"BJ": ["BJ", "BJ office", 11, D("500.00"), 1, 1], "SH": ["SH", "SH office", 0, D("0.00"), 0, 0]},
    "counts": {"BJ": ["BJ", "BJ office", 5, 1, 4, 20.0], "SH": ["SH", "SH office", 5, 0, 5, 0.0]},
    "variance": {"BJ": ["BJ", "BJ office", 1, D("210.00"), D("0.00"), D("210.00"), D("0.00")],
                 "cs": ["cs", "Customer service (HQ)", 0, D("0.00"), D("0.00"), D("0.00"), D("210.00")],
                 "SH": ["SH", "SH office", 0, D("0.00"), D("0.00"), D("0.00"), D("0.00")]},
    "freight": {"cs": ["cs", "Customer service", 1, D("18.00"), 0], "sales": ["sales", "Sales department (DOA)", 2, D("37.00"), 0],
                "Total": ["Total", "", 3, D("55.00"), 0]},
    "freight_bills": {
        "cs": ["cs", "Customer service", 2, 2, D("36.00"), D("18.00"), D("0.00"), D("0.00"), D("0.00"), D("18.00"), D("18.00"), D("18.00")],
        "sales": ["sales", "Sales department (DOA)", 2, 2, D("37.00"), D("37.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("37.00"), D("37.00")],
        "Total": ["Total", "", 2, 4, D("73.00"), D("55.00"), D("0.00"), D("0.00"), D("0.00"), D("18.00"), D("55.00"), D("55.00")]},
}


def _as_text(value) -> str:
    return "" if value is None else str(value)


def test_the_supervisors_october_everywhere(app, make_office, make_user, login, api_as):
    _october(app, make_office, make_user)
    # The report (the same service as the page), as JSON.
    body = api_as("supervisor", username="sup-api").get("/api/v1/figures/report?month=2026-10").get_json()
    tables = {t["key"]: t for t in body["tables"]}
    for key, rows in EXPECTED.items():
        found = {str(r[0]): r for r in tables[key]["rows"]}
        for first, expected in rows.items():
            assert found[first] == [str(v) if isinstance(v, Decimal) else v for v in expected], (key, first)
    c = login("supervisor", username="sup-page")
    assert "Freight bills of the month" in c.get("/figures/report?month=2026-10").get_data(as_text=True)
    # CSV, one table at a time.
    for key, rows in EXPECTED.items():
        text = c.get(f"/figures/report/{key}.csv?month=2026-10").get_data().decode("utf-8-sig")
        found = {r[0]: r for r in csv.reader(io.StringIO(text)) if r}
        for first, expected in rows.items():
            assert found[first] == [_as_text(v) for v in expected], (key, first)
    # XLSX: a sheet per table.
    book = load_workbook(io.BytesIO(c.get("/figures/report.xlsx?month=2026-10").data))
    for key, rows in EXPECTED.items():
        found = {str(r[0]): r for r in book[key].iter_rows(values_only=True) if r and r[0] is not None}
        for first, expected in rows.items():
            want = [float(v) if isinstance(v, Decimal) else v for v in expected]
            got = [v if v is not None else "" for v in found[first][:len(want)]]
            assert got == [w if w is not None else "" for w in want], (key, first)
    # PDF: the headline numbers as printed.
    pdf = _pdf_text(c.get("/figures/report.pdf?month=2026-10").data)
    for text in ("Freight bills of the month", "73.00", "500.00", "210.00", "20.0%", "55.00", "37.00"):
        assert text in pdf, text
    # The dashboard's charts.
    variance = c.get("/figures/charts/variance_by_office.json?month=2026-10").get_json()
    series = {s["key"]: dict(zip(variance["labels"], s["data"])) for s in variance["series"]}
    assert series["shortfall"]["BJ"] == 210.0 and series["taken"]["cs"] == 210.0
    spend = c.get("/figures/charts/freight_by_month.json?month=2026-10").get_json()
    assert {s["key"]: s["data"][-1] for s in spend["series"]} == {"cs": 18.0, "sales": 37.0}
