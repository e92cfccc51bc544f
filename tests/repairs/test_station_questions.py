"""The scan station questions what it should: codes that are no serials, a serial open elsewhere,
late repeats, receipts completed unasked, and answers that say how bad it is and what they are about."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.authz import SYSTEM

SCAN = "/api/v1/repairs/scan"
EAN13 = "6901234567892"
WAYBILL = "SF1234567890123"


def _parcel(api, world, serials=("S1", "S2"), dealer=None):
    resp = api.post("/api/v1/repairs/parcels", json={"dealer_id": dealer or world.dealer_bj,
                                                     "lines": [{"model": "SSD", "serial": s} for s in serials]})
    assert resp.status_code == 201, resp.json
    return resp.json


def _count(app, model, *where):
    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _units(app):
    from repairs.models import RepairUnit

    return _count(app, RepairUnit)


def _tasks(app):
    from core.tasks.models import Task

    return _count(app, Task, Task.process == "repairs")


# --------------------------------------------------------------------------- codes that are no serials

def test_a_product_barcode_and_a_waybill_are_refused_while_a_parcel_is_open(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    rma = _parcel(desk, world)["rma_number"]
    clerk.post(SCAN, json={"mode": "receive", "code": rma})
    units, tasks = _units(app), _tasks(app)
    r = clerk.post(SCAN, json={"mode": "receive", "code": EAN13, "parcel": rma})
    assert r.status_code == 422 and r.json["code"] == "not_a_serial" and r.json["level"] == "error"
    assert r.json["message"] == f"{EAN13} looks like a product barcode (EAN-13), not a serial."
    assert r.json["scanned_code"] == EAN13
    r = clerk.post(SCAN, json={"mode": "receive", "code": WAYBILL, "parcel": rma})
    assert r.status_code == 422 and r.json["shape"] == "waybill"
    assert WAYBILL in r.json["message"] and "SF Express" in r.json["message"] and "not a serial" in r.json["message"]
    # UPC-A, our own shipment numbers, and the same codes in other modes or without a parcel.
    for mode, code, words in (("receive", "036000291452", "UPC-A"), ("receive", "SH2611-00154", "shipment number"),
                              ("inspect", EAN13, "EAN-13"), ("from_factory", "YT1234567890123", "YTO")):
        r = clerk.post(SCAN, json={"mode": mode, "code": code})
        assert r.status_code == 422 and words in r.json["message"] and code in r.json["message"], r.json
    assert (_units(app), _tasks(app)) == (units, tasks)
    # A product barcode pasted in a dealer's serial column is refused with its line.
    r = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj,
                                                   "lines": [{"model": "SSD", "serial": EAN13}]})
    assert r.status_code == 422 and "EAN-13" in " ".join(r.json["errors"]["lines.0"])
    # A string of digits failing the check digit is not a product barcode: it may be an extra unit.
    r = clerk.post(SCAN, json={"mode": "receive", "code": "6901234567890", "parcel": rma})
    assert r.status_code == 200 and r.json["level"] == "warning"


def test_serial_patterns_are_kept_by_the_department_per_model_or_brand(app, world, api_as, login):
    desk, clerk = api_as("service"), api_as("clerk")
    boss = login("supervisor", username="boss-patterns")
    for applies_to, mask in (("*", "SN######"), ("*", "@@#####"), ("TF", "#############")):
        resp = boss.submit("/repairs/serial-patterns", {"applies_to": applies_to, "mask": mask})
        assert resp.status_code == 302, resp.get_data(as_text=True)
    resp = boss.submit("/repairs/serial-patterns", {"applies_to": "TF", "mask": "SN 12"}, follow_redirects=True)
    assert resp.history[0].status_code == 303 and "# for a digit" in resp.get_data(as_text=True)
    page = boss.get("/repairs/serial-patterns").get_data(as_text=True)
    assert "SN######" in page and "#############" in page and "every other model" in page
    assert login("clerk", username="clerk-patterns").submit(
        "/repairs/serial-patterns", {"applies_to": "X", "mask": "X#"}).status_code == 403
    # A department whose memory cards have 13-digit serials says so: such a serial is declared.
    r = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "TF卡 64G", "serial": "6901234567892"}, {"model": "SSD", "serial": "SN123456"}]})
    assert r.status_code == 201, r.json
    rma = r.json["rma_number"]
    r = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "TF卡 64G", "serial": "TF12"}, {"model": "SSD", "serial": "XX-1"}]})
    assert r.status_code == 422
    assert r.json["errors"]["lines.0"] == ["TF12 is not a serial of TF卡 64G: expected #############."]
    assert r.json["errors"]["lines.1"] == ["XX-1 is not a serial of SSD: expected SN######, @@#####."]
    # An extra unit (model not known yet) is held to the "*" patterns.
    r = clerk.post(SCAN, json={"mode": "receive", "code": "XYZ-1", "parcel": rma})
    assert r.status_code == 422 and r.json["code"] == "serial_pattern_mismatch"
    assert r.json["message"] == "XYZ-1 does not look like one of our serials: expected SN######, @@#####."
    r = clerk.post(SCAN, json={"mode": "receive", "code": "AB12345", "parcel": rma})
    assert r.status_code == 200 and r.json["level"] == "warning"
    # Removed, a pattern no longer refuses anything.
    from core.extensions import db
    from repairs.models import SerialPattern

    with app.app_context():
        ids = list(db.session.scalars(select(SerialPattern.id).where(SerialPattern.applies_to == "*")))
    for ident in ids:
        assert boss.submit(f"/repairs/serial-patterns/{ident}/remove", {},
                           form_page="/repairs/serial-patterns").status_code == 302
    r = clerk.post(SCAN, json={"mode": "receive", "code": "XYZ-1", "parcel": rma})
    assert r.status_code == 200


def test_a_dealer_code_starts_a_parcel_whose_scans_are_its_contents(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    open_rma = _parcel(desk, world)["rma_number"]
    clerk.post(SCAN, json={"mode": "receive", "code": open_rma})
    tasks = _tasks(app)
    # The dealer code is not an extra unit of the parcel in hand: it starts the dealer's own parcel.
    r = clerk.post(SCAN, json={"mode": "receive", "code": "D0002", "parcel": open_rma})
    assert r.status_code == 200 and r.json["context"] != open_rma and r.json["level"] == "success"
    rma = r.json["context"]
    for serial in ("NEW-1", "NEW-2"):
        r = clerk.post(SCAN, json={"mode": "receive", "code": serial, "parcel": rma})
        assert r.status_code == 200 and r.json["level"] == "success", r.json
        assert "extra" not in r.json["message"]
    assert r.json["parcel"]["scanned"] == 2 and r.json["parcel"]["expected"] == 2
    assert _tasks(app) == tasks
    units = desk.get(f"/api/v1/repairs/parcels/{rma}").json["units"]
    assert [(u["serial"], u["declared"], u["state"]) for u in units] == [("NEW-1", True, "received"),
                                                                         ("NEW-2", True, "received")]
    # Its receipt completes at once: nothing was expected.
    r = clerk.post(SCAN, json={"mode": "receive", "code": rma, "parcel": rma})
    assert r.json["status"] == "done" and r.json["level"] == "success" and r.json["missing_serials"] == []


# --------------------------------------------------------------------------- a serial open elsewhere

def _held(clerk, rma, serial):
    clerk.post(SCAN, json={"mode": "receive", "code": serial, "parcel": rma})
    r = clerk.post(SCAN, json={"mode": "inspect", "code": serial, "findings": ["human_damage"]})
    assert r.json["unit"]["state"] == "awaiting_dealer", r.json


def test_a_serial_open_on_another_parcel_is_flagged_red_with_a_link(app, world, api_as):
    from repairs.models import RepairEvent

    desk, clerk = api_as("service"), api_as("clerk")
    first = _parcel(desk, world, serials=("DMG1",))["rma_number"]
    _held(clerk, first, "DMG1")
    # Declaring it again is allowed, with a warning naming the parcel where it is open.
    second = _parcel(desk, world, serials=("DMG1", "OK1"))
    assert [w["serial"] for w in second["warnings"]] == ["DMG1"]
    warning = second["warnings"][0]
    assert warning["open_elsewhere"]["rma_number"] == first
    assert warning["open_elsewhere"]["url"] == f"/repairs/parcels/{first}"
    assert first in warning["message"] and "awaiting dealer" in warning["message"]
    rma = second["rma_number"]
    # Scanned into the second parcel: red, with the link, nothing changed.
    clerk.post(SCAN, json={"mode": "receive", "code": rma})
    events = _count(app, RepairEvent)
    r = clerk.post(SCAN, json={"mode": "receive", "code": "DMG1", "parcel": rma})
    assert r.status_code == 409 and r.json["code"] == "open_elsewhere" and r.json["level"] == "error"
    assert r.json["open_elsewhere"] == warning["open_elsewhere"]
    assert r.json["open_elsewhere"]["state_label"] == "awaiting dealer" and "DMG1" in r.json["message"]
    r = clerk.post(SCAN, json={"mode": "receive", "code": "DMG1"})
    assert r.status_code == 409 and r.json["code"] == "open_elsewhere"
    # In the other modes the two records are never picked from silently either.
    r = clerk.post(SCAN, json={"mode": "from_factory", "code": "DMG1"})
    assert r.status_code == 409 and r.json["code"] == "open_elsewhere" and first in r.json["message"]
    assert _count(app, RepairEvent) == events
    # With the parcel in hand named, the clerk's scan means that parcel's unit.
    r = clerk.post(SCAN, json={"mode": "inspect", "code": "DMG1", "parcel": first})
    assert r.status_code == 200 and r.json["status"] == "already_done"


def test_a_serial_only_declared_elsewhere_is_received_where_the_clerk_says_with_a_warning(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    first = _parcel(desk, world, serials=("TWICE1",))["rma_number"]
    rma = _parcel(desk, world, serials=("TWICE1",))["rma_number"]
    # Without a parcel named, there are two lists to choose from: the clerk is asked to scan the label.
    r = clerk.post(SCAN, json={"mode": "receive", "code": "TWICE1"})
    assert r.status_code == 409 and r.json["code"] == "open_elsewhere"
    r = clerk.post(SCAN, json={"mode": "receive", "code": "TWICE1", "parcel": rma})
    assert r.status_code == 200 and r.json["level"] == "warning" and r.json["unit"]["rma_number"] == rma
    assert r.json["open_elsewhere"]["rma_number"] == first and first in r.json["message"]


def test_a_serial_on_an_open_doa_case_is_flagged_on_declaring_and_scanning(app, world, api_as):
    from datetime import date

    from core.accounts.service import get_user
    from core.extensions import db
    from doa import applications

    desk, clerk = api_as("service"), api_as("clerk")
    with app.app_context():
        case = applications.create_application(get_user("api-service"), dealer_id=world.dealer_bj, request="replacement",
                                      purchase_date=date(2026, 9, 1), fault="开箱无法识别",
                                      units=[{"serial": "DOA1", "model": "SSD"}])
        db.session.commit()
        number = case.number
    parcel = _parcel(desk, world, serials=("DOA1",))
    assert parcel["warnings"][0]["open_elsewhere"]["kind"] == "doa"
    assert parcel["warnings"][0]["open_elsewhere"]["rma_number"] == number
    assert parcel["warnings"][0]["open_elsewhere"]["url"] == f"/doa/{number}"
    r = clerk.post(SCAN, json={"mode": "receive", "code": "DOA1", "parcel": parcel["rma_number"]})
    assert r.status_code == 409 and r.json["open_elsewhere"]["rma_number"] == number
    assert f"DOA case {number}" in r.json["message"]


def test_declaring_on_the_page_warns_and_the_parcel_shows_the_link(app, world, api_as, login):
    desk, clerk = api_as("service"), api_as("clerk")
    first = _parcel(desk, world, serials=("DMG2",))["rma_number"]
    _held(clerk, first, "DMG2")
    page = login("service", username="desk-page")
    resp = page.submit("/repairs/parcels", {"dealer_id": str(world.dealer_bj), "rows": "SSD,DMG2\nSSD,OK2"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-warning" in html
    assert "DMG2" in html and f'href="/repairs/parcels/{first}"' in html


# --------------------------------------------------------------------------- repeats

def test_a_late_repeat_is_already_done_for_anyone(app, world, api_as):
    from core.extensions import db
    from repairs.models import RepairEvent

    desk, clerk = api_as("service"), api_as("clerk")
    _parcel(desk, world)
    assert clerk.post(SCAN, json={"mode": "receive", "code": "S1"}).json["status"] == "done"
    assert clerk.post(SCAN, json={"mode": "inspect", "code": "S1"}).json["status"] == "done"
    with app.app_context():  # the same re-check an hour later
        for event in db.session.scalars(select(RepairEvent)):
            event.at = event.at - timedelta(hours=1)
        db.session.commit()
    events = _count(app, RepairEvent)
    r = clerk.post(SCAN, json={"mode": "inspect", "code": "S1"})
    assert r.status_code == 200 and r.json["status"] == "already_done" and r.json["level"] == "done"
    assert r.json["message"].startswith("S1: already accepted (api-clerk, ")
    other = api_as("clerk", username="clerk-b")
    r = other.post(SCAN, json={"mode": "inspect", "code": "S1"})
    assert r.json["level"] == "done" and "cannot" not in r.json["message"]
    # Scanned in an earlier mode, it is still an error, in words: no "cannot be receive".
    r = clerk.post(SCAN, json={"mode": "receive", "code": "S1"})
    assert r.status_code == 409 and r.json["level"] == "error"
    assert r.json["message"].startswith("S1 is accepted: the step “receive” cannot be done now.")
    assert "Scan it in: To factory." in r.json["message"] and r.json["mode_labels"] == ["To factory"]
    assert _count(app, RepairEvent) == events


# --------------------------------------------------------------------------- receipt complete

def test_an_unconfirmed_receipt_is_refused_on_the_api_and_the_confirmed_one_works(app, world, api_as):
    from core.tasks.models import Task

    desk, clerk = api_as("service"), api_as("clerk")
    rma = _parcel(desk, world)["rma_number"]
    url = f"/api/v1/repairs/parcels/{rma}/complete-receipt"
    r = clerk.post(url)  # nothing arrived
    assert r.status_code == 409 and r.json["code"] == "confirm_missing"
    assert r.json["expected"] == 2 and r.json["expected_serials"] == ["S1", "S2"] and r.json["arrived"] is False
    assert "has not arrived" in r.json["message"]
    assert clerk.post(url, json={"confirm_missing": False}).status_code == 409
    assert _tasks(app) == 0 and desk.get(f"/api/v1/repairs/parcels/{rma}").json["receipt_completed_at"] is None
    r = clerk.post(url, json={"confirm_missing": True})
    assert r.status_code == 200 and {u["state"] for u in r.json["units"]} == {"missing"}
    assert _count(app, Task, Task.kind == "missing") == 2
    # Nothing still expected: no question asked.
    rma = _parcel(desk, world, serials=("S7",))["rma_number"]
    clerk.post(SCAN, json={"mode": "receive", "code": "S7"})
    assert clerk.post(f"/api/v1/repairs/parcels/{rma}/complete-receipt").status_code == 200


def test_the_parcel_page_asks_before_completing_a_receipt(app, world, api_as, login):
    desk = api_as("service")
    rma = _parcel(desk, world)["rma_number"]
    page = login("clerk", username="clerk-page")
    path = f"/repairs/parcels/{rma}"
    resp = page.submit(f"{path}/complete-receipt", {}, form_page=path)
    assert resp.status_code == 302 and "confirm_receipt=1" in resp.headers["Location"]
    assert _tasks(app) == 0
    html = page.get(f"{path}?confirm_receipt=1").get_data(as_text=True)
    assert "This parcel has not arrived" in html and "S1" in html and "S2" in html
    assert 'name="confirm_missing"' in html and "Yes, complete the receipt" in html
    resp = page.submit(f"{path}/complete-receipt", {"confirm_missing": "1"}, form_page=path, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "2 unit(s) marked missing" in html and "flash-warning" in html
    assert "unit on the list but not in the parcel" in html  # the task's kind in words, not "missing"
    assert "through the API" in html  # where the list came from, in words
    assert desk.get(f"/api/v1/repairs/parcels/{rma}").json["receipt_completed_at"] is not None


def test_scanning_the_rma_label_again_asks_while_units_are_expected(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    rma = _parcel(desk, world, serials=("S1", "S2", "S3"))["rma_number"]
    r = clerk.post(SCAN, json={"mode": "receive", "code": rma})
    assert r.json["parcel"]["scanned"] == 0 and r.json["parcel"]["expected"] == 3
    assert "0 of 3 scanned" in r.json["message"]
    r = clerk.post(SCAN, json={"mode": "receive", "code": "S1", "parcel": rma})
    assert r.json["parcel"]["progress"] == "1 of 3 scanned" and r.json["parcel"]["expected_serials"] == ["S2", "S3"]
    assert r.json["message"] == f"S1 received into {rma} (1 of 3 scanned)."
    r = clerk.post(SCAN, json={"mode": "receive", "code": rma, "parcel": rma})
    assert r.status_code == 200 and r.json["level"] == "input" and r.json["needs"] == "confirm_missing"
    assert r.json["expected_serials"] == ["S2", "S3"] and "S2, S3" in r.json["message"]
    assert _tasks(app) == 0
    r = clerk.post(SCAN, json={"mode": "receive", "code": rma, "parcel": rma, "confirm_missing": True})
    assert r.json["status"] == "done" and r.json["level"] == "warning" and r.json["missing_serials"] == ["S2", "S3"]
    assert r.json["context"] is None and _tasks(app) == 2
    r = clerk.post(SCAN, json={"mode": "receive", "code": rma})
    assert r.json["level"] == "done" and "already complete" in r.json["message"]


# --------------------------------------------------------------------------- levels and words

def test_every_answer_has_a_level_and_names_its_code(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    rma = _parcel(desk, world)["rma_number"]
    answers = [
        ("success", clerk.post(SCAN, json={"mode": "receive", "code": rma})),
        ("success", clerk.post(SCAN, json={"mode": "receive", "code": "S1", "parcel": rma})),
        ("warning", clerk.post(SCAN, json={"mode": "receive", "code": "EXTRA9", "parcel": rma})),
        ("done", clerk.post(SCAN, json={"mode": "receive", "code": "S1", "parcel": rma})),
        ("warning", clerk.post(SCAN, json={"mode": "inspect", "code": "EXTRA9", "findings": ["no_stock"]})),
        ("error", clerk.post(SCAN, json={"mode": "receive", "code": "NOPE-1"})),
        ("error", clerk.post(SCAN, json={"mode": "inspect", "code": "S2"})),
        ("input", clerk.post(SCAN, json={"mode": "receive", "code": rma, "parcel": rma})),
    ]
    for level, resp in answers:
        body = resp.json
        assert body["level"] == level, body
        code = body.get("scanned_code")
        assert code and code.upper() in body["message"].upper(), body
        if resp.status_code == 200:
            assert body["code"] == code
    held = answers[4][1].json
    assert "model no longer stocked" in held["message"] and "no_stock" not in held["message"]


def test_answers_are_in_chinese_without_raw_codes(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    rma = _parcel(desk, world)["rma_number"]
    zh = {"Accept-Language": "zh-CN"}
    clerk.post(SCAN, json={"mode": "receive", "code": "S1", "parcel": rma})
    r = clerk.post(SCAN, json={"mode": "inspect", "code": "S1", "findings": ["human_damage"]}, headers=zh)
    assert "人为损坏" in r.json["message"] and "human_damage" not in r.json["message"]
    r = clerk.post(SCAN, json={"mode": "receive", "code": EAN13, "parcel": rma}, headers=zh)
    assert EAN13 in r.json["message"] and "EAN-13" in r.json["message"] and "序列号" in r.json["message"]
    r = clerk.post(SCAN, json={"mode": "inspect", "code": "S1"}, headers=zh)
    assert r.json["level"] == "done" and "S1" in r.json["message"] and "awaiting_dealer" not in r.json["message"]
    r = clerk.post(f"/api/v1/repairs/parcels/{rma}/complete-receipt", headers=zh)
    assert r.status_code == 409 and "S2" in r.json["message"] and "确认" in r.json["message"]


def test_only_the_supervisor_changes_serial_patterns_in_the_service_itself(app, world, make_user):
    """The rule is the service's, so every caller (page, API, command) gets it; nothing is written."""
    import pytest
    from sqlalchemy import func, select

    from core.errors import Forbidden
    from core.extensions import db
    from repairs import code_shapes
    from repairs.models import SerialPattern

    make_user("desk-patterns", "service")
    with app.app_context():
        from core.accounts.service import get_user

        with pytest.raises(Forbidden):
            code_shapes.add_pattern(get_user("desk-patterns"), applies_to="TF", mask="SN####")
        assert db.session.scalar(select(func.count()).select_from(SerialPattern)) == 0
        row = code_shapes.add_pattern(SYSTEM, applies_to="TF", mask="SN####")
        with pytest.raises(Forbidden):
            code_shapes.remove_pattern(get_user("desk-patterns"), row.id)
        assert row.active
