"""F9 at the scan station prints the label of the unit scanned last on the clerk's default printer."""
from __future__ import annotations

from playwright.sync_api import expect

from core.authz import SYSTEM
from tests.labels.printers import ZebraListener

SERIAL = "F9SN-0001"


def _setup(seed, port):
    def make():
        from core.accounts.service import create_user, get_user
        from core.directory.models import Dealer, Office
        from core.extensions import db
        from labels import printing
        from repairs import intake, receiving

        office = Office(code="F9", name="Office F9", region="华北")
        db.session.add(office)
        db.session.flush()
        dealer = Dealer(code="F9-D", name="F9 经销商", phone="13800009999", office_id=office.id)
        db.session.add(dealer)
        db.session.flush()
        parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"serial": SERIAL, "model": "SSD F9"}])
        receiving.receive_unit(SYSTEM, SERIAL, parcel)
        admin = create_user("f9-admin", "f9-admin-pass", ["admin"])
        printer = printing.create_printer(admin, {"name": "Station Zebra", "kind": "zpl", "host": "127.0.0.1",
                                                  "port": port})
        db.session.flush()
        printing.set_default_printer(admin, get_user("f9-clerk").id, printer.id)

    seed(make)


def test_f9_prints_the_current_units_label_on_the_default_printer(page, sign_in, seed):
    with ZebraListener() as zebra:
        sign_in("f9-clerk", "clerk")
        _setup(seed, zebra.port)
        page.goto("/repairs/scan")
        expect(page.locator("#station-print")).to_contain_text("Station Zebra")
        page.keyboard.press("F2")
        page.fill("#scan-input", SERIAL)
        page.keyboard.press("Enter")
        expect(page.locator("#station-print")).to_contain_text(SERIAL)
        page.keyboard.press("F9")
        expect(page.locator("#station-print")).to_contain_text("sent to Station Zebra")
        assert len(zebra.connections) == 1
        assert f"^FD>:{SERIAL}".encode() in zebra.connections[0] or SERIAL.encode() in zebra.connections[0]
        assert not page.js_errors, page.js_errors
