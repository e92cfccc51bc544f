"""Vendor-managed (Maxell) units are swapped from the vendor pool instead of repaired (manual 5.2.1)."""
from __future__ import annotations

import pytest

MODEL = "Maxell 移动硬盘 1TB"
SKU = "MX-HDD-1T"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture()
def pool(app, world):
    """Maxell, its serialized vendor-managed part with ``good`` units in the pool, and purchasing."""
    from core.authz import SYSTEM
    from core.directory.models import Department, Vendor
    from core.extensions import db
    from inventory import service, vendor
    from inventory.models import VENDOR, Part

    def make(good: int = 2):
        with app.app_context():
            maxell = Vendor(code="MAXELL", name="Maxell")
            db.session.add_all([maxell, Department(code="purchasing", name="采购部")])
            db.session.flush()
            part = Part(sku=SKU, model=MODEL, family="HDD", vendor_managed=True, serialized=True, vendor_id=maxell.id)
            db.session.add(part)
            db.session.flush()
            for i in range(good):
                service.post_movement(actor=SYSTEM, part=part, from_location=service.system_location(VENDOR),
                                      to_location=vendor.pool_location(), serial=f"MXG{i + 1}",
                                      reason="vendor_receipt")
            db.session.commit()
            return part.id, maxell.id
    return make


def clients(api_as):
    """The desk's and the clerk's API clients of this test (made once)."""
    if not hasattr(api_as, "pair"):
        api_as.pair = (api_as("service"), api_as("clerk"))
    return api_as.pair


def accepted(api_as, world, *lines, dealer=None):
    """A parcel of ``lines`` ((serial, model)...), each received and accepted; returns the clerk's API."""
    desk, clerk = clients(api_as)
    r = desk.post("/api/v1/repairs/parcels", json={"dealer_id": dealer or world.dealer_bj, "lines": [
        {"serial": serial, "model": model} for serial, model in lines]})
    assert r.status_code == 201, r.json
    for serial, _model in lines:
        assert clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": serial}).json["status"] == "done"
        assert clerk.post("/api/v1/repairs/scan", json={"mode": "inspect", "code": serial}).json["status"] == "done"
    return clerk


def unit_id(clerk, serial):
    return clerk.get(f"/api/v1/repairs/units?q={serial}").json[0]["id"]


