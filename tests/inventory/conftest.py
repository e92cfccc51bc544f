"""Inventory fixtures: a small catalogue, HQ stock, and users who act in services."""
from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def _recount_threshold(app):
    """Tests may change the threshold on the shared app; put the default back after each."""
    yield
    app.config["INVENTORY_RECOUNT_THRESHOLD"] = 500


@pytest.fixture()
def stock(app, make_office, make_user):
    """Offices BJ and SH, parts, 100 bulk units and 5 serialized units at HQ; returns a namespace of ids."""
    from types import SimpleNamespace

    from core.accounts.service import get_user
    from core.directory.models import Vendor
    from core.extensions import db
    from inventory import service
    from inventory.models import FINISHED_GOODS, HQ_STORE, Part

    bj, sh = make_office("BJ"), make_office("SH")
    make_user("boss", "supervisor")
    make_user("clerk1", "clerk")
    make_user("bj-user", "office", office_id=bj)
    make_user("sh-user", "office", office_id=sh)
    with app.app_context():
        maxell = Vendor(code="MAXELL", name="Maxell")
        db.session.add(maxell)
        db.session.flush()
        usb = Part(sku="USB-64", model="USB 64GB", unit_cost=Decimal("30.00"))
        ssd = Part(sku="SSD-1T", model="SSD 1TB", serialized=True, unit_cost=Decimal("400.00"))
        cdr = Part(sku="MX-CDR", model="Maxell CD-R", vendor_managed=True, vendor_id=maxell.id, unit_cost=Decimal("10"))
        hdd = Part(sku="MX-HDD", model="Maxell HDD", vendor_managed=True, serialized=True, vendor_id=maxell.id,
                   unit_cost=Decimal("300"))
        db.session.add_all([usb, ssd, cdr, hdd])
        db.session.flush()
        admin = get_user("boss")
        hq, fg = service.system_location(HQ_STORE), service.system_location(FINISHED_GOODS)
        service.post_movement(actor=admin, part=usb, from_location=fg, to_location=hq, quantity=100, reason="receipt")
        for i in range(5):
            service.post_movement(actor=admin, part=ssd, from_location=fg, to_location=hq, serial=f"S{i}",
                                  reason="receipt")
        bj_loc, sh_loc = service.office_location(bj), service.office_location(sh)
        db.session.commit()
        return SimpleNamespace(bj=bj, sh=sh, usb=usb.id, ssd=ssd.id, cdr=cdr.id, hdd=hdd.id, maxell=maxell.id,
                               hq=hq.id, bj_loc=bj_loc.id, sh_loc=sh_loc.id)


@pytest.fixture()
def user(app):
    """Load a user by name inside the current app context."""
    from core.accounts.service import get_user

    return get_user
