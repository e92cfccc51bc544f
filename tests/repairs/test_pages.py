"""Prices page, tasks page, scan-station nav, and the demo loader."""
from __future__ import annotations

from core.authz import SYSTEM


def test_prices_page_supervisor_adds_and_notices(app, world, login):
    boss = login("supervisor")
    resp = boss.submit("/repairs/prices", {"kind": "price", "model": "*", "effective_from": "2012-01-01", "amount": "100"})
    assert resp.status_code == 302
    resp = boss.submit("/repairs/prices", {"kind": "notice", "effective_from": "2012-02-06", "delta": "-10",
                                           "notice": "每项维修下降人民币10元整"})
    assert resp.status_code == 302
    page = boss.get("/repairs/prices").get_data(as_text=True)
    assert "100.00" in page and "90.00" in page and "2012-02-06" in page
    resp = boss.submit("/repairs/prices", {"kind": "price", "model": "X", "effective_from": "06/02/2012", "amount": "1"},
                       follow_redirects=True)
    assert resp.history[0].status_code == 303 and "YYYY-MM-DD" in resp.get_data(as_text=True)
    resp = boss.submit("/repairs/prices", {"kind": "price", "model": "X", "effective_from": "2012-01-01", "amount": "ten"},
                       follow_redirects=True)
    assert resp.history[0].status_code == 303 and "Not a valid amount" in resp.get_data(as_text=True)
    desk = login("service")
    assert desk.get("/repairs/prices").status_code == 200
    assert desk.submit("/repairs/prices", {"kind": "price", "model": "Y", "effective_from": "2012-01-01",
                                           "amount": "5"}).status_code == 403


def test_tasks_page_answer_and_dispute(app, world, login, api_as):
    desk_api = api_as("service")
    rma = desk_api.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "X", "serial": "T1"}, {"model": "X", "serial": "T2"}]}).json["rma_number"]
    clerk = api_as("clerk")
    clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "T1"})
    clerk.post("/api/v1/repairs/scan", json={"mode": "inspect", "code": "T1", "findings": ["no_stock"]})
    clerk.post(f"/api/v1/repairs/parcels/{rma}/complete-receipt", json={"confirm_missing": True})
    desk = login("service")
    page = desk.get("/tasks?process=repairs").get_data(as_text=True)
    assert "T1" in page and "T2" in page and "已无库存" in page
    tasks = {t["serial"]: t["id"] for t in desk_api.get("/api/v1/repairs/tasks").json["items"]}
    resp = desk.submit(f"/repairs/tasks/{tasks['T1']}/resolve", {"decision": "return", "note": "退回"},
                       form_page="/tasks?process=repairs")
    assert resp.status_code == 302
    resp = desk.submit(f"/repairs/tasks/{tasks['T2']}/resolve", {"decision": "dispute"}, form_page="/tasks?process=repairs")
    assert resp.status_code == 302
    assert "T2" in login("supervisor").get("/tasks?process=repairs&status=disputed").get_data(as_text=True)
    unit = desk_api.get("/api/v1/repairs/units?q=T1").json[0]
    assert unit["state"] == "ready_to_ship"


def test_nav_shows_repairs_by_role(app, login):
    home = login("clerk").get("/").get_data(as_text=True)
    assert "Scan station" in home
    home = login("supervisor").get("/").get_data(as_text=True)
    assert "Overdue repairs" in home and ">Tasks<" in home


def test_demo_loader_makes_realistic_states(app):
    from collections import Counter

    from sqlalchemy import select

    from core.demo import load_demo
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        load_demo(seed=7, echo=lambda *_: None)
        db.session.commit()
        states = Counter(db.session.scalars(select(RepairUnit.state)))
        assert states["shipped"] > 0 and states["at_factory"] > 0 and states["received"] + states["inspected"] > 0
        from repairs.overdue import overdue_units

        assert overdue_units(SYSTEM)  # some work is late, for the supervisor's page
