"""Double-request scenarios for shipments (create, edit, ship, receive, freight bills)."""
from __future__ import annotations

from tests.concurrency.doubles import NATURAL_KEY, Case, count, exempt, probes, scenario
from tests.concurrency.doubles_inventory import SKU, Stock, movements

exempt("A receipt check: it answers how the scans compare with the shipment and writes nothing "
       "(the receipt itself is POST .../receive).", "shipments_api.ReceiveCheck")
exempt("Step 1 of the receive station: it looks the scanned label up and redirects to the shipment's "
       "receive page; it writes nothing.", "shipments.receive_start")


def _shipments():
    from shipments.models import Shipment

    return count(Shipment)


def packed(env, stock=None):
    """A packed HQ -> office shipment of 2 of the bulk part; (stock, shipment)."""
    from shipments import service as ship

    stock = stock or Stock(env)
    shipment = ship.create_shipment(env.admin(), leg="hq_office", office_id=stock.office,
                                    lines=[{"kind": "part", "part_id": stock.part.id, "quantity": 2}])
    return stock, shipment


def shipped(env):
    from shipments import service as ship

    stock, shipment = packed(env)
    ship.mark_shipped(env.admin(), shipment, waybill="DBLSHIP1", carrier="SF")
    return stock, shipment


@scenario("shipments_api.Shipments")
def api_create(env, _):
    stock = Stock(env)
    return Case("POST", "/api/v1/shipments", stock.clerk, _shipments(),
                json={"leg": "hq_office", "office_id": stock.office, "waybill": "DBLNEWWB1", "carrier": "SF",
                      "lines": [{"kind": "part", "sku": SKU, "quantity": 2}]},
                note="a waybill given at packing names one parcel: the second is refused", refusals=NATURAL_KEY)


@scenario("shipments.create")
def page_create(env, _):
    stock = Stock(env)
    return Case("POST", "/shipments/new", stock.clerk, _shipments(), api=False, idempotency_key=True,
                form_page="/shipments/new",
                form={"leg": "hq_office", "office_id": str(stock.office), "parts": f"{SKU} 2", "carrier": "SF"})


@scenario("shipments_api.ShipmentItem", "PATCH")
def api_edit(env, _):
    stock, shipment = packed(env)
    return Case("PATCH", f"/api/v1/shipments/{shipment.number}", stock.clerk, _shipments(), delta=0,
                same_result=True, json={"note": "fragile", "pieces": 2})


@scenario("shipments.edit")
def page_edit(env, _):
    stock, shipment = packed(env)
    return Case("POST", f"/shipments/{shipment.number}/edit", stock.clerk, _shipments(), delta=0, api=False,
                form={"note": "fragile", "pieces": "2", "carrier": "SF"})


def _shipped(shipment):
    from shipments.models import Shipment

    return count(Shipment, Shipment.id == shipment.id, Shipment.status != "packed")


@scenario("shipments_api.Ship")
def api_ship(env, _):
    stock, shipment = packed(env)
    return Case("POST", f"/api/v1/shipments/{shipment.number}/ship", stock.clerk,
                probes(movements(), _shipped(shipment)), json={"waybill": "DBLSHIP9", "carrier": "SF"})


@scenario("shipments.ship")
def page_ship(env, _):
    stock, shipment = packed(env)
    return Case("POST", f"/shipments/{shipment.number}/ship", stock.clerk, probes(movements(), _shipped(shipment)),
                api=False, form={"waybill": "DBLSHIP9", "carrier": "SF"})


def _receipts():
    from shipments.models import ShipmentReceipt

    return count(ShipmentReceipt)


@scenario("shipments_api.Receive")
def api_receive(env, _):
    stock, shipment = shipped(env)
    return Case("POST", f"/api/v1/shipments/{shipment.number}/receive", stock.office_user,
                probes(_receipts(), movements()), json={"scans": [{"code": SKU, "quantity": 2}]})


@scenario("shipments.receive")
def page_receive(env, _):
    stock, shipment = shipped(env)
    return Case("POST", f"/shipments/receive/{shipment.number}", stock.office_user, probes(_receipts(), movements()),
                api=False, form={"scans": f"2*{SKU}", "action": "finish"})


# --- freight bills ---------------------------------------------------------------------------

BILL = b"waybill,amount\nDBLBILL1,12.50\nDBLBILL2,8.00\n"


def _bills():
    from shipments.models import FreightBill

    return count(FreightBill)


@scenario("shipments_api.FreightBills")
def api_bill(env, _):
    return Case("POST", "/api/v1/shipments/freight-bills", env.user("supervisor"), _bills(),
                form={"period": "2026-10"}, files={"file": ("bill.csv", BILL, "text/csv")},
                note="the same bill file is the natural key: the second is refused", refusals=NATURAL_KEY)


@scenario("shipments.freight_bills")
def page_bill(env, _):
    return Case("POST", "/shipments/freight", env.user("supervisor"), _bills(), api=False, refusals=NATURAL_KEY,
                form={"period": "2026-10"}, files={"file": ("bill.csv", BILL, "text/csv")})


def _bill(env):
    sup = env.user("supervisor")
    from core.extensions import db
    from shipments import freight

    bill = freight.import_freight_bill(env.actor(sup), filename="bill.csv", content=BILL, period="2026-10")
    db.session.flush()
    return sup, bill


def _line_reviews(line_id):
    from core.audit.models import AuditEntry

    return count(AuditEntry, AuditEntry.entity == "freight_bill_line", AuditEntry.entity_id == str(line_id))


@scenario("shipments_api.FreightLineDecision")
def api_line(env, _):
    sup, bill = _bill(env)
    line = bill.lines[0]
    return Case("POST", f"/api/v1/shipments/freight-bills/{bill.id}/lines/{line.id}/decision", sup, _bills(),
                json={"decision": "dispute", "note": "not ours"}, delta=0, same_result=True)


@scenario("shipments.freight_decide")
def page_line(env, _):
    sup, bill = _bill(env)
    line = bill.lines[0]
    return Case("POST", f"/shipments/freight/{bill.id}/lines/{line.id}/decide", sup, _bills(), api=False,
                form={"decision": "dispute", "note": "not ours"}, delta=0)


def _paid(bill):
    from shipments.models import FreightBill

    return count(FreightBill, FreightBill.id == bill.id, FreightBill.paid_at.is_not(None))


def _payable_bill(env):
    from shipments import freight

    sup, bill = _bill(env)
    for line in bill.lines:
        if getattr(line, "review", None) not in (None, "accepted"):
            freight.decide_line(env.actor(sup), line, "accept")
    return sup, bill


@scenario("shipments_api.FreightBillPay")
def api_pay(env, _):
    sup, bill = _payable_bill(env)
    return Case("POST", f"/api/v1/shipments/freight-bills/{bill.id}/pay", sup, _paid(bill))


@scenario("shipments.freight_pay")
def page_pay(env, _):
    sup, bill = _payable_bill(env)
    return Case("POST", f"/shipments/freight/{bill.id}/pay", sup, _paid(bill), api=False)
