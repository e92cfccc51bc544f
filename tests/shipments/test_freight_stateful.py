"""Freight bills in any order: no waybill is ever payable twice, payable totals are the accepted lines.

A hypothesis state machine imports random bills (CSV or XLSX) for three
months, re-imports earlier bills' lines in the other format and order,
re-bills waybills across months and within a bill, lets the supervisor
accept or dispute lines and pay bills. A plain model predicts every answer;
after each step the database must agree with it and:

- no waybill is payable (accepted) on more than one line;
- each bill's payable total, and each month's statement, equals the sum of
  its accepted lines; what a paid bill paid never changes;
- a repeated file is refused and adds nothing.
"""
from __future__ import annotations

import io
from collections import Counter
from datetime import date
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from openpyxl import Workbook

from core.errors import Conflict, DomainError, InvalidTransition
from tests.dbsetup import empty_all_tables

WAYBILLS = [f"SWB{i}" for i in range(6)]
AMOUNTS = [Decimal("5.00"), Decimal("12.50"), Decimal("18.00")]
PERIODS = ["2026-09", "2026-10", "2026-11"]

bill_lines = st.lists(st.tuples(st.sampled_from(WAYBILLS), st.sampled_from(AMOUNTS)), min_size=1, max_size=4)


def _file(lines, period, fmt) -> tuple[str, bytes]:
    day = date(int(period[:4]), int(period[5:]), 1)
    if fmt == "csv":
        body = "waybill,date,carrier,amount\n" + "".join(f"{w},{day.isoformat()},SF,{a}\n" for w, a in lines)
        return "bill.csv", body.encode()
    wb = Workbook()
    ws = wb.active
    ws.append(["waybill", "date", "carrier", "amount"])
    for w, a in lines:
        ws.append([w, day, "SF", float(a)])
    out = io.BytesIO()
    wb.save(out)
    return "bill.xlsx", out.getvalue()


