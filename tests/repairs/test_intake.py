"""Done-when: a parcel declared with 5 units of which 4 arrive, one with human damage and one
out of warranty: the discrepancy, the task, the quote and every due date."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.authz import SYSTEM
from tests.repairs.conftest import at, five_lines

MONDAY = date(2026, 11, 16)


def _scenario(world):
    from core.extensions import db
    from repairs import inspection, intake, receiving

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, inbound_waybill="SF1234567890",
                                   lines=five_lines(), at=at(MONDAY, 9))
    for serial in ("SN0001", "SN0002", "SN0003", "SN0004"):
        receiving.receive_unit(SYSTEM, serial, parcel, at=at(MONDAY, 10))
    receiving.complete_receipt(SYSTEM, parcel, at=at(MONDAY, 11))
    units = {u.serial: u for u in parcel.units}
    # Tuesday: CS acceptance. SN0002 has human damage; SN0003 is out of warranty.
    inspection.inspect_unit(SYSTEM, units["SN0001"], at=at(MONDAY.replace(day=17), 9))
    inspection.inspect_unit(SYSTEM, units["SN0002"], human_damage=True, at=at(MONDAY.replace(day=17), 9))
    inspection.inspect_unit(SYSTEM, units["SN0003"], out_of_warranty=True, at=at(MONDAY.replace(day=17), 9))
    inspection.inspect_unit(SYSTEM, units["SN0004"], at=at(MONDAY.replace(day=17), 9))
    db.session.commit()
    return parcel.rma_number


def test_five_declared_four_arrive(app, world, prices, login):
    from core.extensions import db
    from core.tasks import service as task_service
    from core.tasks.models import Task
    from repairs import dealer_tasks, service

    with app.app_context():
        rma = _scenario(world)
        parcel = service.parcel_by_rma(rma)
        units = {u.serial: u for u in parcel.units}
        assert rma.startswith("RMA2611-")
        states = {s: u.state for s, u in units.items()}
        assert states == {"SN0001": "inspected", "SN0002": "awaiting_dealer", "SN0003": "awaiting_dealer",
                          "SN0004": "inspected", "SN0005": "missing"}
        # Dispatch is due 2 working days after receipt (Mon -> Wed) for every arrived unit.
        for serial in ("SN0001", "SN0002", "SN0003", "SN0004"):
            assert units[serial].dispatch_due == date(2026, 11, 18)
            # Ship-back: 7 working days after acceptance on Tue 17th -> Thu 26th.
            assert units[serial].ship_due == date(2026, 11, 26)
        assert units["SN0005"].dispatch_due is None and units["SN0005"].next_due is None
        # Quotes from the price list: damaged A400 240G at the model's own price, the U盘 at the default.
        assert units["SN0002"].quote_amount == Decimal("120.00")
        assert units["SN0003"].quote_amount == Decimal("100.00")
        assert units["SN0001"].quote_amount is None
        tasks = list(db.session.scalars(select(Task).where(Task.process == "repairs").where(Task.case_type == "return_parcel", Task.case_id == parcel.id).order_by(Task.id)))
        assert [(t.kind, dealer_tasks.task_unit(t).serial, t.status) for t in tasks] == [
            ("missing", "SN0005", "open"), ("human_damage", "SN0002", "open"), ("out_of_warranty", "SN0003", "open")]
        # Each task is due the day the discrepancy was found.
        assert [t.due_on for t in tasks] == [MONDAY, date(2026, 11, 17), date(2026, 11, 17)]
        assert "120.00" in task_service.task_detail(tasks[1])

    # Service staff see the same through the parcel page and the API.
    client = login("service")
    page = client.get(f"/repairs/parcels/{rma}").get_data(as_text=True)
    assert "SN0005" in page and "missing" in page and "120.00" in page
    body = client.get(f"/api/v1/repairs/parcels/{rma}").json
    by_serial = {u["serial"]: u for u in body["units"]}
    assert by_serial["SN0003"]["quote_amount"] == "100.00"
    assert by_serial["SN0001"]["next_due"] == "2026-11-18"


def test_quote_keeps_the_price_in_force_on_the_intake_day(app, world, prices, api_as):
    """A later notice ("every repair 10 RMB cheaper from a date") changes new quotes only."""
    from repairs import inspection, intake, prices, receiving, service

    with app.app_context():
        rma = _scenario(world)
    supervisor = api_as("supervisor")
    resp = supervisor.post("/api/v1/repairs/prices/notice",
                           json={"effective_from": "2026-11-20", "delta": "-10", "notice": "每项维修下降人民币10元整"})
    assert resp.status_code == 201, resp.json
    assert sorted(r["amount"] for r in resp.json) == ["110.00", "90.00"]
    with app.app_context():
        from core.extensions import db

        parcel = service.parcel_by_rma(rma)
        units = {u.serial: u for u in parcel.units}
        assert units["SN0003"].quote_amount == Decimal("100.00")  # the old quote stands
        assert prices.price_in_force("U盘 DT 32G", date(2026, 11, 19)).amount == Decimal("100.00")
        assert prices.price_in_force("U盘 DT 32G", date(2026, 11, 20)).amount == Decimal("90.00")
        second = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[
            {"model": "U盘 DT 32G", "serial": "SN0100", "warranty_claimed": False}], at=at(date(2026, 11, 23), 9))
        receiving.receive_unit(SYSTEM, "SN0100", second, at=at(date(2026, 11, 23), 10))
        unit = second.units[0]
        inspection.inspect_unit(SYSTEM, unit, out_of_warranty=True, at=at(date(2026, 11, 23), 11))
        assert unit.quote_amount == Decimal("90.00")
        db.session.rollback()


def test_dealer_answers_and_supervisor_settles_a_dispute(app, world, prices, api_as):
    from core.tasks.models import Task
    from repairs import service

    with app.app_context():
        from core.extensions import db

        rma = _scenario(world)
        tasks = {t.kind: t.id for t in db.session.scalars(select(Task).where(Task.process == "repairs"))}
    desk = api_as("service")
    boss = api_as("supervisor")
    # The dealer accepts the paid repair of the out-of-warranty unit.
    resp = desk.post(f"/api/v1/repairs/tasks/{tasks['out_of_warranty']}/resolve", json={"decision": "repair",
                                                                                        "note": "王先生同意付费维修"})
    assert resp.status_code == 200 and resp.json["status"] == "agreed"
    # "agreed" is not an answer for a held unit: 422, nothing changes.
    resp = desk.post(f"/api/v1/repairs/tasks/{tasks['human_damage']}/resolve", json={"decision": "agreed"})
    assert resp.status_code == 422
    # The dealer disputes the human damage: it goes to the supervisor's queue.
    resp = desk.post(f"/api/v1/repairs/tasks/{tasks['human_damage']}/resolve", json={"decision": "dispute"})
    assert resp.status_code == 200 and resp.json["status"] == "disputed"
    queue = boss.get("/api/v1/repairs/tasks?status=disputed").json
    assert [t["serial"] for t in queue["items"]] == ["SN0002"]
    assert desk.post(f"/api/v1/repairs/tasks/{tasks['human_damage']}/settle", json={"decision": "repair"}).status_code == 403
    resp = boss.post(f"/api/v1/repairs/tasks/{tasks['human_damage']}/settle", json={"decision": "return"})
    assert resp.status_code == 200 and resp.json["status"] == "resolved"
    # A settled task cannot be settled twice.
    assert boss.post(f"/api/v1/repairs/tasks/{tasks['human_damage']}/settle", json={"decision": "repair"}).status_code == 409
    # The missing unit: the dealer agrees it was never sent.
    assert desk.post(f"/api/v1/repairs/tasks/{tasks['missing']}/resolve", json={"decision": "agreed"}).status_code == 200
    with app.app_context():
        units = {u.serial: u for u in service.parcel_by_rma(rma).units}
        assert units["SN0003"].state == "inspected" and units["SN0003"].dealer_decision == "repair"
        assert units["SN0002"].state == "ready_to_ship" and units["SN0002"].dealer_decision == "return"
        actions = [e.action for e in service.timeline(units["SN0002"])]
        assert actions == ["declare", "receive", "inspect_problem", "dispute", "settle_return"]


def test_extra_unit_and_late_arrival(app, world, api_as):
    clerk = api_as("clerk")
    desk = api_as("service")
    rma = desk.post("/api/v1/repairs/parcels", json={"dealer_code": "D0001", "lines": [
        {"model": "M1", "serial": "A1"}, {"model": "M1", "serial": "A2"}]}).json["rma_number"]
    # An undeclared serial needs the parcel.
    resp = clerk.post("/api/v1/repairs/receive", json={"serial": "XTRA1"})
    assert resp.status_code == 404 and "RMA" in resp.json["message"]
    resp = clerk.post("/api/v1/repairs/receive", json={"serial": "XTRA1", "rma_number": rma})
    assert resp.status_code == 200 and resp.json["declared"] is False and resp.json["state"] == "received"
    assert clerk.post("/api/v1/repairs/receive", json={"serial": "A1"}).status_code == 200
    # A2 is still expected: the receipt is completed only when the clerk confirms it.
    assert clerk.post(f"/api/v1/repairs/parcels/{rma}/complete-receipt").status_code == 409
    confirm = {"confirm_missing": True}
    assert clerk.post(f"/api/v1/repairs/parcels/{rma}/complete-receipt", json=confirm).status_code == 200
    assert clerk.post(f"/api/v1/repairs/parcels/{rma}/complete-receipt", json=confirm).status_code == 409
    tasks = desk.get("/api/v1/repairs/tasks").json["items"]
    assert sorted((t["kind"], t["serial"]) for t in tasks) == [("extra", "XTRA1"), ("missing", "A2")]
    # The missing unit turns up later after all.
    resp = clerk.post("/api/v1/repairs/receive", json={"serial": "A2"})
    assert resp.status_code == 200 and resp.json["state"] == "received"


def test_bad_parcels_are_refused_and_change_nothing(app, world, api_as):
    desk = api_as("service")
    resp = desk.post("/api/v1/repairs/parcels", json={"dealer_id": 999, "lines": []})
    assert resp.status_code == 422 and "dealer" in resp.json["errors"]
    resp = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "M", "serial": "S1"}, {"model": "M", "serial": "S1"}, {"model": "M", "serial": "bad serial!"}]})
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == {"lines.1", "lines.2"}
    resp = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "bogus": 1})
    assert resp.status_code == 422
    assert desk.get("/api/v1/repairs/parcels").json["items"] == []


def test_parcel_from_pasted_rows_and_xlsx(app, world, login):
    import io

    from openpyxl import Workbook

    client = login("service")
    rows = "型号,序列号,故障,保修\nSSD A400,XA1,无法识别,是\nSSD A400,XA2,掉盘,否\n"
    resp = client.submit("/repairs/parcels", {"dealer_id": str(world.dealer_bj), "rows": rows,
                                               "inbound_waybill": "YT778899"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "XA1" in page and "XA2" in page and "YT778899" in page

    book = Workbook()
    sheet = book.active
    sheet.append(["Model", "Serial", "Fault", "Warranty"])
    sheet.append(["TF 64G", "XB1", "slow", "yes"])
    buf = io.BytesIO()
    book.save(buf)
    resp = client.submit("/repairs/parcels", {"dealer_id": str(world.dealer_bj), "rows": "",
                                               "file": (io.BytesIO(buf.getvalue()), "list.xlsx")},
                         content_type="multipart/form-data")
    assert resp.status_code == 302
    assert "XB1" in client.get(resp.headers["Location"]).get_data(as_text=True)

    # A broken list: a readable message, no parcel.
    resp = client.submit("/repairs/parcels", {"dealer_id": str(world.dealer_bj), "rows": "M,,x\n"})
    assert resp.status_code == 422
    assert "Serial is required" in resp.get_data(as_text=True)
    api = client.get("/api/v1/repairs/parcels").json
    assert len(api["items"]) == 2 and api["next"] is None
