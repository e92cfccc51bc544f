"""A unit whose model is no longer stocked (已无库存): substitute model, credit note, return as is or
repair anyway, through the service, the tasks page and the API; the dealer's status page says
"awaiting your decision", never a date, while the dealer decides."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.authz import SYSTEM
from core.tasks import service as task_service
from tests.repairs.conftest import at

MONDAY = date(2026, 11, 16)
TUESDAY = date(2026, 11, 17)


def _held(world, serial="NS1", model="SSD A400 240G", *, human_damage=False):
    """A received unit inspected as no longer stocked; returns (rma, unit id, task id)."""
    from core.extensions import db
    from core.tasks.models import Task
    from repairs import inspection, intake, prices, receiving

    prices.add_price(SYSTEM, model="SSD A400 480G", effective_from=date(2026, 1, 1), amount="150")
    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": model, "serial": serial}],
                                   at=at(MONDAY, 9))
    unit = receiving.receive_unit(SYSTEM, serial, parcel, at=at(MONDAY, 10))
    inspection.inspect_unit(SYSTEM, unit, no_stock=True, human_damage=human_damage, at=at(TUESDAY, 9))
    task = db.session.scalar(select(Task).where(Task.process == "repairs").where(Task.subject_type == "repair_unit", Task.subject_id == unit.id))
    db.session.commit()
    return parcel.rma_number, unit.id, task.id


def _unit(unit_id):
    from core.extensions import db
    from repairs.models import RepairUnit

    db.session.expire_all()
    return db.session.get(RepairUnit, unit_id)


def _events(unit_id):
    from repairs import service

    return [(e.action, e.data) for e in service.timeline(_unit(unit_id))]


def test_reproduce_no_stock_offered_only_repair_return_scrap(app, world, prices):
    """Before: a no-stock unit could only be repaired (sent to a factory without stock), returned or
    scrapped. Now its choices are the manual's: substitute, credit, return as is, repair anyway."""
    from repairs import outcomes

    with app.app_context():
        _rma, unit_id, _task = _held(world)
        unit = _unit(unit_id)
        assert outcomes.choices(unit) == ("substitute", "credit", "return", "repair")
        labels = dict(outcomes.choice_labels(unit))
        assert "anyway" in labels["repair"]
        # A unit that is also damaged may still be scrapped with the dealer's consent.
        _rma, other, _task = _held(world, "NS2", human_damage=True)
        assert "scrap" in outcomes.choices(_unit(other))


def test_substitute_records_model_and_price_difference_from_the_list(app, world, prices):
    from core.errors import ValidationFailed
    from core.extensions import db
    from repairs import dealer_tasks

    with app.app_context():
        _rma, unit_id, task_id = _held(world)
        task = dealer_tasks.get_task(SYSTEM, task_id)
        with pytest.raises(ValidationFailed) as info:  # scrap is not a no-stock outcome
            task_service.answer(SYSTEM, task, "scrap")
        assert "decision" in info.value.errors
        with pytest.raises(ValidationFailed) as info:
            task_service.answer(SYSTEM, task, "substitute")
        assert "substitute_model" in info.value.errors
        with pytest.raises(ValidationFailed):
            task_service.answer(SYSTEM, task, "substitute", substitute_model="ssd a400 240g")  # same model
        with pytest.raises(ValidationFailed) as info:
            task_service.answer(SYSTEM, task, "return", credit_amount="10")
        assert "credit_amount" in info.value.errors
        db.session.rollback()
        assert _unit(unit_id).state == "awaiting_dealer" and dealer_tasks.get_task(SYSTEM, task_id).status == "open"
        task_service.answer(SYSTEM, dealer_tasks.get_task(SYSTEM, task_id), "substitute", "王先生同意换 480G",
                             substitute_model="SSD A400 480G")
        db.session.commit()
        unit = _unit(unit_id)
        assert unit.state == "ready_to_ship" and unit.dealer_decision == "substitute"
        assert unit.substitute_model == "SSD A400 480G"
        assert unit.price_difference == Decimal("30.00")  # 150 - 120, both on the list on the arrival day
        action, data = _events(unit_id)[-1]
        assert action == "dealer_substitute"
        assert data == {"decision": "substitute", "substitute_model": "SSD A400 480G", "price_difference": "30.00"}


def test_substitute_without_a_listed_price_has_no_difference_and_can_be_given(app, world, prices):
    from core.extensions import db
    from repairs import dealer_tasks

    with app.app_context():
        _rma, unit_id, task_id = _held(world)
        task_service.answer(SYSTEM, dealer_tasks.get_task(SYSTEM, task_id), "substitute", substitute_model="SSD B100 256G")
        db.session.commit()
        assert _unit(unit_id).price_difference is None  # only the "*" line: no known difference
        _rma, other, task2 = _held(world, "NS2")
        task_service.answer(SYSTEM, dealer_tasks.get_task(SYSTEM, task2), "substitute", substitute_model="SSD B100 256G",
                             price_difference="-15")
        db.session.commit()
        assert _unit(other).price_difference == Decimal("-15.00")


