"""Double-request scenarios for repairs (parcels, unit steps, tasks, factory legs, prices)."""
from __future__ import annotations

from datetime import date

from core.authz import SYSTEM
from core.tasks import service as task_service
from tests.concurrency.doubles import Case, audit_updates, count, probes, scenario

DEALER = "DBL-DEALER"


def world(env):
    """An office with a dealer, a factory route; returns (office_id, dealer_id)."""
    from core.directory.models import Factory, RepairRoute
    from core.extensions import db

    office = env.office()
    dealer = env.dealer(office, DEALER)
    factory = Factory(code="DBLFAC", name="Double factory")
    db.session.add(factory)
    db.session.flush()
    db.session.add(RepairRoute(code="DBLFAC", name="Double route", factory_id=factory.id, promise_days=7,
                               dispatch_days=2))
    db.session.flush()
    return office, dealer


def unit_in(env, state: str, serial: str = "DBL0001", *, extra_declared: int = 0):
    """A repair unit brought to ``state`` through the service; returns it."""
    from repairs import factory, inspection, intake, receiving

    world(env)
    boss = env.admin()
    lines = [{"serial": serial, "model": "DBL-SSD"}]
    lines += [{"serial": f"{serial}X{i}", "model": "DBL-SSD"} for i in range(extra_declared)]
    parcel = intake.create_parcel(boss, dealer_code=DEALER, lines=lines)
    unit = parcel.units[0]
    steps = ["received", "inspected", "at_factory", "ready_to_ship", "shipped"]
    if state == "declared":
        return unit
    receiving.receive_unit(boss, serial)
    if state in ("awaiting_dealer", "disputed"):
        inspection.inspect_unit(boss, unit, human_damage=True, note="scratched")
        if state == "disputed":
            task_service.answer(boss, _task_of(unit), "dispute")
        return unit
    for step in steps[1:steps.index(state) + 1]:
        if step == "inspected":
            inspection.inspect_unit(boss, unit)
        elif step == "at_factory":
            factory.dispatch_to_factory(boss, [unit], carrier="SF", waybill="DBLWB1")
        elif step == "ready_to_ship":
            factory.receive_from_factory(boss, unit, "repaired")
        elif step == "shipped":
            factory.ship_to_dealer(boss, [unit], carrier="SF", waybill="DBLWB2")
    return unit


def _task_of(unit):
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task

    return db.session.scalar(select(Task).where(Task.subject_type == "repair_unit", Task.subject_id == unit.id)
                             .order_by(Task.id.desc()))


def events(unit_or_parcel_id, action: str, *, parcel: bool = False):
    from repairs.models import RepairEvent

    column = RepairEvent.parcel_id if parcel else RepairEvent.unit_id
    return count(RepairEvent, column == unit_or_parcel_id, RepairEvent.action == action)


def shipments(leg: str):
    from shipments.models import Shipment

    return count(Shipment, Shipment.leg == leg)


# --- parcels ---------------------------------------------------------------------------


@scenario("repairs_api.Parcels")
def api_create_parcel(env, _):
    from repairs.models import ReturnParcel

    world(env)
    return Case("POST", "/api/v1/repairs/parcels", env.user("service"), count(ReturnParcel), idempotency_key=True,
                json={"dealer_code": DEALER, "lines": [{"serial": "DBLNEW1", "model": "DBL-SSD"}]})


@scenario("repairs.parcels")
def page_create_parcel(env, _):
    from repairs.models import ReturnParcel

    _, dealer = world(env)
    return Case("POST", "/repairs/parcels", env.user("service"), count(ReturnParcel), api=False, idempotency_key=True,
                form_page="/repairs/parcels",
                form={"dealer_id": str(dealer), "rows": "DBL-SSD,DBLNEW1", "inbound_waybill": "DBLIN1"})


