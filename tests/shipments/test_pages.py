"""The shipment pages as a browser uses them: list, create, detail, receive station, freight, scoping."""
from __future__ import annotations

import io
import re

from tests.shipments.conftest import count_rows

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def _make(app, user, world, n=1, leg="hq_factory", **kw):
    from core.extensions import db
    from shipments.service import create_shipment

    numbers = []
    with app.app_context():
        for i in range(n):
            s = create_shipment(user("clerk"), leg=leg, lines=[{"kind": "unit", "serial": f"PG-{leg}-{i}",
                                                                "model": "DT"}], **kw)
            numbers.append(s.number)
        db.session.commit()
    return numbers


def test_list_filters_and_paginates(app, world, user, login):
    numbers = _make(app, user, world, 52)
    office_numbers = _make(app, user, world, 1, leg="hq_office", office_id=world.bj)
    browser = login("clerk", username="clerk2")
    first = browser.get("/shipments/").get_data(as_text=True)
    assert numbers[-1] in first and "Next page" in first and not INLINE_SCRIPT.search(first)
    link = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = browser.get(link).get_data(as_text=True)
    assert numbers[0] in second and "First page" in second and "Next page" not in second
    filtered = browser.get("/shipments/?leg=hq_office").get_data(as_text=True)
    assert office_numbers[0] in filtered and numbers[0] not in filtered
    searched = browser.get(f"/shipments/?q={numbers[5].lower()}").get_data(as_text=True)
    assert numbers[5] in searched and numbers[6] not in searched
    bad = browser.get("/shipments/?status=lost")
    assert bad.status_code == 200 and "invalid" in bad.get_data(as_text=True)


