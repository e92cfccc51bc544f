"""Fixtures for the shipments tests: a small directory, parts and users."""
from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture()
def world(app, make_user, make_office):
    """Offices BJ and SH, two dealers (one per office), a vendor, parts and staff; returns ids."""
    from core.accounts.service import get_user
    from core.directory.models import Dealer, Vendor
    from core.extensions import db
    from inventory import service as inv

    bj = make_office("BJ")
    sh = make_office("SH")
    make_user("clerk", "clerk")
    make_user("sup", "supervisor")
    make_user("svc", "service")
    make_user("bj-office", "office", office_id=bj)
    make_user("sh-office", "office", office_id=sh)
    with app.app_context():
        d1 = Dealer(code="D0001", name="北京数码", office_id=bj, address="北京市1号")
        d2 = Dealer(code="D0002", name="上海电子", office_id=sh)
        vendor = Vendor(code="MAXELL", name="Maxell")
        db.session.add_all([d1, d2, vendor])
        db.session.flush()
        sup = get_user("sup")
        parts = {}
        for sku, model, family in (("CAP-10", "X1", "caps"), ("CAP-11", "X1", "caps"),
                                   ("CBL-20", "C2", "cables"), ("FAN-30", "F3", "fans")):
            parts[sku] = inv.create_part(sup, sku=sku, model=model, family=family).id
        serial_part = inv.create_part(sup, sku="MX-UNIT", model="MX", serialized=True).id
        db.session.commit()
        return SimpleNamespace(bj=bj, sh=sh, dealer_bj=d1.id, dealer_sh=d2.id, vendor=vendor.id, parts=parts,
                               serial_part=serial_part)


@pytest.fixture()
def user(app):
    """Load a user by name inside the current app context."""
    from core.accounts.service import get_user

    return get_user


def stock(app, sku: str, code: str, quantity: int) -> None:
    """Put ``quantity`` of ``sku`` at location ``code`` (from the count-loss sink), committed."""
    from core.accounts.service import get_user
    from core.extensions import db
    from inventory import service as inv

    with app.app_context():
        inv.post_movement(actor=get_user("sup"), part=inv.part_by_sku(sku), from_location=inv.system_location("count_loss"),
                          to_location=inv.location_by_code(code) if code != "HQ" else inv.system_location("hq_store"),
                          quantity=quantity, reason="test_stock")
        db.session.commit()


def balance(app, sku: str, kind: str) -> int:
    """The balance of ``sku`` at the singleton location of ``kind``."""
    from inventory import service as inv

    with app.app_context():
        return inv.balance_of(inv.system_location(kind).id, inv.part_by_sku(sku).id)


def count_rows(app, model) -> int:
    from sqlalchemy import func, select

    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