def test_credit_note_ends_the_unit_with_its_amount(app, world, prices):
    from core.errors import ValidationFailed
    from core.extensions import db
    from repairs import dealer_tasks, overdue

    with app.app_context():
        _rma, unit_id, task_id = _held(world)
        for bad in (None, "0", "-5", "ten"):
            with pytest.raises(ValidationFailed) as info:
                task_service.answer(SYSTEM, dealer_tasks.get_task(SYSTEM, task_id), "credit", credit_amount=bad)
            assert "credit_amount" in info.value.errors
            db.session.rollback()
        task_service.answer(SYSTEM, dealer_tasks.get_task(SYSTEM, task_id), "credit", "开红字 120", credit_amount="120")
        db.session.commit()
        unit = _unit(unit_id)
        assert unit.state == "credited" and unit.credit_amount == Decimal("120.00")
        assert unit.dealer_decision == "credit"
        assert _events(unit_id)[-1] == ("dealer_credit", {"decision": "credit", "credit_amount": "120.00"})
        assert overdue.overdue_units(SYSTEM, today=date(2027, 6, 1)) == []  # nothing is waited for any more


def test_status_page_says_awaiting_your_decision_never_a_date(app, world, prices, client, api_as):
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        rma, unit_id, task_id = _held(world)
        # Whatever the promise holds, the dealer is not shown a date while they decide.
        db.session.execute(RepairUnit.__table__.update().where(RepairUnit.id == unit_id)
                           .values(ship_due=date(2026, 11, 26)))
        db.session.commit()
    form = {"rma_number": rma, "phone_last4": "5678"}
    page = client.submit("/status", form).get_data(as_text=True)
    assert "awaiting your decision" in page and "2026-11-26" not in page
    zh = client.submit("/status", form, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "待您决定" in zh and "2026-11-26" not in zh
    body = client.get(f"/api/v1/repairs/public-status?rma_number={rma}&phone_last4=5678").json
    unit = body["units"][0]
    assert unit["ship_due"] is None and unit["waiting_on"] == "dealer"
    assert unit["waiting_label"] == "awaiting your decision"
    # Disputed: the supervisor's decision is awaited; still no date.
    api_as("service").post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "dispute"})
    page = client.submit("/status", form).get_data(as_text=True)
    assert "awaiting our supervisor" in page and "2026-11-26" not in page
    # Settled as a substitute: the dealer sees the model sent instead, its price difference and the date again.
    resp = api_as("supervisor").post(f"/api/v1/repairs/tasks/{task_id}/settle", json={
        "decision": "substitute", "substitute_model": "SSD A400 480G", "note": "主管裁定换新型号"})
    assert resp.status_code == 200, resp.json
    page = client.submit("/status", form).get_data(as_text=True)
    unit = client.get(f"/api/v1/repairs/public-status?rma_number={rma}&phone_last4=5678").json["units"][0]
    assert unit["decision"] == "substitute" and unit["price_difference"] == "30.00" and unit["waiting_on"] is None
    assert unit["ship_due"] is not None and unit["ship_due"] in page
    assert "awaiting your decision" not in page and "awaiting our supervisor" not in page
    assert "SSD A400 480G" in page and "30.00" in page


