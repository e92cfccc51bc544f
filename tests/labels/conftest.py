"""Fixtures for the label routes: a dealer's parcel, a shipment, shelves in two offices and parts."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.authz import SYSTEM

# Serials as dealers declare them: mixed case, digits, dashes.
SERIALS = ["aB3-xY9-0042-Qz", "SN-20261123-0007", "kx-9Q-zz-0001-Bb"]
# ... and as Depot stores, prints and encodes them (core.codes.normalise_serial).
STORED = [s.upper() for s in SERIALS]


@pytest.fixture()
def world(app, make_user, make_office):
    """Offices BJ and SH, a BJ dealer's RMA parcel (3 units, 2 received), a shipment, bins and parts."""
    from core.accounts.service import get_user
    from core.directory.models import Dealer
    from core.extensions import db
    from inventory import service as inv
    from inventory.models import Location
    from repairs import intake, receiving
    from shipments import service as shipments

    bj = make_office("BJ", "北京办事处")
    sh = make_office("SH", "上海办事处")
    make_user("sup", "supervisor")
    with app.app_context():
        sup = get_user("sup")
        dealer = Dealer(code="D0001", name="北京数码科技有限公司", office_id=bj, phone="13800001234",
                        address="北京市海淀区中关村大街1号")
        db.session.add(dealer)
        db.session.flush()
        parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, inbound_waybill="SF100200300", lines=[
            {"serial": SERIALS[0], "model": "SSD A400 240G", "fault": "无法识别"},
            {"serial": SERIALS[1], "model": "U盘 DT 32G", "fault": "写保护"},
            {"serial": SERIALS[2], "model": "TF卡 64G", "fault": "容量错误"},
        ])
        receiving.receive_unit(SYSTEM, SERIALS[0], parcel)
        receiving.receive_unit(SYSTEM, SERIALS[1], parcel)
        part = inv.create_part(sup, sku="SSD-A400-240", model="SSD A400 240G 固态硬盘", family="SSD")
        bj_store = inv.office_location(bj)
        sh_store = inv.office_location(sh)
        bj_bin = inv.create_bin(sup, parent=bj_store, code="BJ-A-01", name="北京 A 架 1 层")
        sh_bin = inv.create_bin(sup, parent=sh_store, code="SH-B-02", name="上海 B 架 2 层")
        hq_bin = inv.create_bin(sup, parent=inv.system_location("hq_store"), code="HQ-C-03", name="总部 C 架")
        # A code typed in Chinese (allowed by the location form, refused by Code 128).
        bad_bin = Location(code="货架-9", name="中文货架", kind="bin", office_id=bj, parent_id=bj_store.id)
        db.session.add(bad_bin)
        shipment = shipments.create_shipment(
            sup, leg="factory_dealer", dealer_id=dealer.id, carrier="顺丰速运", waybill="SF1234567890",
            pieces=2, weight_kg="3.5",
            lines=[{"kind": "unit", "serial": SERIALS[0], "model": "SSD A400 240G"},
                   {"kind": "part", "part_id": part.id, "quantity": 4}],
        )
        office_shipment = shipments.create_shipment(
            sup, leg="hq_office", office_id=sh, lines=[{"kind": "part", "part_id": part.id, "quantity": 2}],
        )
        db.session.commit()
        return SimpleNamespace(
            bj=bj, sh=sh, dealer=dealer.id, rma=parcel.rma_number, serials=STORED, sku=part.sku,
            bj_bin=bj_bin.code, sh_bin=sh_bin.code, hq_bin=hq_bin.code, bad_bin=bad_bin.code,
            bj_store=bj_store.code, shipment=shipment.number, waybill=shipment.waybill,
            sh_shipment=office_shipment.number,
        )