def _state(app):
    """Rows a swap writes: movements, shipments, repair events, tasks."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.tasks.models import Task
    from inventory.models import Movement
    from repairs.models import RepairEvent
    from shipments.models import Shipment

    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Movement, Shipment, RepairEvent, Task))


def test_a_maxell_unit_is_swapped_from_the_pool(app, shipments_ready, world, pool, api_as, login):
    part_id, vendor_id = pool(good=2)
    clerk = accepted(api_as, world, ("MX1", MODEL))
    uid = unit_id(clerk, "MX1")
    detail = clerk.get(f"/api/v1/repairs/units/{uid}").json
    assert "vendor_swap" in detail["allowed"] and "dispatch" in detail["allowed"]

    r = clerk.post(f"/api/v1/repairs/units/{uid}/swap", json={"carrier": "顺丰", "waybill": "SF9001"})
    assert r.status_code == 200, r.json
    assert r.json["unit"]["state"] == "shipped" and r.json["good_serial"] == "MXG1"
    assert r.json["unit"]["replacement_serial"] == "MXG1" and r.json["unit"]["outcome"] == "swapped"

    from sqlalchemy import select

    from core.authz import SYSTEM
    from core.extensions import db
    from inventory import service, vendor
    from inventory.models import DEALER, Movement, Part
    from shipments.lookup import shipment_by_number

    with app.app_context():
        part = db.session.get(Part, part_id)
        pool_loc = vendor.pool_location()
        # The ledger: the good unit left the pool for the dealer, the defective came into HQ's defective bin.
        out = db.session.get(Movement, r.json["movement_id"])
        assert (out.from_location_id, out.to_location.kind, out.serial, out.reason, out.ref_type, out.ref_id) == (
            pool_loc.id, DEALER, "MXG1", "vendor_swap", "repair_unit", uid)
        assert service.balance_of(pool_loc.id, part.id) == 1
        came = db.session.scalar(select(Movement).where(Movement.reason == "vendor_defective_in"))
        assert (came.serial, came.to_location_id, came.ref_type, came.ref_id) == (
            "MX1", vendor.hq_defectives().id, "repair_unit", uid)
        # The shipment to the dealer, shipped with its waybill, carries the good unit.
        shipment = shipment_by_number(r.json["shipment"])
        assert (shipment.leg, shipment.dealer_id, shipment.status, shipment.waybill) == (
            "factory_dealer", world.dealer_bj, "shipped", "SF9001")
        assert [(l.kind, l.serial, l.ref_type, l.ref_id) for l in shipment.lines] == [
            ("unit", "MXG1", "repair_unit", uid)]
        # The defective goes to the vendor with the month's batch.
        batch = vendor.build_batch(SYSTEM, vendor_id=vendor_id, month="2026-12")
        assert [(l.part_id, l.sent_qty, l.sent_serials) for l in batch.lines] == [(part.id, 1, "MX1")]
        db.session.rollback()

    # The unit's page and timeline show the swap, in Chinese too.
    desk = login("service")
    page = desk.get(f"/repairs/units/{uid}", headers=ZH).get_data(as_text=True)
    assert "从供应商备件池换货" in page and "已寄回代理商" in page
    assert 'id="vendor-swap"' not in page  # done: no swap button any more
    timeline = clerk.get(f"/api/v1/repairs/units/{uid}").json["timeline"]
    assert timeline[-1]["action"] == "vendor_swap" and timeline[-1]["to_state"] == "shipped"


def test_the_swap_button_is_on_the_unit_page_and_works(app, shipments_ready, world, pool, api_as, login):
    pool(good=1)
    clerk = accepted(api_as, world, ("MX2", MODEL.upper()), ("SSD1", "SSD A400 240G"))
    desk = login("service")
    swap_page = desk.get(f"/repairs/units/{unit_id(clerk, 'MX2')}").get_data(as_text=True)
    assert 'id="vendor-swap"' in swap_page and "Swap from the vendor pool" in swap_page
    other = desk.get(f"/repairs/units/{unit_id(clerk, 'SSD1')}").get_data(as_text=True)
    assert 'id="vendor-swap"' not in other and "Dispatch to factory" in other
    r = desk.submit(f"/repairs/units/{unit_id(clerk, 'MX2')}/swap", {"note": "dealer waits"})
    assert r.status_code == 302
    assert clerk.get(f"/api/v1/repairs/units/{unit_id(clerk, 'MX2')}").json["state"] == "shipped"


def test_an_empty_pool_refuses_and_changes_nothing(app, shipments_ready, world, pool, api_as, login):
    pool(good=0)
    clerk = accepted(api_as, world, ("MX3", MODEL))
    uid = unit_id(clerk, "MX3")
    before = _state(app)
    r = clerk.post(f"/api/v1/repairs/units/{uid}/swap", json={})
    assert r.status_code == 409 and r.json["code"] == "pool_empty", r.json
    assert "MX3" in r.json["message"] and SKU in r.json["message"] and "FAC-SHIP" in r.json["message"]
    assert _state(app) == before
    assert clerk.get(f"/api/v1/repairs/units/{uid}").json["state"] == "inspected"
    # The page says so too, and the unit stays where it was.
    desk = login("service")
    answer = desk.submit(f"/repairs/units/{uid}/swap", {}, follow_redirects=True)
    assert "holds no good unit" in answer.get_data(as_text=True)
    assert _state(app) == before


def test_a_bulk_pool_part_is_swapped_by_quantity(app, shipments_ready, world, api_as):
    from core.authz import SYSTEM
    from core.directory.models import Vendor
    from core.extensions import db
    from inventory import service, vendor
    from inventory.models import VENDOR, Part

    with app.app_context():
        maxell = Vendor(code="MAXELL", name="Maxell")
        db.session.add(maxell)
        db.session.flush()
        part = Part(sku="MX-USB-64", model="Maxell USB 64G", vendor_managed=True, serialized=False, vendor_id=maxell.id)
        db.session.add(part)
        db.session.flush()
        service.post_movement(actor=SYSTEM, part=part, from_location=service.system_location(VENDOR),
                              to_location=vendor.pool_location(), quantity=3, reason="vendor_receipt")
        db.session.commit()
        part_id = part.id
    # The unit's model may be the part's SKU as well.
    clerk = accepted(api_as, world, ("MXB1", "mx-usb-64"))
    r = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MXB1')}/swap", json={})
    assert r.status_code == 200 and r.json["good_serial"] is None, r.json
    with app.app_context():
        assert service.balance_of(vendor.pool_location().id, part_id) == 2
        assert service.balance_of(vendor.hq_defectives().id, part_id) == 1


def test_a_unit_of_another_model_cannot_be_swapped(app, shipments_ready, world, pool, api_as):
    pool(good=2)
    clerk = accepted(api_as, world, ("SSD2", "SSD A400 240G"))
    uid = unit_id(clerk, "SSD2")
    assert "vendor_swap" not in clerk.get(f"/api/v1/repairs/units/{uid}").json["allowed"]
    before = _state(app)
    r = clerk.post(f"/api/v1/repairs/units/{uid}/swap", json={})
    assert r.status_code == 409 and r.json["code"] == "not_vendor_managed", r.json
    assert _state(app) == before


def test_a_unit_not_accepted_yet_cannot_be_swapped(app, shipments_ready, world, pool, api_as):
    pool(good=2)
    desk, clerk = clients(api_as)
    desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [{"serial": "MX4", "model": MODEL}]})
    clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "MX4"})
    r = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX4')}/swap", json={})
    assert r.status_code == 409 and r.json["code"] == "invalid_transition"


def test_an_office_user_cannot_swap(app, shipments_ready, world, pool, api_as):
    pool(good=2)
    clerk = accepted(api_as, world, ("MX5", MODEL))
    office = api_as("office", office_id=world.office_bj)
    assert office.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX5')}/swap", json={}).status_code == 403


def test_the_top_up_task_opens_once(app, shipments_ready, world, pool, api_as):
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task

    part_id, _vendor = pool(good=3)
    app.config["VENDOR_POOL_MINIMUM"] = 3
    try:
        clerk = accepted(api_as, world, ("MX6", MODEL), ("MX7", MODEL))
        first = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX6')}/swap", json={})
        second = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX7')}/swap", json={})
    finally:
        app.config.pop("VENDOR_POOL_MINIMUM", None)
    assert first.status_code == second.status_code == 200
    assert first.json["topup_task_id"] is not None and second.json["topup_task_id"] is None
    with app.app_context():
        tasks = db.session.scalars(select(Task).where(Task.process == "vendor_pool")).all()
        assert len(tasks) == 1
        task = tasks[0]
        assert (task.kind, task.subject_type, task.subject_id, task.status) == ("pool_topup", "inv_part", part_id, "open")
        assert task.department.code == "purchasing" and task.detail_params["sku"] == SKU
    # Purchasing's answer closes it; the next shortfall opens a new one.
    desk = clients(api_as)[0]
    assert desk.post(f"/api/v1/tasks/{task.id}/answer", json={"decision": "agreed"}).status_code == 200
    clerk = accepted(api_as, world, ("MX8", MODEL))
    third = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX8')}/swap", json={})
    assert third.status_code == 200 and third.json["topup_task_id"] not in (None, task.id)


def test_a_top_up_not_ordered_by_its_day_is_chased_to_purchasing(app, shipments_ready, world, pool, api_as):
    from datetime import timedelta

    from core import chase
    from core.authz import SYSTEM
    from core.calendar import add_working_days
    from core.extensions import db
    from core.tasks.models import Task

    pool(good=1)
    clerk = accepted(api_as, world, ("MX11", MODEL))
    answer = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX11')}/swap", json={})
    task_id = answer.json["topup_task_id"]
    assert task_id is not None
    with app.app_context():
        task = db.session.get(Task, task_id)
        due = task.due_on

        def chased(today):
            return {s.provider.kind: s.items for s in chase.sections(today, SYSTEM)}["pool_topup"]

        assert chased(due) == []
        [item] = chased(due + timedelta(days=1))
        assert item.item_id == task_id and item.owner.key == "dept:purchasing"
        assert "Vendor pool top-up not ordered in time" in str(item.description) and SKU in str(item.description)
        assert item.link == "/tasks?process=vendor_pool"
        assert chased(add_working_days(due, 1)) and chase.providers()
    # Purchasing orders: nothing is chased any more.
    desk = clients(api_as)[0]
    assert desk.post(f"/api/v1/tasks/{task_id}/answer", json={"decision": "agreed"}).status_code == 200
    with app.app_context():
        assert {s.provider.kind: s.items for s in chase.sections(due + timedelta(days=3), SYSTEM)}["pool_topup"] == []


def test_the_pool_is_topped_up_in_line_with_last_months_sales(app, shipments_ready, world, pool, api_as):
    from datetime import date, timedelta

    from core.calendar import local_today
    from core.extensions import db
    from core.tasks.models import Task
    from core.tasks.service import task_detail

    pool(good=6)
    last_month = (local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    service = clients(api_as)[0]
    # 400 sold last month at the default share of 2%: the pool should hold 8 good units.
    assert service.put("/api/v1/inventory/vendor/sales",
                       json={"sku": SKU, "month": last_month, "quantity": 400}).status_code == 200
    clerk = accepted(api_as, world, ("MX12", MODEL))
    answer = clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX12')}/swap", json={})
    assert answer.status_code == 200 and answer.json["topup_task_id"] is not None
    with app.test_request_context():
        task = db.session.get(Task, answer.json["topup_task_id"])
        words = task_detail(task)
        # 5 left after the swap, 8 wanted: order 3; the sales are named.
        assert "5 good unit(s) left" in words and "400 sold last month" in words and "order 3 more" in words
    assert date.fromisoformat(last_month + "-01") < local_today()


def test_swaps_beyond_last_months_usage_ask_purchasing(app, shipments_ready, world, pool, api_as):
    pool(good=2)
    clerk = accepted(api_as, world, ("MX9", MODEL), ("MX10", MODEL))
    # 1 left after 1 swap: still as much as the month used.
    assert clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX9')}/swap", json={}).json["topup_task_id"] is None
    # 0 left after 2 swaps: below what the month used.
    assert clerk.post(f"/api/v1/repairs/units/{unit_id(clerk, 'MX10')}/swap", json={}).json["topup_task_id"]