def test_tasks_page_offers_the_no_stock_outcomes_and_records_them(app, world, prices, login):
    with app.app_context():
        _rma, unit_id, task_id = _held(world)
        _rma, credit_id, credit_task = _held(world, "NS2")
    desk = login("service")
    page = desk.get("/tasks?process=repairs").get_data(as_text=True)
    for value in ('value="substitute"', 'value="credit"', 'value="return"', 'value="repair"',
                  'name="substitute_model"', 'name="credit_amount"'):
        assert value in page
    assert 'value="scrap"' not in page
    zh = desk.get("/tasks?process=repairs", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "替代型号" in zh and "抵货款" in zh
    # A wrong answer: a readable message, nothing changed.
    resp = desk.submit(f"/repairs/tasks/{credit_task}/resolve", {"decision": "credit", "credit_amount": ""},
                       form_page="/tasks?process=repairs")
    assert resp.status_code == 303
    assert "credit note needs its amount" in desk.get("/tasks?process=repairs").get_data(as_text=True)
    with app.app_context():
        assert _unit(credit_id).state == "awaiting_dealer"
    resp = desk.submit(f"/repairs/tasks/{credit_task}/resolve", {"decision": "credit", "credit_amount": "88.5"},
                       form_page="/tasks?process=repairs")
    assert resp.status_code == 302
    resp = desk.submit(f"/repairs/tasks/{task_id}/resolve", {"decision": "substitute",
                                                             "substitute_model": "SSD A400 480G"},
                       form_page="/tasks?process=repairs")
    assert resp.status_code == 302
    with app.app_context():
        assert (_unit(credit_id).state, _unit(credit_id).credit_amount) == ("credited", Decimal("88.50"))
        assert (_unit(unit_id).state, _unit(unit_id).substitute_model) == ("ready_to_ship", "SSD A400 480G")
    unit_page = desk.get(f"/repairs/units/{unit_id}").get_data(as_text=True)
    assert "SSD A400 480G" in unit_page and "30.00" in unit_page
    unit_page = desk.get(f"/repairs/units/{credit_id}").get_data(as_text=True)
    assert "88.50" in unit_page and "credited" in unit_page


def test_api_resolve_and_settle_with_the_no_stock_outcomes(app, world, prices, api_as):
    with app.app_context():
        _rma, unit_id, task_id = _held(world)
        _rma, other_id, other_task = _held(world, "NS2")
        _rma, back_id, back_task = _held(world, "NS3")
    desk, boss = api_as("service"), api_as("supervisor")
    resp = desk.post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "scrap"})
    assert resp.status_code == 422 and "decision" in resp.json["errors"]
    resp = desk.post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "credit"})
    assert resp.status_code == 422 and "credit_amount" in resp.json["errors"]
    resp = desk.post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "credit", "credit_amount": "abc"})
    assert resp.status_code == 422
    resp = desk.post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "credit", "credit_amount": "99.90"})
    assert resp.status_code == 200 and resp.json["resolution"] == "credit"
    unit = desk.get(f"/api/v1/repairs/units/{unit_id}").json
    assert unit["state"] == "credited" and unit["credit_amount"] == "99.90" and unit["dealer_decision"] == "credit"
    assert unit["state_label"] == "credited" and unit["allowed"] == []
    assert unit["timeline"][-1]["action"] == "dealer_credit"
    # Repair anyway: the dealer's explicit choice sends it to the factory.
    resp = desk.post(f"/api/v1/repairs/tasks/{back_task}/resolve", json={"decision": "repair"})
    assert resp.status_code == 200
    assert desk.get(f"/api/v1/repairs/units/{back_id}").json["state"] == "inspected"
    # A dispute settled by the supervisor as a credit note.
    assert desk.post(f"/api/v1/repairs/tasks/{other_task}/resolve", json={"decision": "dispute",
                                                                         "credit_amount": "5"}).status_code == 422
    assert desk.post(f"/api/v1/repairs/tasks/{other_task}/resolve", json={"decision": "dispute"}).status_code == 200
    resp = boss.post(f"/api/v1/repairs/tasks/{other_task}/settle", json={"decision": "credit", "credit_amount": "-1"})
    assert resp.status_code == 422
    resp = boss.post(f"/api/v1/repairs/tasks/{other_task}/settle", json={"decision": "credit", "credit_amount": "120"})
    assert resp.status_code == 200 and resp.json["status"] == "resolved"
    unit = boss.get(f"/api/v1/repairs/units/{other_id}").json
    assert (unit["state"], unit["credit_amount"]) == ("credited", "120.00")
    assert [e["action"] for e in unit["timeline"]][-2:] == ["dispute", "settle_credit"]


def test_supervisor_settles_a_substitute_on_the_page(app, world, prices, login, api_as):
    with app.app_context():
        _rma, unit_id, task_id = _held(world)
    api_as("service").post(f"/api/v1/repairs/tasks/{task_id}/resolve", json={"decision": "dispute"})
    boss = login("supervisor")
    page = boss.get("/tasks?process=repairs&status=disputed").get_data(as_text=True)
    assert 'value="substitute"' in page and 'value="credit"' in page
    resp = boss.submit(f"/repairs/tasks/{task_id}/settle", {"decision": "substitute", "substitute_model": "SSD X"},
                       form_page="/tasks?process=repairs&status=disputed")
    assert resp.status_code == 302
    with app.app_context():
        unit = _unit(unit_id)
        assert (unit.state, unit.dealer_decision, unit.substitute_model) == ("ready_to_ship", "substitute", "SSD X")


def test_a_substitute_ships_as_the_model_sent_instead(app, world, prices, shipments_ready, api_as):
    from core.extensions import db
    from repairs import dealer_tasks
    from shipments.models import Shipment

    with app.app_context():
        _rma, unit_id, task_id = _held(world)
        task_service.answer(SYSTEM, dealer_tasks.get_task(SYSTEM, task_id), "substitute", substitute_model="SSD A400 480G")
        db.session.commit()
    resp = api_as("clerk").post("/api/v1/repairs/returns", json={"serials": ["NS1"], "waybill": "SF555", "carrier": "顺丰"})
    assert resp.status_code == 201, resp.json
    with app.app_context():
        shipment = db.session.scalar(select(Shipment).where(Shipment.number == resp.json["number"]))
        assert [line.model for line in shipment.lines] == ["SSD A400 480G"]
        assert _unit(unit_id).state == "shipped"