def test_freight_bills_in_any_order(app):
    from core.accounts.service import create_user, get_user
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from shipments import freight
    from shipments.models import FreightBill, FreightBillLine
    from shipments.service import create_shipment, mark_shipped

    class FreightBills(RuleBasedStateMachine):
        bills = Bundle("bills")

        def __init__(self):
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            db.session.remove()
            empty_all_tables(db)
            create_user("sup", "sup-pass", ["supervisor"])
            create_user("clerk", "clerk-pass", ["clerk"])
            office = Office(code="ST", name="ST office", region="华北")
            db.session.add(office)
            db.session.flush()
            dealer = Dealer(code="ST-D", name="ST dealer", office_id=office.id)
            db.session.add(dealer)
            db.session.flush()
            # Half the waybills are our shipments (one on the sales account), the rest are unknown.
            for i, waybill in enumerate(WAYBILLS[:3]):
                s = create_shipment(get_user("clerk"), leg="factory_dealer", dealer_id=dealer.id,
                                    paying_account="sales" if i == 2 else "cs",
                                    lines=[{"kind": "unit", "serial": f"ST-{i}", "model": "M"}])
                mark_shipped(get_user("clerk"), s, waybill=waybill, carrier="SF", shipped_at=date(2026, 10, 5),
                             freight_cost="12.50")
            db.session.commit()
            # The model: bill id -> {"period", "key", "paid", "paid_amount", "lines": [[line id, waybill, amount, review]]}
            self.model: dict[int, dict] = {}
            self.keys: dict[tuple, int] = {}

        def teardown(self):
            db.session.remove()
            self.ctx.pop()

        def _sup(self):
            return get_user("sup")

        # --- rules --------------------------------------------------------------------------

        @rule(target=bills, lines=bill_lines, period=st.sampled_from(PERIODS), fmt=st.sampled_from(["csv", "xlsx"]))
        def import_bill(self, lines, period, fmt):
            key = (period, tuple(sorted(lines)))
            name, content = _file(lines, period, fmt)
            try:
                bill = freight.import_freight_bill(self._sup(), filename=name, content=content, period=period)
            except Conflict:
                db.session.rollback()
                assert key in self.keys, "a new bill was refused as a repeat"
                return self.keys[key]
            assert key not in self.keys, f"the lines of bill {self.keys.get(key)} were imported again"
            db.session.commit()
            billed = Counter(w for b in self.model.values() for _i, w, _a, _r in b["lines"])
            model_lines = []
            for line in bill.lines:
                review = "pending" if billed[line.waybill] else "accepted"
                billed[line.waybill] += 1
                model_lines.append([line.id, line.waybill, line.amount, review])
            self.model[bill.id] = {"period": period, "paid": False, "paid_amount": None, "lines": model_lines}
            self.keys[key] = bill.id
            return bill.id

        @rule(bill_id=bills, fmt=st.sampled_from(["csv", "xlsx"]), data=st.data())
        def import_the_same_lines_again(self, bill_id, fmt, data):
            entry = self.model[bill_id]
            lines = [(w, a) for _i, w, a, _r in entry["lines"]]
            lines = data.draw(st.permutations(lines))
            before = db.session.scalar(db.select(db.func.count()).select_from(FreightBill))
            name, content = _file(lines, entry["period"], fmt)
            try:
                freight.import_freight_bill(self._sup(), filename=name, content=content, period=entry["period"])
            except Conflict as err:
                assert freight.get_bill(self._sup(), bill_id).label in err.message
            else:
                raise AssertionError("the same lines were imported twice")
            finally:
                db.session.rollback()
            assert db.session.scalar(db.select(db.func.count()).select_from(FreightBill)) == before

        @rule(bill_id=bills, index=st.integers(0, 3), decision=st.sampled_from(["accept", "dispute"]))
        def decide(self, bill_id, index, decision):
            entry = self.model[bill_id]
            mline = entry["lines"][index % len(entry["lines"])]
            line_id, waybill, _amount, review = mline
            target = {"accept": "accepted", "dispute": "disputed"}[decision]
            if entry["paid"] or review == target:
                expected = InvalidTransition
            elif target == "accepted" and any(r == "accepted" and i != line_id for b in self.model.values()
                                              for i, w, _a, r in b["lines"] if w == waybill):
                expected = Conflict
            else:
                expected = None
            line = freight.get_line(self._sup(), bill_id, line_id)
            try:
                freight.decide_line(self._sup(), line, decision)
            except DomainError as err:
                db.session.rollback()
                assert expected is not None and isinstance(err, expected), (expected, err)
                return
            assert expected is None, f"expected {expected.__name__}"
            db.session.commit()
            mline[3] = target

        @rule(bill_id=bills)
        def pay(self, bill_id):
            entry = self.model[bill_id]
            pending = any(r == "pending" for _i, _w, _a, r in entry["lines"])
            try:
                bill = freight.pay_bill(self._sup(), freight.get_bill(self._sup(), bill_id))
            except InvalidTransition:
                db.session.rollback()
                assert entry["paid"]
                return
            except Conflict:
                db.session.rollback()
                assert pending and not entry["paid"]
                return
            assert not entry["paid"] and not pending
            db.session.commit()
            entry["paid"] = True
            entry["paid_amount"] = sum((a for _i, _w, a, r in entry["lines"] if r == "accepted"), Decimal("0"))
            assert bill.paid_amount == entry["paid_amount"]

        # --- invariants ------------------------------------------------------------------------

        @invariant()
        def no_waybill_is_payable_twice(self):
            rows = db.session.execute(db.select(FreightBillLine.waybill, db.func.count())
                                      .where(FreightBillLine.review == "accepted")
                                      .group_by(FreightBillLine.waybill)).all()
            assert all(n == 1 for _w, n in rows), rows

        @invariant()
        def lines_and_totals_agree_with_the_model(self):
            db.session.expire_all()
            for bill_id, entry in self.model.items():
                bill = db.session.get(FreightBill, bill_id)
                assert [[line.id, line.waybill, line.amount, line.review] for line in bill.lines] == entry["lines"]
                accepted = sum((a for _i, _w, a, r in entry["lines"] if r == "accepted"), Decimal("0"))
                assert freight.payable_total(bill) == accepted
                assert (bill.status == "paid") == entry["paid"]
                assert bill.paid_amount == entry["paid_amount"]

        @invariant()
        def the_statement_pays_the_accepted_lines(self):
            for period in PERIODS:
                data = freight.statement(self._sup(), period)
                lines = [(a, r, e["paid"]) for e in self.model.values() if e["period"] == period
                         for _i, _w, a, r in e["lines"]]
                assert data["total"]["payable"] == sum((a for a, r, _p in lines if r == "accepted"), Decimal("0"))
                assert data["total"]["paid"] == sum((a for a, r, p in lines if r == "accepted" and p), Decimal("0"))
                assert data["total"]["billed"] == sum((a for a, _r, _p in lines), Decimal("0"))
                assert data["total"]["disputed"] == sum((a for a, r, _p in lines if r == "disputed"), Decimal("0"))

    run_state_machine_as_test(FreightBills)
