"""The daily work in a real browser: the clerk's scan station, the service desk's
lookup, an office's stock count."""
from __future__ import annotations

import re

from playwright.sync_api import expect

SERIALS = ["E2ESN0001", "E2ESN0002", "E2ESN0003"]


def _office_dealer_parcel(username):
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from repairs import intake

    office = Office(code="E2E", name="E2E office", region="华北")
    db.session.add(office)
    db.session.flush()
    db.session.add(Dealer(code="E2EDLR", name="Huadong Digital Co", phone="13912345678", office_id=office.id))
    db.session.flush()
    from core.authz import SYSTEM

    # The desk registered the declared list; the clerk only scans.
    parcel = intake.create_parcel(SYSTEM, dealer_code="E2EDLR", inbound_waybill="SF1234567890",
                               lines=[{"serial": s, "model": "SSD-1T"} for s in SERIALS])
    return parcel.rma_number, office.id


def _receive_events(seed, serial):
    from sqlalchemy import func, select

    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit

    def count():
        unit = db.session.scalar(select(RepairUnit).where(RepairUnit.serial == serial))
        n = db.session.scalar(select(func.count()).select_from(RepairEvent)
                              .where(RepairEvent.unit_id == unit.id, RepairEvent.action == "receive"))
        return unit.state, n

    return seed(count)


def test_scan_station_session_typed_like_a_scanner(page, sign_in, seed):
    sign_in("cara", "clerk")
    seed(lambda: _office_dealer_parcel("cara"))
    page.goto("/repairs/scan")
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.press("F1")
    expect(page.locator('.mode[data-mode="receive"]')).to_have_class(re.compile("active"))

    # A handheld scanner "types" each code followed by Enter, a few ms per key, without pauses.
    for code in [SERIALS[0], SERIALS[1], "NOPE-4711", SERIALS[0]]:
        page.keyboard.type(code + "\n", delay=4)
    log = page.locator("#scan-log li:not(.idle)")  # answers to scans (mode switches are logged as idle)
    expect(log).to_have_count(4)
    expect(page.locator("#scan-log li.good")).to_have_count(2)
    expect(page.locator("#scan-log li.bad")).to_have_count(1)
    expect(page.locator("#scan-log li.bad")).to_contain_text("NOPE-4711")
    expect(page.locator("#scan-log li.repeat")).to_have_count(1)  # the double scan changes nothing
    expect(page.locator("#scan-log li.repeat")).to_contain_text(SERIALS[0])
    expect(page.locator("#scan-input")).to_be_focused()  # the clerk never needs the mouse
    expect(page.locator("#scan-input")).to_have_value("")

    assert _receive_events(seed, SERIALS[0]) == ("received", 1)
    assert _receive_events(seed, SERIALS[1]) == ("received", 1)
    assert _receive_events(seed, SERIALS[2]) == ("declared", 0)

    # Mode barcodes switch the mode; the next scan inspects.
    page.keyboard.type("MODE-INSPECT\n", delay=4)
    expect(page.locator('.mode[data-mode="inspect"]')).to_have_class(re.compile("active"))
    page.keyboard.type(SERIALS[1] + "\n", delay=4)
    expect(log).to_have_count(5)
    expect(page.locator("#feedback")).to_have_class(re.compile("good"))
    assert not page.js_errors, page.js_errors


def test_service_staff_find_a_unit_and_its_history(page, sign_in, seed):
    sign_in("sam", "service")
    rma, _office = seed(lambda: _office_dealer_parcel("sam"))

    def receive_one():
        from core.accounts.service import get_user
        from repairs import receiving

        receiving.receive_unit(get_user("sam"), SERIALS[0])

    seed(receive_one)
    page.goto("/repairs/lookup")
    page.fill("input[name=q]", SERIALS[0])
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    main = page.locator("main")
    expect(main).to_contain_text(SERIALS[0])
    expect(main).to_contain_text(rma)
    expect(main.locator("section.card")).to_have_count(1)
    timeline = main.locator("section.card").first
    expect(timeline).to_contain_text(re.compile("receiv", re.IGNORECASE))

    # The whole parcel by its RMA number, and nothing for a serial that does not exist.
    page.fill("input[name=q]", rma)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("main section.card")).to_have_count(len(SERIALS))
    page.fill("input[name=q]", "NO-SUCH-SERIAL-1")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("Nothing found")
    assert not page.js_errors, page.js_errors


def test_office_submits_its_weekly_count(page, sign_in, seed):
    def stock():
        from core.accounts.service import create_user
        from core.directory.models import Office
        from core.extensions import db
        from inventory import service as inv

        mine = Office(code="OWN", name="Own office", region="华南")
        other = Office(code="OTH", name="Other office", region="华东")
        db.session.add_all([mine, other])
        db.session.flush()
        boss = create_user("e2e-boss", "e2e-boss-pass", ["supervisor"])
        part = inv.create_part(boss, sku="SSD-E2E-256", model="SSD 256G")
        src = inv.system_location("finished_goods")
        for office, qty in ((mine, 5), (other, 9)):
            inv.post_movement(actor=boss, part=part, from_location=src, to_location=inv.office_location(office.id),
                              quantity=qty, reason="receipt")
        return mine.id, part.id

    office_id, part_id = seed(stock)
    sign_in("olga", "office", office_id=office_id)
    page.goto("/inventory/counts/new")
    options = page.locator("select[name=location] option")
    expect(options).to_have_count(1)  # only the office's own stock
    expect(options.first).to_contain_text("OFF-OWN")
    page.select_option("select[name=kind]", "weekly")
    page.fill(f"input[name=qty-{part_id}]", "4")
    page.fill("input[name=note]", "weekly count, one unit short")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    expect(page).to_have_url(re.compile(r"/inventory/counts/\d+$"))

    def saved():
        from sqlalchemy import select

        from core.extensions import db
        from inventory.models import CountLine, StockCount

        count = db.session.scalar(select(StockCount))
        lines = list(db.session.scalars(select(CountLine).where(CountLine.count_id == count.id)))
        return count.kind, [(line.part_id, line.counted_qty) for line in lines]

    kind, lines = seed(saved)
    assert kind == "weekly" and lines == [(part_id, 4)]
    assert not page.js_errors, page.js_errors
