"""A box of twenty in a real browser: the clerk scans twenty repaired units into one box at
"Ship to dealer", closes it with the courier's waybill, and the desk and the dealer find it."""
from __future__ import annotations

from playwright.sync_api import expect

SERIALS = [f"BOX20SN{n:03d}" for n in range(1, 21)]
WAYBILL = "SF7788990011223"


def _twenty_back_from_the_factory(username):
    """A dealer's parcel of twenty units, received, accepted, sent to the factory and back repaired."""
    from core.accounts.service import get_user
    from core.directory.models import Dealer, Factory, Office, RepairRoute
    from core.extensions import db
    from repairs import factory as factory_legs
    from repairs import inspection, intake, receiving

    office = Office(code="BOX", name="Box office", region="华东")
    factory = Factory(code="FAC", name="东莞工厂维修部", email="repair@factory.example")
    db.session.add_all([office, factory])
    db.session.flush()
    db.session.add(RepairRoute(code="FAC", name="工厂维修", factory_id=factory.id, promise_days=7, dispatch_days=2))
    db.session.add(Dealer(code="BOXDLR", name="Huadong Digital Co", phone="13912345678", office_id=office.id))
    db.session.flush()
    clerk = get_user(username)
    parcel = intake.create_parcel(clerk, dealer_code="BOXDLR", lines=[{"serial": s, "model": "SSD-1T"} for s in SERIALS])
    units = [receiving.receive_unit(clerk, s, parcel) for s in SERIALS]
    for unit in units:
        inspection.inspect_unit(clerk, unit)
    factory_legs.dispatch_to_factory(clerk, units, carrier="顺丰速运", waybill="SF1000000000001")
    for unit in units:
        factory_legs.receive_from_factory(clerk, unit, "repaired")
    return parcel.rma_number


def _return_shipments(seed):
    from sqlalchemy import select

    from core.extensions import db
    from repairs.models import RepairUnit
    from shipments.models import Shipment

    def read():
        units = list(db.session.scalars(select(RepairUnit).where(RepairUnit.serial.in_(SERIALS))))
        shipments = {u.return_shipment_id for u in units}
        rows = list(db.session.scalars(select(Shipment).where(Shipment.id.in_([s for s in shipments if s]))))
        return ({u.state for u in units}, len(shipments),
                [(s.waybill, s.status, len(s.lines)) for s in rows])

    return seed(read)


def test_a_box_of_twenty_is_one_shipment_found_by_lookup_and_on_the_dealers_page(page, sign_in, seed):
    sign_in("box-clerk", "service")
    rma = seed(lambda: _twenty_back_from_the_factory("box-clerk"))
    page.goto("/repairs/scan")
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.press("F5")  # Ship to dealer
    expect(page.locator('.mode[data-mode="ship"]')).to_have_class("mode active")
    for serial in SERIALS:
        page.keyboard.type(serial + "\n", delay=3)
    answered = page.locator("#scan-log li:not(.idle):not(.waiting)")
    expect(answered).to_have_count(len(SERIALS), timeout=30_000)
    expect(page.locator("#scan-log li.bad")).to_have_count(0)
    # Packed, not shipped: the box is open until its waybill is entered.
    states, boxes, shipments = _return_shipments(seed)
    assert states == {"ready_to_ship"} and boxes == 1 and shipments[0][0] is None
    expect(page.locator("#feedback")).to_contain_text("20")

    page.reload()
    box = page.locator("#open-boxes form.open-box")
    expect(box).to_have_count(1)
    expect(box).to_contain_text("Huadong Digital Co")
    box.locator("input[name=waybill]").fill(WAYBILL)
    box.locator("input[name=carrier]").fill("顺丰速运")
    box.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#open-boxes form.open-box")).to_have_count(0)

    states, boxes, shipments = _return_shipments(seed)
    assert states == {"shipped"} and boxes == 1
    assert shipments == [(WAYBILL, "shipped", len(SERIALS))]

    # The desk finds the units by the outbound waybill.
    page.goto("/repairs/lookup")
    page.fill("input[name=q]", WAYBILL)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    main = page.locator("main")
    expect(main).to_contain_text("20 units found")
    for serial in SERIALS:
        expect(main).to_contain_text(serial)

    # The dealer's status page names the courier and the waybill for each unit.
    page.goto("/status")
    page.fill("input[name=rma_number]", rma)
    page.fill("input[name=phone_last4]", "5678")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state()
    result = page.locator("#status-result")
    expect(result.locator("tbody tr")).to_have_count(len(SERIALS))
    expect(result.locator(".waybill")).to_have_count(len(SERIALS))
    expect(result.locator(".waybill").first).to_contain_text(WAYBILL)
    expect(result).not_to_contain_text("Expected back by")
    assert not page.js_errors, page.js_errors
