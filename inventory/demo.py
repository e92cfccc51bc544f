"""Demo spare stock: parts (some Maxell vendor-managed, some serialized), stock at HQ and the offices,
a spare request through its cycle, swaps, a vendor batch and a couple of counts."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core.accounts.models import User
from core.demo import register_demo_loader
from core.directory.models import Dealer, Office, Vendor
from core.extensions import db
from core.types import utcnow
from inventory import counts, service, spares, vendor
from inventory.models import COUNT_LOSS, DEALER, FINISHED_GOODS, HQ_STORE, VENDOR, Part

PARTS = [
    # sku, model, family, vendor_managed, serialized, unit cost
    ("USB-32G-A", "U盘 32GB 金属", "USB", False, False, "19.50"),
    ("USB-64G-A", "U盘 64GB 金属", "USB", False, False, "29.00"),
    ("USB-128G-C", "U盘 128GB Type-C", "USB", False, False, "49.00"),
    ("SD-64G-U3", "SD卡 64GB U3", "memory card", False, False, "35.00"),
    ("TF-128G-A2", "TF卡 128GB A2", "memory card", False, False, "45.00"),
    ("SSD-512G-S", "SSD 512GB SATA", "SSD", False, True, "210.00"),
    ("SSD-1T-N", "SSD 1TB NVMe", "SSD", False, True, "420.00"),
    ("MX-CD-R50", "Maxell CD-R 50片", "optical", True, False, "38.00"),
    ("MX-BD-25", "Maxell BD-R 25GB", "optical", True, False, "12.00"),
    ("MX-HDD-1T", "Maxell 移动硬盘 1TB", "HDD", True, True, "380.00"),
]


def load_inventory(rng, echo) -> None:
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    office_user = db.session.scalar(select(User).where(User.username == "office-bj"))
    maxell = db.session.scalar(select(Vendor).where(Vendor.code == "MAXELL"))
    offices = {o.code: o for o in db.session.scalars(select(Office))}
    parts = {}
    for sku, model, family, vm, serialized, cost in PARTS:
        parts[sku] = Part(sku=sku, model=model, family=family, vendor_managed=vm, serialized=serialized,
                          unit_cost=Decimal(cost), vendor_id=maxell.id if vm and maxell else None)
        db.session.add(parts[sku])
    db.session.flush()
    hq = service.system_location(HQ_STORE)
    fg = service.system_location(FINISHED_GOODS)
    for kind in service.SYSTEM_LOCATIONS:
        service.system_location(kind)
    for code in ("BJ", "SH", "GZ"):
        if code in offices:
            service.office_location(offices[code].id)
    service.defective_location(hq)
    start = utcnow() - timedelta(days=30)
    n_serial = 0
    for sku, part in parts.items():
        if part.vendor_managed:
            continue
        if part.serialized:
            for _ in range(12):
                n_serial += 1
                service.post_movement(actor=admin, part=part, from_location=fg, to_location=hq, reason="receipt",
                                      serial=f"{sku[:3]}{2600000 + n_serial}", at=start)
        else:
            service.post_movement(actor=admin, part=part, from_location=fg, to_location=hq, reason="receipt",
                                  quantity=rng.randint(80, 200), at=start)
    # The vendor's good units sit at the factory shipping dept.
    shipping = service.system_location("factory_shipping")
    vendor_loc = service.system_location(VENDOR)
    for sku in ("MX-CD-R50", "MX-BD-25"):
        service.post_movement(actor=admin, part=parts[sku], from_location=vendor_loc, to_location=shipping,
                              reason="vendor_receipt", quantity=rng.randint(20, 40), at=start)
    for i in range(4):
        service.post_movement(actor=admin, part=parts["MX-HDD-1T"], from_location=vendor_loc, to_location=shipping,
                              reason="vendor_receipt", serial=f"MXH{880000 + i}", at=start)

    # BJ's yearly request, through approval, issue and receipt; then a swap.
    if "BJ" in offices and office_user is not None:
        bj = offices["BJ"]
        req = spares.create_request(office_user, office_id=bj.id,
                                    lines=[("USB-64G-A", 20), ("SD-64G-U3", 10), ("SSD-512G-S", 2)])
        spares.approve_request(admin, req, approved={parts["USB-64G-A"].id: 15})
        ssd = [sp.serial for sp in service.serials_at(hq.id, parts["SSD-512G-S"].id)[:2]]
        spares.issue_request(admin, req, serials={parts["SSD-512G-S"].id: ssd})
        spares.receive_request(office_user, req, codes=["USB-64G-A*15", "SD-64G-U3*10", *ssd])
        dealer_id = db.session.scalar(select(Dealer.id).where(Dealer.office_id == bj.id).order_by(Dealer.id))
        if dealer_id is not None:
            spares.swap_at_office(office_user, office_id=bj.id, sku="USB-64G-A", dealer_id=dealer_id,
                                  note="demo swap")
            spares.swap_at_office(office_user, office_id=bj.id, sku="SSD-512G-S", dealer_id=dealer_id,
                                  spare_serial=ssd[0], defective_serial="SSD9990001")
        # BJ's weekly count: one USB drive short.
        data = counts.CountInput(quantities=[(1, "USB-64G-A", 13), (2, "SD-64G-U3", 10)],
                                 serials=[(3, None, ssd[1])])
        counts.submit_count(office_user, location=service.office_location(bj.id), kind="weekly", data=data,
                            method="form")
        spares.create_request(office_user, office_id=bj.id, lines=[("TF-128G-A2", 5)], note="for the autumn promotion")
    # An HQ spot check of the HQ store (blind), a little off.
    usb = parts["USB-32G-A"]
    counts.submit_count(admin, location=hq, kind="spot",
                        data=counts.CountInput(quantities=[(1, "USB-32G-A", max(0, service.balance_of(hq.id, usb.id) - 2))]),
                        full=False, note="visit")
    # Vendor defectives wait at HQ for this month's batch; last month's batch is already back.
    for i in range(3):
        vendor.receive_vendor_defective(admin, sku="MX-CD-R50")
    vendor.receive_vendor_defective(admin, sku="MX-HDD-1T", serial="MXH770001")
    service.system_location(COUNT_LOSS)
    service.system_location(DEALER)
    echo(f"inventory: {len(parts)} parts, {n_serial} serialized units, stock at HQ, the shipping dept and BJ, "
         "2 counts, 2 spare requests")


register_demo_loader("inventory", 20, load_inventory)
