"""Demo shipments on every leg, a late factory report, and a freight bill with a mismatch."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.accounts.models import User
from core.calendar import add_working_days, local_today
from core.demo import register_demo_loader
from core.directory.models import Dealer, Office, Vendor
from core.extensions import db
from inventory.models import Part
from shipments import freight, receiving, service

MODELS = ["DT-100 32G", "SSD-S500 256G", "CF-X 16G", "MicroSD-U3 64G", "UFD-mini 8G"]
CARRIERS = ["顺丰速运", "中通快递", "德邦物流"]


def _serial(rng) -> str:
    return f"SN{rng.randint(10000000, 99999999)}"


def _units(rng, n: int) -> list[dict]:
    return [{"kind": "unit", "serial": _serial(rng), "model": rng.choice(MODELS)} for _ in range(n)]


def _waybill(rng, carrier: str) -> str:
    prefix = {"顺丰速运": "SF", "中通快递": "ZT", "德邦物流": "DB"}[carrier]
    return f"{prefix}{rng.randint(1000000000, 9999999999)}"


def load_shipments(rng, echo) -> None:
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    dealers = list(db.session.scalars(select(Dealer).order_by(Dealer.id).limit(8)))
    offices = {o.code: o for o in db.session.scalars(select(Office))}
    vendor = db.session.scalar(select(Vendor).order_by(Vendor.id))
    if clerk is None or supervisor is None or not dealers:
        echo("shipments: skipped (no demo users or dealers)")
        return
    today = local_today()
    # The bill covers the month before the oldest recent shipment (ten days back), so
    # no recent factory leg falls in the billed month, whatever day of the month it is.
    last_month_day = (today - timedelta(days=10)).replace(day=1) - timedelta(days=20)
    made = []

    def ship(shipment, day, *, cost=None, reported_day=None):
        carrier = rng.choice(CARRIERS)
        service.mark_shipped(clerk, shipment, waybill=_waybill(rng, carrier), carrier=carrier, shipped_at=day,
                             reported_at=reported_day, freight_cost=cost, pieces=1,
                             weight_kg=f"{rng.randint(5, 40) / 10:.1f}")

    # Dealers mail defectives in: one received, one on its way.
    s = service.create_shipment(clerk, leg="dealer_hq", lines=_units(rng, 3), dealer_id=dealers[0 % len(dealers)].id)
    ship(s, today - timedelta(days=3), cost="12.00")
    receiving.receive_shipment(clerk, s, [line.serial for line in s.lines])
    made.append(s)
    s = service.create_shipment(clerk, leg="dealer_hq", lines=_units(rng, 2), dealer_id=dealers[1 % len(dealers)].id)
    ship(s, today - timedelta(days=1), cost="10.00")
    made.append(s)
    # CS sends units to the factory.
    s = service.create_shipment(clerk, leg="hq_factory", lines=_units(rng, 4), pieces=1)
    ship(s, today - timedelta(days=2), cost="15.00")
    made.append(s)
    # Factory legs last month: billed on the demo freight bill.
    billed = []
    for leg, dealer, account, cost in (("factory_dealer", dealers[2 % len(dealers)], "cs", "18.00"),
                                       ("factory_dealer", dealers[3 % len(dealers)], "cs", "16.00"),
                                       ("fg_dealer", dealers[4 % len(dealers)], "sales", "22.00"),
                                       ("factory_hq", None, "cs", "30.00"),
                                       ("factory_dealer", dealers[5 % len(dealers)], "cs", "14.00")):
        s = service.create_shipment(clerk, leg=leg, lines=_units(rng, 1 + len(billed) % 2),
                                    dealer_id=dealer.id if dealer else None, paying_account=account)
        ship(s, last_month_day + timedelta(days=len(billed)), cost=cost)
        billed.append(s)
        made.append(s)
    # A factory report that came late, and one not in yet.
    s = service.create_shipment(clerk, leg="factory_dealer", lines=_units(rng, 1), dealer_id=dealers[6 % len(dealers)].id)
    shipped_on = today - timedelta(days=10)
    ship(s, shipped_on, cost="17.00", reported_day=min(add_working_days(shipped_on, 3), today))
    made.append(s)
    s = service.create_shipment(clerk, leg="fg_dealer", lines=_units(rng, 1), dealer_id=dealers[7 % len(dealers)].id,
                                paying_account="sales")
    s.created_at = s.created_at - timedelta(days=7)
    made.append(s)
    # Office spares out and back, defectives to the vendor.
    if "BJ" in offices:
        s = service.create_shipment(clerk, leg="hq_office", lines=_units(rng, 2), office_id=offices["BJ"].id)
        ship(s, today - timedelta(days=4), cost="9.00")
        made.append(s)
    if "SH" in offices:
        s = service.create_shipment(clerk, leg="office_hq", lines=_units(rng, 2), office_id=offices["SH"].id)
        made.append(s)
    if vendor is not None:
        s = service.create_shipment(clerk, leg="hq_vendor", lines=_units(rng, 5), vendor_id=vendor.id)
        ship(s, today - timedelta(days=6), cost="25.00")
        made.append(s)
    # Vendor-managed spares from the vendor to the factory shipping dept; one box short.

    part = db.session.scalar(select(Part).where(Part.serialized.is_(False), Part.active.is_(True))
                             .order_by(Part.vendor_managed.desc(), Part.id))
    if vendor is not None and part is not None:
        s = service.create_shipment(clerk, leg="vendor_factory", vendor_id=vendor.id,
                                    lines=[{"kind": "part", "part_id": part.id, "quantity": 10}])
        ship(s, today - timedelta(days=5), cost="20.00")
        receiving.receive_shipment(clerk, s, [{"code": part.sku, "quantity": 9}],
                                   note="demo: one piece short")
        made.append(s)
    db.session.flush()

    # The factory's bill for last month: one amount differs, one waybill we never shipped,
    # and the last factory shipment is missing from it.
    rows = ["运单号,发货日期,承运商,金额"]
    for index, s in enumerate(billed[:-1]):
        amount = s.freight_cost + (5 if index == 1 else 0)
        rows.append(f"{s.waybill},{last_month_day + timedelta(days=index)},{s.carrier},{amount}")
    rows.append(f"SF{rng.randint(1000000000, 9999999999)},{last_month_day},顺丰速运,19.00")
    bill = freight.import_freight_bill(supervisor, filename="factory-freight-demo.csv",
                                       content="\n".join(rows).encode("utf-8"),
                                       period=last_month_day.strftime("%Y-%m"))
    counts = freight.finding_counts(bill)
    echo(f"shipments: {len(made)} shipments on every leg, freight bill {bill.period} "
         f"({counts['amount_diff']} amount difference, {counts['no_shipment']} unknown waybill, "
         f"{counts['unbilled']} unbilled)")


register_demo_loader("shipments", 30, load_shipments)