@scenario("repairs_api.Arrival")
def api_arrival(env, _):
    from repairs.models import ReturnParcel

    world(env)
    return Case("POST", "/api/v1/repairs/parcels/arrival", env.user("clerk"), count(ReturnParcel),
                idempotency_key=True, json={"dealer_code": DEALER, "inbound_waybill": "DBLARR1"})


def _complete_receipt(env, api: bool):
    unit = unit_in(env, "received")
    rma = unit.parcel.rma_number
    path = (f"/api/v1/repairs/parcels/{rma}/complete-receipt" if api
            else f"/repairs/parcels/{rma}/complete-receipt")
    return Case("POST", path, env.user("clerk"), events(unit.parcel_id, "complete_receipt", parcel=True), api=api)


@scenario("repairs_api.CompleteReceipt")
def api_complete_receipt(env, _):
    return _complete_receipt(env, True)


@scenario("repairs.complete_receipt")
def page_complete_receipt(env, _):
    return _complete_receipt(env, False)


# --- unit steps ------------------------------------------------------------------------


@scenario("repairs_api.Receive")
def api_receive(env, _):
    """A serial not on the dealer's list, taken in as an extra unit of the parcel (declared
    units received twice at once: the scan station's test and ``unit_step``-receive)."""
    from core.tasks.models import Task
    from repairs.models import RepairUnit

    unit = unit_in(env, "declared")
    return Case("POST", "/api/v1/repairs/receive", env.user("clerk"),
                probes(count(RepairUnit, RepairUnit.serial == "DBLEXTRA1"), count(Task, Task.process == "repairs")),
                json={"serial": "DBLEXTRA1", "rma_number": unit.parcel.rma_number})


@scenario("repairs_api.Scan")
def api_scan(env, _):
    unit = unit_in(env, "received")
    return Case("POST", "/api/v1/repairs/scan", env.user("clerk"), events(unit.id, "inspect_ok"),
                json={"mode": "inspect", "code": unit.serial}, also_fine=_already_done,
                note="the same user's repeat within seconds is answered 'already_done' (a double trigger)")


def _already_done(answer) -> bool:
    return answer.status_code == 200 and answer.json().get("status") == "already_done"


@scenario("repairs_api.Inspect")
def api_inspect(env, _):
    unit = unit_in(env, "received")
    return Case("POST", f"/api/v1/repairs/units/{unit.id}/inspect", env.user("clerk"),
                probes(events(unit.id, "inspect_problem"), _tasks(unit)), json={"human_damage": True})


def _tasks(unit):
    from core.tasks.models import Task

    return count(Task, Task.subject_type == "repair_unit", Task.subject_id == unit.id)


@scenario("repairs_api.FactoryReturn")
def api_factory_return(env, _):
    unit = unit_in(env, "at_factory")
    return Case("POST", f"/api/v1/repairs/units/{unit.id}/factory-return", env.user("clerk"),
                events(unit.id, "factory_repaired"), json={"outcome": "repaired"})


@scenario("repairs_api.Dispatches")
def api_dispatch(env, _):
    unit = unit_in(env, "inspected")
    return Case("POST", "/api/v1/repairs/dispatches", env.user("clerk"),
                probes(events(unit.id, "dispatch"), shipments("hq_factory")),
                json={"serials": [unit.serial], "carrier": "SF", "waybill": "DBLWB9"})


@scenario("repairs_api.Returns")
def api_returns(env, _):
    unit = unit_in(env, "ready_to_ship")
    return Case("POST", "/api/v1/repairs/returns", env.user("clerk"),
                probes(events(unit.id, "ship"), shipments("factory_dealer")),
                json={"serials": [unit.serial], "carrier": "SF", "waybill": "DBLWB8"})


UNIT_STEPS = {
    # step -> (state before, form, probe action(s))
    "receive": ("declared", {}, ("receive",)),
    "inspect": ("received", {"human_damage": "1", "note": "dent"}, ("inspect_problem",)),
    "factory-return": ("at_factory", {"outcome": "repaired"}, ("factory_repaired",)),
    "dispatch": ("inspected", {"carrier": "SF", "waybill": "DBLWB7"}, ("dispatch",)),
    "ship": ("ready_to_ship", {"carrier": "SF", "waybill": "DBLWB6"}, ("ship",)),
}


