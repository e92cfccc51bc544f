"""A waybill is billed once: repeated files, re-billed waybills, decisions, payment and the statement."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from core.errors import Conflict, InvalidTransition
from tests.shipments.conftest import count_rows
from tests.live import LiveServer, bearer, twice


def _shipments(app, world, user):
    """WB1 (CS, 18), WB2 (CS, 16), WB3 (sales, 22): factory legs shipped in October 2026."""
    from core.extensions import db
    from shipments.service import create_shipment, mark_shipped

    with app.app_context():
        clerk = user("clerk")
        for i, (waybill, account, cost, day) in enumerate((("WB1", "cs", "18.00", date(2026, 10, 9)),
                                                          ("WB2", "cs", "16.00", date(2026, 10, 12)),
                                                          ("WB3", "sales", "22.00", date(2026, 10, 13)))):
            s = create_shipment(clerk, leg="factory_dealer", paying_account=account, dealer_id=world.dealer_bj,
                                lines=[{"kind": "unit", "serial": f"FB-{i}", "model": "M"}])
            mark_shipped(clerk, s, waybill=waybill, carrier="顺丰", shipped_at=day, freight_cost=cost)
        db.session.commit()


OCT_LINES = [("WB1", date(2026, 10, 9), "顺丰", "18.00"), ("WB2", date(2026, 10, 12), "顺丰", "16.00")]


def _csv(lines) -> bytes:
    out = "运单号,发货日期,承运商,金额\n" + "".join(f"{w},{d.isoformat()},{c},{a}\n" for w, d, c, a in lines)
    return out.encode("utf-8")


def _xlsx(lines) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["运单号", "发货日期", "承运商", "金额"])
    for w, d, c, a in lines:
        ws.append([w, d, c, float(a)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _import(user, content, name="bill.csv", period="2026-10"):
    from core.extensions import db
    from shipments.freight import import_freight_bill

    bill = import_freight_bill(user("sup"), filename=name, content=content, period=period)
    db.session.commit()
    return bill


def test_the_same_lines_as_csv_then_xlsx_are_refused_naming_the_first_bill(app, world, user):
    from shipments.models import FreightBill

    _shipments(app, world, user)
    with app.app_context():
        first = _import(user, _csv(OCT_LINES))
        assert first.number == "BILL-00001"
        with pytest.raises(Conflict) as err:
            _import(user, _xlsx(list(reversed(OCT_LINES))), name="oct.xlsx")
        assert "BILL-00001" in err.value.message and err.value.extra["bill_number"] == "BILL-00001"
    assert count_rows(app, FreightBill) == 1


def test_the_repeat_is_refused_on_the_page_and_the_api(app, world, user, login, api_as):
    _shipments(app, world, user)
    sup = api_as("supervisor")
    ok = sup.post("/api/v1/shipments/freight-bills", data={"period": "2026-10",
                  "file": (io.BytesIO(_csv(OCT_LINES)), "oct.csv")}, content_type="multipart/form-data")
    assert ok.status_code == 201 and ok.get_json()["number"] == "BILL-00001"
    again = sup.post("/api/v1/shipments/freight-bills", data={"period": "2026-10",
                     "file": (io.BytesIO(_xlsx(OCT_LINES)), "oct.xlsx")}, content_type="multipart/form-data")
    assert again.status_code == 409 and "BILL-00001" in again.get_json()["message"]
    page = login("supervisor", username="sup-page")
    resp = page.submit("/shipments/freight", {"period": "2026-10", "file": (io.BytesIO(_xlsx(OCT_LINES)), "b.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 409 and "BILL-00001" in resp.get_data(as_text=True)
    assert len(sup.get("/api/v1/shipments/freight-bills").get_json()["items"]) == 1


def test_a_waybill_billed_on_an_earlier_bill_waits_for_the_supervisor_and_is_not_payable(app, world, user):
    from shipments.freight import billed_before_text, decide_line, pay_bill, payable_total

    _shipments(app, world, user)
    with app.app_context():
        october = _import(user, _csv(OCT_LINES))
        pay_bill(user("sup"), october)
        from core.extensions import db
        db.session.commit()
        # November's bill bills WB1 again (already paid in October), and WB3 for the first time.
        november = _import(user, _csv([("WB1", date(2026, 10, 9), "顺丰", "18.00"),
                                       ("WB3", date(2026, 10, 13), "顺丰", "22.00")]), period="2026-11")
        kinds = {f.waybill: f.kind for f in november.findings if f.bill_line is not None}
        assert kinds == {"WB1": "rebilled", "WB3": "matched"}
        rebilled = next(line for line in november.lines if line.waybill == "WB1")
        assert rebilled.review == "pending" and billed_before_text(rebilled) == "billed before on BILL-00001"
        assert payable_total(november) == Decimal("22.00")
        with pytest.raises(Conflict):  # a pending line blocks the payment
            pay_bill(user("sup"), november)
        db.session.rollback()
        with pytest.raises(Conflict) as err:  # WB1 is payable (paid) on BILL-00001
            decide_line(user("sup"), rebilled, "accept")
        assert "BILL-00001" in err.value.message
        db.session.rollback()
        decide_line(user("sup"), rebilled, "dispute", note="paid in October")
        db.session.commit()
        assert pay_bill(user("sup"), november).paid_amount == Decimal("22.00")
        db.session.commit()
        with pytest.raises(InvalidTransition):
            pay_bill(user("sup"), november)
        with pytest.raises(InvalidTransition):  # a paid bill's lines are closed
            decide_line(user("sup"), rebilled, "accept")


def test_a_waybill_twice_on_one_bill_counts_once(app, world, user):
    from shipments.freight import payable_total

    _shipments(app, world, user)
    with app.app_context():
        bill = _import(user, _csv(OCT_LINES + [("WB1", date(2026, 10, 9), "顺丰", "18.00")]))
        second = bill.lines[-1]
        assert second.review == "pending" and second.billed_before_id == bill.id
        assert payable_total(bill) == Decimal("34.00")


def test_decisions_and_payment_through_the_api_and_the_page(app, world, user, api_as, login):
    _shipments(app, world, user)
    sup = api_as("supervisor")
    for content, period in ((_csv(OCT_LINES), "2026-10"), (_csv([OCT_LINES[1]]), "2026-11")):
        resp = sup.post("/api/v1/shipments/freight-bills", data={"period": period,
                        "file": (io.BytesIO(content), "b.csv")}, content_type="multipart/form-data")
        assert resp.status_code == 201
    nov = resp.get_json()
    finding = next(f for f in nov["findings"] if f["kind"] == "rebilled")
    assert finding["billed_before"] == "billed before on BILL-00001" and finding["review"] == "pending"
    assert nov["payable"] == "0.00" and nov["reviews"]["pending"] == 1
    path = f"/api/v1/shipments/freight-bills/{nov['id']}"
    assert sup.post(f"{path}/pay").status_code == 409
    line = f"{path}/lines/{finding['bill_line_id']}/decision"
    assert sup.post(line, json={"decision": "accept"}).status_code == 409  # WB2 is payable on BILL-00001
    assert sup.post(line, json={"decision": "maybe"}).status_code == 422
    assert sup.get(path).get_json()["reviews"]["pending"] == 1  # the refused acceptance changed nothing
    # The page: the supervisor disputes the line and pays the bill; paying again is refused with a message.
    page = login("supervisor", username="sup-page")
    form_page = f"/shipments/freight/{nov['id']}"
    assert "billed before on BILL-00001" in page.get(form_page).get_data(as_text=True)
    resp = page.submit(f"{form_page}/lines/{finding['bill_line_id']}/decide", {"decision": "dispute"},
                       form_page=form_page)
    assert resp.status_code == 302
    assert page.submit(f"{form_page}/pay", {}, form_page=form_page).status_code == 302
    again = page.submit(f"{form_page}/pay", {}, form_page=form_page)
    assert again.status_code == 409 and f"{nov['number']} is paid: the step “pay the bill” cannot be done now" in \
        again.get_data(as_text=True)
    assert sup.post(f"{path}/pay").status_code == 409
    body = sup.get(path).get_json()
    assert body["status"] == "paid" and body["paid_amount"] == "0.00"


def test_the_monthly_statement_per_account_as_page_csv_and_xlsx(app, world, user, api_as, login):
    from shipments.freight import decide_line

    _shipments(app, world, user)
    with app.app_context():
        from core.extensions import db
        # October: WB1 18 (matched), WB2 billed 21 (recorded 16), WB3 22 (sales, matched), NOSUCH 9.50,
        # and WB1 again (pending, then disputed).
        bill = _import(user, _csv(OCT_LINES[:1] + [("WB2", date(2026, 10, 12), "顺丰", "21.00"),
                                                   ("WB3", date(2026, 10, 13), "顺丰", "22.00"),
                                                   ("NOSUCH", date(2026, 10, 15), "顺丰", "9.50"),
                                                   ("WB1", date(2026, 10, 9), "顺丰", "18.00")]))
        decide_line(user("sup"), bill.lines[-1], "dispute")
        db.session.commit()
    sup = api_as("supervisor")
    data = sup.get("/api/v1/shipments/freight-statement?month=2026-10").get_json()
    rows = {r["account"]: r for r in data["rows"]}
    assert rows["cs"] == {"account": "cs", "bills": 1, "lines": 3, "billed": "57.00", "matched": "18.00",
                          "amount_diff": "21.00", "no_shipment": "0.00", "pending": "0.00", "disputed": "18.00",
                          "payable": "39.00", "paid": "0.00"}
    assert rows["sales"]["matched"] == "22.00" and rows["unassigned"]["no_shipment"] == "9.50"
    assert data["total"]["payable"] == "70.50" and data["total"]["billed"] == "88.50"
    assert data["open_lines"][0]["waybill"] == "WB1" and data["open_lines"][0]["review"] == "disputed"
    assert sup.get("/api/v1/shipments/freight-statement?month=2026-13").status_code == 422
    text = sup.get("/api/v1/shipments/freight-statement/export.csv?month=2026-10").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["Paying account", "Bills", "Bill lines", "Billed"]
    assert table[1][0] == "CS" and table[1][9] == "39.00" and table[4][0] == "Total" and table[4][9] == "70.50"
    book = load_workbook(io.BytesIO(sup.get("/api/v1/shipments/freight-statement/export.xlsx?month=2026-10").data))
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert sheet[4][0] == "Total" and sheet[4][9] == 70.5
    page = login("supervisor", username="sup-page").get("/shipments/freight/statement?month=2026-10")
    assert page.status_code == 200 and "70.50" in page.get_data(as_text=True)
    assert api_as("clerk").get("/api/v1/shipments/freight-statement?month=2026-10").status_code == 403


def test_paying_a_bill_twice_at_once_pays_it_once(app, world, user):
    from sqlalchemy import select

    from core.audit.models import AuditEntry
    from core.extensions import db

    _shipments(app, world, user)
    with app.app_context():
        bill_id = _import(user, _csv(OCT_LINES)).id
    headers = [bearer(app, "sup"), bearer(app, "sup")]
    with LiveServer(app) as server:
        answers = twice("POST", f"{server.url}/api/v1/shipments/freight-bills/{bill_id}/pay", headers)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], answers
    with app.app_context():
        paid = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "freight_bill")).all()
        assert sum(1 for e in paid if "paid_amount" in (e.changes or {})) == 1


def test_importing_the_same_bill_twice_at_once_keeps_one(app, world, user):
    from shipments.models import FreightBill

    _shipments(app, world, user)
    headers = [bearer(app, "sup"), bearer(app, "sup")]
    content = _csv(OCT_LINES)
    with LiveServer(app) as server:
        answers = twice("POST", f"{server.url}/api/v1/shipments/freight-bills", headers,
                        data={"period": "2026-10"}, files={"file": ("oct.csv", content)})
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    assert count_rows(app, FreightBill) == 1


def test_two_rebilled_lines_of_one_waybill_accepted_at_once_pay_it_once(app, world, user):
    """WB1 was disputed on its first bill; two later bills re-bill it and both are accepted at the same moment."""
    from sqlalchemy import func, select

    from core.extensions import db
    from shipments.freight import decide_line
    from shipments.models import FreightBillLine

    _shipments(app, world, user)
    with app.app_context():
        first = _import(user, _csv(OCT_LINES[:1]))
        decide_line(user("sup"), first.lines[0], "dispute")
        db.session.commit()
        later = [_import(user, _csv([("WB1", date(2026, 10, 9), "顺丰", amount)]), period="2026-11")
                 for amount in ("18.10", "18.50")]
        paths = [f"/api/v1/shipments/freight-bills/{b.id}/lines/{b.lines[0].id}/decision" for b in later]
    headers = [bearer(app, "sup"), bearer(app, "sup")]  # two tabs, two tokens
    with LiveServer(app) as server:
        import threading

        import requests

        barrier, out = threading.Barrier(2), [None, None]

        def accept(i):
            barrier.wait(30)
            out[i] = requests.post(server.url + paths[i], headers=headers[i], json={"decision": "accept"}, timeout=120)

        threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    assert sorted(r.status_code for r in out) == [200, 409], [r.text for r in out]
    with app.app_context():
        accepted = db.session.scalar(select(func.count()).select_from(FreightBillLine).where(
            FreightBillLine.waybill == "WB1", FreightBillLine.review == "accepted"))
        assert accepted == 1


def test_unknown_and_huge_ids_are_404(app, world, api_as):
    sup = api_as("supervisor")
    huge = 2**70
    assert sup.get(f"/api/v1/shipments/freight-bills/{huge}").status_code == 404
    assert sup.post(f"/api/v1/shipments/freight-bills/{huge}/pay").status_code == 404
    assert sup.post(f"/api/v1/shipments/freight-bills/1/lines/{huge}/decision",
                    json={"decision": "accept"}).status_code == 404
