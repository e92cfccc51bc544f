"""Quotes of paid repairs: the price in force on the day the parcel arrived; a price notice changes
the rows in force on its day and every row dated after it; a charge the supervisor waived is 0 with
its reason, on the unit page, the API and the dealer's status page."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.authz import SYSTEM
from tests.repairs.conftest import at

NOTICE_DAY = date(2026, 11, 20)
CUT = {"effective_from": NOTICE_DAY.isoformat(), "delta": "-10", "notice": "每项维修下降人民币10元整"}


def _arrived(world, serial: str, day: date, model: str = "U盘 DT 32G"):
    """A parcel with one unit, arrived (received) on ``day``; returns the unit id."""
    from core.extensions import db
    from repairs import intake, receiving

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[
        {"model": model, "serial": serial, "warranty_claimed": False}], at=at(day, 9))
    unit = receiving.receive_unit(SYSTEM, serial, parcel, at=at(day, 10))
    db.session.commit()
    return unit.id


def _unit(unit_id):
    from core.extensions import db
    from repairs.models import RepairUnit

    db.session.expire_all()
    return db.session.get(RepairUnit, unit_id)


def test_reproduce_a_notice_leaves_later_rows_unchanged(app, world, prices, api_as):
    """Before: a notice from 11-20 added rows from 11-20 only; a price already listed from 12-01 kept
    its full amount, so the cut vanished on 12-01. Now every row from the notice day on is cut."""
    from repairs import prices as price_rules

    with app.app_context():
        from core.extensions import db

        price_rules.add_price(SYSTEM, model="SSD A400 240G", effective_from=date(2026, 12, 1), amount="140")
        price_rules.add_price(SYSTEM, model="*", effective_from=date(2027, 1, 1), amount="110")
        db.session.commit()
    resp = api_as("supervisor").post("/api/v1/repairs/prices/notice", json=CUT)
    assert resp.status_code == 201, resp.json
    assert sorted((r["model"], r["effective_from"], r["amount"]) for r in resp.json) == [
        ("*", "2026-11-20", "90.00"), ("*", "2027-01-01", "100.00"),
        ("SSD A400 240G", "2026-11-20", "110.00"), ("SSD A400 240G", "2026-12-01", "130.00")]
    with app.app_context():
        force = price_rules.price_in_force
        assert force("SSD A400 240G", date(2026, 11, 19)).amount == Decimal("120.00")
        assert force("SSD A400 240G", date(2026, 11, 25)).amount == Decimal("110.00")
        assert force("SSD A400 240G", date(2026, 12, 5)).amount == Decimal("130.00")
        assert force("TF卡 64G", date(2027, 2, 1)).amount == Decimal("100.00")
    # The list keeps the replaced row, marked as such, on the API and the page.
    rows = api_as("service").get("/api/v1/repairs/prices").json
    dec1 = [(r["amount"], r["replaced"]) for r in rows if r["effective_from"] == "2026-12-01"]
    assert dec1 == [("140.00", True), ("130.00", False)]


def test_a_second_notice_on_the_page_cuts_the_first_notices_rows_too(app, world, prices, login):
    from repairs import prices as price_rules

    with app.app_context():
        from core.extensions import db

        price_rules.add_price(SYSTEM, model="SSD A400 240G", effective_from=date(2026, 12, 1), amount="140")
        db.session.commit()
    boss = login("supervisor")
    assert boss.submit("/repairs/prices", {"kind": "notice", **CUT}).status_code == 302
    # A cut back-dated to before the first: applies to everything from its day on, cumulatively.
    resp = boss.submit("/repairs/prices", {"kind": "notice", "effective_from": "2026-11-01", "delta": "-5",
                                           "notice": "再降 5 元"})
    assert resp.status_code == 302
    with app.app_context():
        force = price_rules.price_in_force
        assert force("SSD A400 240G", date(2026, 11, 5)).amount == Decimal("115.00")
        assert force("SSD A400 240G", date(2026, 11, 25)).amount == Decimal("105.00")
        assert force("SSD A400 240G", date(2026, 12, 5)).amount == Decimal("125.00")
        assert force("U盘 DT 32G", date(2026, 11, 25)).amount == Decimal("85.00")
    page = boss.get("/repairs/prices").get_data(as_text=True)
    assert "replaced by a later notice" in page and "125.00" in page
    resp = boss.submit("/repairs/prices", {"kind": "notice", "effective_from": "2026-11-01", "delta": "abc",
                                           "notice": "x"}, follow_redirects=True)
    assert resp.history[0].status_code == 303 and "Not a valid amount" in resp.get_data(as_text=True)


def test_reproduce_quote_uses_the_arrival_day_not_the_inspection_day(app, world, prices, api_as):
    """Before: a parcel that arrived on 11-19 (old price 100) and was inspected on 11-23, after the
    cut from 11-20, was quoted at the inspection day's 90. Now it is quoted at the arrival day's price;
    a parcel that arrived after the cut gets the new price."""
    from repairs import inspection
    from repairs import prices as price_rules

    with app.app_context():
        before = _arrived(world, "Q1", date(2026, 11, 19))
        after = _arrived(world, "Q2", date(2026, 11, 23))
    boss = api_as("supervisor")
    assert boss.post("/api/v1/repairs/prices/notice", json=CUT).status_code == 201
    clerk = api_as("clerk")
    resp = clerk.post(f"/api/v1/repairs/units/{before}/inspect", json={"out_of_warranty": True})
    assert resp.status_code == 200 and resp.json["quote_amount"] == "100.00"
    resp = clerk.post(f"/api/v1/repairs/units/{after}/inspect", json={"out_of_warranty": True})
    assert resp.status_code == 200 and resp.json["quote_amount"] == "90.00"
    with app.app_context():
        from core.extensions import db

        unit = _unit(before)
        assert price_rules.quote_day(unit) == date(2026, 11, 19)
        assert price_rules.price_in_force(unit.model, date(2026, 11, 19)).id == unit.quote_price_id
        # No arrival on the parcel: the unit's own receipt is the day.
        third = _arrived(world, "Q3", date(2026, 11, 19))
        unit = _unit(third)
        unit.parcel.arrived_at = None
        db.session.flush()
        inspection.inspect_unit(SYSTEM, unit, out_of_warranty=True, at=at(date(2026, 11, 24), 9))
        assert unit.quote_amount == Decimal("100.00")
        db.session.rollback()


def test_quote_on_the_inspection_page_uses_the_arrival_day(app, world, prices, login, api_as):
    with app.app_context():
        unit_id = _arrived(world, "Q4", date(2026, 11, 19))
    assert api_as("supervisor").post("/api/v1/repairs/prices/notice", json=CUT).status_code == 201
    desk = login("service")
    resp = desk.submit(f"/repairs/units/{unit_id}/inspect", {"out_of_warranty": "1"},
                       form_page=f"/repairs/units/{unit_id}")
    assert resp.status_code == 302
    page = desk.get(f"/repairs/units/{unit_id}").get_data(as_text=True)
    assert "100.00 RMB" in page and "90.00" not in page


def _disputed_damage(app, world, desk, serial="W1"):
    """A unit with human damage (quoted 120), its dispute before the supervisor; returns (rma, unit, task)."""
    from core.extensions import db
    from core.tasks.models import Task
    from repairs import inspection

    with app.app_context():
        unit_id = _arrived(world, serial, date(2026, 11, 16), model="SSD A400 240G")
        inspection.inspect_unit(SYSTEM, _unit(unit_id), human_damage=True, at=at(date(2026, 11, 17), 9))
        task = db.session.scalar(select(Task).where(Task.process == "repairs").where(Task.subject_type == "repair_unit", Task.subject_id == unit_id))
        rma = _unit(unit_id).parcel.rma_number
        db.session.commit()
        task_id = task.id
    assert desk.post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "dispute"}).status_code == 200
    return rma, unit_id, task_id


def test_reproduce_a_waived_repair_kept_its_quote(app, world, prices, api_as, login, client):
    """Before: the supervisor settled a human-damage dispute as "repair" and the unit still showed
    its 120 RMB quote. Now the charge is 0 with the reason, on the API, the unit page and the status page."""
    rma, unit_id, task_id = _disputed_damage(app, world, api_as("service"))
    boss = api_as("supervisor")
    resp = boss.post(f"/api/v1/repairs/tasks/{task_id}/settle",
                     json={"decision": "repair", "note": "照片显示非人为损坏"})
    assert resp.status_code == 200, resp.json
    unit = boss.get(f"/api/v1/repairs/units/{unit_id}").json
    assert unit["state"] == "inspected" and unit["dealer_decision"] == "repair"
    assert unit["quote_amount"] == "0.00" and unit["quote_waived_reason"] == "照片显示非人为损坏"
    last = unit["timeline"][-1]
    assert last["action"] == "settle_repair" and last["data"]["quote_waived"] == "120.00"
    page = login("service").get(f"/repairs/units/{unit_id}").get_data(as_text=True)
    assert "0.00 RMB" in page and "waived: 照片显示非人为损坏" in page and "120.00" not in page
    status = client.submit("/status", {"rma_number": rma, "phone_last4": "5678"}).get_data(as_text=True)
    assert "0.00 RMB" in status and "照片显示非人为损坏" in status
    public = client.get(f"/api/v1/repairs/public-status?rma_number={rma}&phone_last4=5678").json["units"][0]
    assert public["quote_amount"] == "0.00" and public["quote_waived_reason"] == "照片显示非人为损坏"
    # What sums quotes sums the waived charge as 0.
    with app.app_context():
        from core.extensions import db
        from repairs.models import RepairUnit

        assert db.session.scalar(select(db.func.sum(RepairUnit.quote_amount))) == Decimal("0.00")


def test_a_paid_repair_settlement_keeps_the_quote_and_the_page_waives_with_a_default_reason(
        app, world, prices, api_as, login):
    desk = api_as("service")
    _rma, paid_id, paid_task = _disputed_damage(app, world, desk, "W2")
    _rma, free_id, free_task = _disputed_damage(app, world, desk, "W3")
    boss_api = api_as("supervisor")
    resp = boss_api.post(f"/api/v1/repairs/tasks/{paid_task}/settle", json={"decision": "repair_paid"})
    assert resp.status_code == 200
    unit = boss_api.get(f"/api/v1/repairs/units/{paid_id}").json
    assert unit["quote_amount"] == "120.00" and unit["quote_waived_reason"] is None
    boss = login("supervisor")
    page = boss.get("/tasks?process=repairs&status=disputed").get_data(as_text=True)
    assert 'value="repair_paid"' in page and "free of charge" in page
    resp = boss.submit(f"/repairs/tasks/{free_task}/settle", {"decision": "repair"},
                       form_page="/tasks?process=repairs&status=disputed")
    assert resp.status_code == 302
    unit = boss_api.get(f"/api/v1/repairs/units/{free_id}").json
    assert unit["quote_amount"] == "0.00" and "free of charge" in unit["quote_waived_reason"]
    # Terms that belong to a no-stock outcome are refused for this unit: 422, nothing changed.
    _rma, other_id, other_task = _disputed_damage(app, world, desk, "W4")
    resp = boss_api.post(f"/api/v1/repairs/tasks/{other_task}/settle", json={"decision": "repair",
                                                                             "credit_amount": "5"})
    assert resp.status_code == 422
    assert boss_api.get(f"/api/v1/repairs/units/{other_id}").json["state"] == "disputed"