@scenario("repairs.unit_step", variants=tuple(UNIT_STEPS))
def page_unit_step(env, step):
    state, form, actions = UNIT_STEPS[step]
    unit = unit_in(env, state)
    parts = [events(unit.id, a) for a in actions]
    if step == "dispatch":
        parts.append(shipments("hq_factory"))
    if step == "ship":
        parts.append(shipments("factory_dealer"))
    return Case("POST", f"/repairs/units/{unit.id}/{step}", env.user("clerk"), probes(*parts), api=False, form=form)


def vendor_unit(env):
    """An accepted unit of a vendor-managed (Maxell) model, with two good units in the vendor pool."""
    from core.directory.models import Vendor
    from core.extensions import db
    from inventory import service, vendor
    from inventory.models import VENDOR, Part
    from repairs import inspection, intake, receiving

    world(env)
    boss = env.admin()
    maxell = Vendor(code="DBLMX", name="Double Maxell")
    db.session.add(maxell)
    db.session.flush()
    part = Part(sku="DBL-MX-HDD", model="DBL Maxell HDD", vendor_managed=True, serialized=True, vendor_id=maxell.id)
    db.session.add(part)
    db.session.flush()
    for serial in ("DBLMXG1", "DBLMXG2"):
        service.post_movement(actor=SYSTEM, part=part, from_location=service.system_location(VENDOR),
                              to_location=vendor.pool_location(), serial=serial, reason="vendor_receipt")
    parcel = intake.create_parcel(boss, dealer_code=DEALER, lines=[{"serial": "DBLMX1", "model": "DBL Maxell HDD"}])
    unit = parcel.units[0]
    receiving.receive_unit(boss, unit.serial)
    inspection.inspect_unit(boss, unit)
    return unit


def _swapped(unit):
    """A swap's rows: its event, the pool's movement out, the shipment to the dealer."""
    from inventory.models import Movement

    return probes(events(unit.id, "vendor_swap"), count(Movement, Movement.reason == "vendor_swap"),
                  shipments("factory_dealer"))


@scenario("repairs_api.Swap")
def api_swap(env, _):
    unit = vendor_unit(env)
    return Case("POST", f"/api/v1/repairs/units/{unit.id}/swap", env.user("clerk"), _swapped(unit),
                json={"carrier": "SF", "waybill": "DBLWB5"})


@scenario("repairs.unit_step", variants=("swap",))
def page_unit_swap(env, _):
    unit = vendor_unit(env)
    return Case("POST", f"/repairs/units/{unit.id}/swap", env.user("clerk"), _swapped(unit), api=False,
                form={"carrier": "SF", "waybill": "DBLWB4"})


# --- boxes at the scan station -------------------------------------------------------------


def _open_box(env):
    """An accepted unit packed into the factory's open box; returns (unit, box)."""
    from repairs import boxes

    unit = unit_in(env, "inspected")
    return unit, boxes.add_to_box(env.admin(), unit, "to_factory").box


def _shipped(leg: str):
    from shipments.models import Shipment

    return count(Shipment, Shipment.leg == leg, Shipment.status == "shipped")


@scenario("repairs_api.BoxClose")
def api_box_close(env, _):
    unit, box = _open_box(env)
    return Case("POST", f"/api/v1/repairs/boxes/{box.id}/close", env.user("clerk"),
                probes(events(unit.id, "dispatch"), _shipped("hq_factory")),
                json={"waybill": "DBLBOX0001", "carrier": "SF"})


@scenario("repairs.box_close")
def page_box_close(env, _):
    unit, box = _open_box(env)
    return Case("POST", f"/repairs/boxes/{box.id}/close", env.user("clerk"),
                probes(events(unit.id, "dispatch"), _shipped("hq_factory")), api=False,
                form={"waybill": "DBLBOX0002", "carrier": "SF"})