def test_create_form_packs_a_shipment_and_the_detail_shows_contents_and_history(app, world, login):
    from shipments.models import Shipment

    browser = login("clerk", username="clerk2")
    assert browser.get("/shipments/new").status_code == 200
    resp = browser.submit("/shipments/new", {
        "leg": "dealer_hq", "dealer_code": "d0001", "units": "SN-A1 DT-100\nSN-A2\n", "parts": "CAP-10 3\n",
        "carrier": "顺丰", "freight_cost": "12.00", "paying_account": "cs"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    detail = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "SN-A1" in detail and "CAP-10" in detail and "History of changes" in detail
    assert "Packing list" in detail and not INLINE_SCRIPT.search(detail)
    number = resp.headers["Location"].rsplit("/", 1)[1]
    history = detail[detail.index("History of changes"):]
    assert "clerk2" in history and "SN-A1" in history  # who packed it, and the lines they declared
    assert f"/labels/shipment/{number}" in detail and f"/labels/shipment/{number}/packing-slip" in detail
    packing = browser.get(f"/shipments/{number}/packing-list").get_data(as_text=True)
    assert "SN-A2" in packing and "北京数码" in packing
    assert count_rows(app, Shipment) == 1


def test_create_form_errors_are_shown_and_nothing_is_saved(app, world, login):
    from shipments.models import Shipment

    browser = login("clerk", username="clerk2")
    cases = [
        ({"leg": "dealer_hq", "dealer_code": "NOPE", "units": "SN-1"}, "No dealer with code NOPE"),
        ({"leg": "hq_factory", "units": "", "parts": ""}, "at least one unit or part"),
        ({"leg": "hq_factory", "parts": "CAP-10 many"}, "Parts, line 1 (Quantity): Must be a whole number."),
        ({"leg": "hq_factory", "units": "SN-1", "freight_cost": "-4"}, "from 0 up"),
        ({"leg": "", "units": "SN-1"}, "Must be one of"),
    ]
    for data, message in cases:
        resp = browser.submit("/shipments/new", data)
        assert resp.status_code == 422, data
        assert message in resp.get_data(as_text=True), data
    assert count_rows(app, Shipment) == 0


def test_mark_shipped_on_the_detail_page(app, world, user, login):
    [number] = _make(app, user, world)
    browser = login("clerk", username="clerk2")
    bad = browser.submit(f"/shipments/{number}/ship", {"waybill": "", "carrier": ""}, form_page=f"/shipments/{number}")
    assert bad.status_code == 422 and "Required." in bad.get_data(as_text=True)
    ok = browser.submit(f"/shipments/{number}/ship", {"waybill": "sf 55", "carrier": "顺丰", "freight_cost": "7"},
                        form_page=f"/shipments/{number}")
    assert ok.status_code == 302
    assert "SF55" in browser.get(f"/shipments/{number}").get_data(as_text=True)


def test_receive_station_by_waybill_scan_then_contents(app, world, user, login):
    from core.extensions import db
    from shipments.lookup import shipment_by_number
    from shipments.service import mark_shipped

    [number] = _make(app, user, world, leg="dealer_hq", dealer_id=world.dealer_bj)
    with app.app_context():
        s = shipment_by_number(number)
        mark_shipped(user("clerk"), s, waybill="SF-RCV-1", carrier="顺丰")
        db.session.commit()
    browser = login("clerk", username="clerk2")
    start = browser.get("/shipments/receive").get_data(as_text=True)
    assert "autofocus" in start and not INLINE_SCRIPT.search(start)
    unknown = browser.submit("/shipments/receive", {"code": "NOPE-123"})
    assert unknown.status_code == 404 and "NOPE-123" in unknown.get_data(as_text=True)
    go = browser.submit("/shipments/receive", {"code": "sf-rcv-1"})
    assert go.status_code == 302 and go.headers["Location"].endswith(f"/shipments/receive/{number}")
    station = f"/shipments/receive/{number}"
    page = browser.submit(station, {"code": "STRAY-9", "scans": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "STRAY-9 is not on this shipment" in text and "feedback-bad" in text
    page = browser.submit(station, {"code": "PG-dealer_hq-0", "scans": "STRAY-9"})
    assert "feedback-ok" in page.get_data(as_text=True)
    page = browser.submit(station, {"code": "UNDO", "scans": "STRAY-9\nPG-DEALER_HQ-0"})
    assert "Removed PG-DEALER_HQ-0" in page.get_data(as_text=True)
    too_long = browser.submit(station, {"code": "FINISH", "scans": "STRAY-9\nPG-DEALER_HQ-0", "note": "x" * 2001})
    said = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and "Note on the receipt" in said and "x" * 2001 in said
    with app.app_context():
        assert shipment_by_number(number).status != "received"
    done = browser.submit(station, {"code": "FINISH", "scans": "STRAY-9\nPG-DEALER_HQ-0", "note": "外箱破损"})
    assert done.status_code == 302
    detail = browser.get(f"/shipments/{number}").get_data(as_text=True)
    assert "Receipt check" in detail and "STRAY-9" in detail and "Extra" in detail
    assert "Note on the receipt: 外箱破损" in detail
    again = browser.get(station)
    assert again.status_code == 302  # already received: back to the detail


def test_receive_station_refuses_to_finish_with_nothing_scanned(app, world, user, login):
    [number] = _make(app, user, world)
    browser = login("clerk", username="clerk2")
    resp = browser.submit(f"/shipments/receive/{number}", {"action": "finish", "scans": ""})
    assert resp.status_code == 422 and "Scan the contents" in resp.get_data(as_text=True)
    with app.app_context():
        from shipments.lookup import shipment_by_number

        assert shipment_by_number(number).status == "packed"


def test_office_users_get_403_on_other_offices_pages(app, world, user, login):
    [bj_number] = _make(app, user, world, leg="hq_office", office_id=world.bj)
    [sh_number] = _make(app, user, world, leg="office_hq", office_id=world.sh)
    bj = login("office", username="bjoffice2", office_id=world.bj)
    listing = bj.get("/shipments/").get_data(as_text=True)
    assert bj_number in listing and sh_number not in listing
    assert bj.get(f"/shipments/{bj_number}").status_code == 200
    assert bj.get(f"/shipments/{sh_number}").status_code == 403
    assert bj.get(f"/shipments/{sh_number}/packing-list").status_code == 403
    assert bj.get(f"/shipments/receive/{sh_number}").status_code == 403
    assert bj.submit("/shipments/receive", {"code": sh_number}).status_code == 403
    assert bj.get("/shipments/freight").status_code == 403
    assert bj.get("/shipments/late-reports").status_code == 403


def test_freight_pages_upload_result_export_and_bad_rows(app, world, user, login):
    from shipments.models import FreightBill

    sup = login("supervisor", username="boss")
    assert sup.get("/shipments/freight").status_code == 200
    bad = sup.submit("/shipments/freight", {"period": "2026-10",
                                            "file": (io.BytesIO(b"waybill,amount\nA,1\n,2\nC,zz\n"), "b.csv")},
                     content_type="multipart/form-data")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "nothing was imported" in text
    assert "no waybill number" in text and "amount zz is not a number" in text
    assert count_rows(app, FreightBill) == 0
    none = sup.submit("/shipments/freight", {"period": "2026-10"}, content_type="multipart/form-data")
    assert none.status_code == 422 and "Choose the bill file" in none.get_data(as_text=True)
    ok = sup.submit("/shipments/freight", {"period": "2026-10",
                                           "file": (io.BytesIO("运单号,金额\nSF-NONE,8.80\n".encode()), "b.csv")},
                    content_type="multipart/form-data")
    assert ok.status_code == 302
    result = sup.get(ok.headers["Location"]).get_data(as_text=True)
    assert "SF-NONE" in result and "no shipment" in result and "Totals per paying account" in result
    only = sup.get(ok.headers["Location"] + "?kind=matched").get_data(as_text=True)
    assert "SF-NONE" not in only
    export = sup.get(ok.headers["Location"] + "/export.csv")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    clerk = login("clerk", username="clerk2")
    assert clerk.get("/shipments/freight").status_code == 403
    assert clerk.get(ok.headers["Location"]).status_code == 403
