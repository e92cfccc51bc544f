"""Office scope at the ledger's door: an office user moves only its own office's stock, found by office id."""
from __future__ import annotations

import pytest

from core.errors import Forbidden, ValidationFailed


def test_office_user_cannot_post_another_offices_or_hq_stock(stock, ctx, user):
    from inventory import access, service
    from inventory.models import DEALER, HQ_STORE, TRANSIT

    usb = service.get_part(stock.usb)
    hq, transit = service.system_location(HQ_STORE), service.system_location(TRANSIT)
    bj, sh = service.get_location(stock.bj_loc), service.get_location(stock.sh_loc)
    service.post_movement(actor=user("boss"), part=usb, from_location=hq, to_location=sh, quantity=5, reason="t")
    bj_user = user("bj-user")
    for frm, to in [(sh, bj), (sh, transit), (hq, bj), (hq, transit), (transit, sh)]:
        with pytest.raises(Forbidden):
            service.post_movement(actor=bj_user, part=usb, from_location=frm, to_location=to, quantity=1, reason="t")
    assert service.balance_of(sh.id, usb.id) == 5 and service.balance_of(bj.id, usb.id) == 0
    with pytest.raises(Forbidden):
        access.ensure_location_writable(bj_user, sh)
    with pytest.raises(Forbidden):
        access.ensure_location_writable(bj_user, hq)
    access.ensure_location_writable(bj_user, bj)
    access.ensure_location_writable(user("clerk1"), sh)
    with pytest.raises(Forbidden):
        access.ensure_hq_departure(bj_user, hq)
    access.ensure_hq_departure(user("clerk1"), hq)
    access.ensure_hq_departure(bj_user, bj)
    with pytest.raises(Forbidden):
        access.ensure_location_writable(None, bj)
    # The system principal passes.
    service.post_movement(actor=access.SYSTEM, part=usb, from_location=sh, to_location=service.system_location(DEALER),
                          quantity=1, reason="t")


def test_department_approver_moves_nothing(stock, ctx, make_user, user):
    from inventory import access, service

    make_user("fin", "finance")
    with pytest.raises(Forbidden):
        access.ensure_location_writable(user("fin"), service.get_location(stock.hq))


def test_office_location_found_by_id_after_rename(stock, ctx):
    from core.directory.models import Office
    from core.extensions import db
    from inventory import service

    office = db.session.get(Office, stock.bj)
    office.code = "PEK"
    db.session.flush()
    assert service.office_location(stock.bj).id == stock.bj_loc


def test_office_location_created_by_id_even_when_code_taken(app, ctx):
    from core.directory.models import Office
    from core.extensions import db
    from inventory import service

    def make_office(code):
        office = Office(code=code, name=f"{code} office")
        db.session.add(office)
        db.session.flush()
        return office.id

    old = make_office("BJ")
    first = service.office_location(old)
    db.session.get(Office, old).code = "PEK"
    db.session.flush()
    new = make_office("BJ")  # a new office takes the old code
    second = service.office_location(new)
    assert second.id != first.id and second.office_id == new and first.office_id == old


def test_dealer_must_exist_and_be_in_the_offices_region(stock, ctx, user):
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from inventory import access

    db.session.get(Office, stock.sh).region = "华东"
    mine = Dealer(code="D-BJ", name="BJ dealer", office_id=stock.bj)
    regional = Dealer(code="D-N", name="North dealer", region="华北")
    other = Dealer(code="D-SH", name="SH dealer", office_id=stock.sh)
    db.session.add_all([mine, regional, other])
    db.session.flush()
    bj_user = user("bj-user")
    assert access.ensure_dealer_in_office(bj_user, mine.id, stock.bj) is mine
    assert access.ensure_dealer_in_office(bj_user, regional.id, stock.bj) is regional
    for bad in (other.id, 999999, None, "x", -1):
        with pytest.raises(ValidationFailed):
            access.ensure_dealer_in_office(bj_user, bad, stock.bj)
    with pytest.raises(Forbidden):
        access.ensure_dealer_in_office(bj_user, other.id, stock.sh)