# --- dealer tasks ----------------------------------------------------------------------


def _missing_task(env):
    """A task about a declared unit that did not arrive (no unit step: only the task changes)."""
    from repairs import receiving

    unit = unit_in(env, "received", extra_declared=1)
    receiving.complete_receipt(SYSTEM, unit.parcel)
    missing = next(u for u in unit.parcel.units if u.state == "missing")
    return _task_of(missing)


def _disputed_missing_task(env):
    task = _missing_task(env)
    task_service.answer(SYSTEM, task, "dispute")
    return task


@scenario("repairs_api.TaskResolve")
def api_task_resolve(env, _):
    task = _missing_task(env)
    return Case("POST", f"/api/v1/repairs/tasks/{task.id}/resolve", env.user("service"),
                audit_updates("task", task.id), json={"decision": "agreed", "note": "ok by phone"})


@scenario("repairs_api.TaskSettle")
def api_task_settle(env, _):
    task = _disputed_missing_task(env)
    return Case("POST", f"/api/v1/repairs/tasks/{task.id}/settle", env.user("supervisor"),
                audit_updates("task", task.id), json={"decision": "agreed", "note": "settled"})


@scenario("repairs.task_step", variants=("resolve", "settle"))
def page_task_step(env, verb):
    task = _missing_task(env) if verb == "resolve" else _disputed_missing_task(env)
    return Case("POST", f"/repairs/tasks/{task.id}/{verb}", env.user("supervisor"),
                audit_updates("task", task.id), api=False, form={"decision": "agreed", "note": "by phone"})


# --- prices ----------------------------------------------------------------------------


def _prices():
    from repairs.models import RepairPrice

    return count(RepairPrice)


@scenario("repairs_api.Prices")
def api_price(env, _):
    return Case("POST", "/api/v1/repairs/prices", env.user("supervisor"), _prices(), idempotency_key=True,
                json={"model": "DBL-SSD", "effective_from": "2026-12-01", "amount": 120})


@scenario("repairs_api.PriceNotice")
def api_price_notice(env, _):
    from repairs import prices

    prices.add_price(SYSTEM, model="DBL-SSD", effective_from=date(2026, 1, 1), amount="100")
    return Case("POST", "/api/v1/repairs/prices/notice", env.user("supervisor"), _prices(), idempotency_key=True,
                json={"effective_from": "2026-12-01", "delta": -10, "notice": "December notice"})


@scenario("repairs_api.PriceImport")
def api_price_import(env, _):
    sheet = "model,in force from,price\nDBL-SSD,2026-12-01,120\n".encode()
    return Case("POST", "/api/v1/repairs/prices/import", env.user("supervisor"), _prices(), idempotency_key=True,
                files={"file": ("prices.csv", sheet, "text/csv")})


@scenario("repairs.prices")
def page_price(env, _):
    return Case("POST", "/repairs/prices", env.user("supervisor"), _prices(), api=False, idempotency_key=True,
                form_page="/repairs/prices",
                form={"model": "DBL-SSD", "effective_from": "2026-12-01", "amount": "120", "notice": "list"})


@scenario("repairs.serial_patterns")
def page_serial_pattern(env, _):
    from repairs.models import SerialPattern

    return Case("POST", "/repairs/serial-patterns", env.user("supervisor"), count(SerialPattern), api=False,
                idempotency_key=True, form_page="/repairs/serial-patterns",
                form={"applies_to": "DBL-SSD", "mask": "SN########", "note": "label on the back"})


@scenario("repairs.remove_serial_pattern")
def page_remove_serial_pattern(env, _):
    from repairs import code_shapes

    row = code_shapes.add_pattern(SYSTEM, applies_to="DBL-SSD", mask="SN######")
    return Case("POST", f"/repairs/serial-patterns/{row.id}/remove", env.user("supervisor"),
                audit_updates("serial_pattern", row.id), api=False)
