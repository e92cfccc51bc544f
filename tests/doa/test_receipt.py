"""Apply first, ship after; the receipt checked against the application; freight on the sales account."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.doa.conftest import DEALER_CODE, approve, new_application


@pytest.fixture()
def pending(app, world):
    """A submitted (not yet approved) application with units SN1, SN2."""
    from core.extensions import db

    with app.app_context():
        row = new_application(serials=("SN1", "SN2"))
        db.session.commit()
        return row.number


@pytest.fixture()
def approved(app, world):
    from core.extensions import db

    with app.app_context():
        row = approve(new_application(serials=("SN1", "SN2")))
        db.session.commit()
        return row.number


def _app(app, number):
    from doa import lookup

    with app.app_context():
        row = lookup.application_by_number(number)
        return {"state": row.state, "arrived": [u.serial for u in row.units if u.arrived_at],
                "findings": row.receipt_findings, "shipment": row.inbound_shipment_id,
                "due": row.replacement_due}


def _holds(app):
    from core.extensions import db
    from doa.models import DoaHold

    with app.app_context():
        return [(h.serial, h.reason, h.status) for h in db.session.scalars(select(DoaHold).order_by(DoaHold.id))]


def _tasks(app):
    from core.extensions import db
    from core.tasks.models import Task

    with app.app_context():
        return [(t.kind, t.status) for t in db.session.scalars(select(Task).where(Task.process == "doa").order_by(Task.id))]


# --------------------------------------------------------------------------- before approval

def test_an_unapproved_arrival_is_refused_as_doa_and_nothing_is_lost(app, bearer, pending):
    clerk = bearer("clerk")
    resp = clerk.post("/api/v1/doa/scan", json={"code": "sn1"})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "refused"
    assert "NOT accepted as DOA" in body["message"]
    assert body["options"] == ["repair", "set_aside"]
    # The application is untouched: still waiting for approval, nothing arrived on it.
    assert _app(app, pending)["state"] == "submitted"
    assert _app(app, pending)["arrived"] == []
    # The unit is recorded (who, when, which application) with a same-day dealer task.
    assert _holds(app) == [("SN1", "not_approved", "held")]
    assert _tasks(app) == [("unapproved_arrival", "open")]
    detail = clerk.get(f"/api/v1/doa/applications/{pending}").get_json()
    assert detail["history"][-1]["action"] == "arrived_unapproved"
    # Scanning it again is "already held", not a second hold.
    again = clerk.post("/api/v1/doa/scan", json={"code": "SN1"}).get_json()
    assert again["status"] == "already_done"
    assert len(_holds(app)) == 1


def test_the_receipt_form_on_an_unapproved_application_holds_the_units(app, bearer, pending):
    resp = bearer("clerk").post(f"/api/v1/doa/applications/{pending}/receipt", json={"serials": ["SN1", "SN2"]})
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["accepted"] is False
    assert [h["serial"] for h in body["holds"]] == ["SN1", "SN2"]
    assert _app(app, pending)["state"] == "submitted"
    assert len(_tasks(app)) == 2


def test_a_unit_without_any_application_is_held_too(app, world, bearer):
    body = bearer("clerk").post("/api/v1/doa/scan", json={"code": "NOAPP1"}).get_json()
    assert body["status"] == "refused" and body["hold"]["reason"] == "no_application"


def test_a_held_unit_becomes_an_ordinary_repair(app, bearer, pending):
    clerk = bearer("clerk")
    hold_id = clerk.post("/api/v1/doa/scan", json={"code": "SN1"}).get_json()["hold"]["id"]
    resp = clerk.post(f"/api/v1/doa/holds/{hold_id}/repair", json={})
    assert resp.status_code == 201, resp.get_json()
    rma = resp.get_json()["rma_number"]
    from repairs import service

    with app.app_context():
        unit = service.unit_by_serial("SN1")
        assert unit.parcel.rma_number == rma
        assert unit.state == "received" and unit.model == "SSD A400 240G"
        assert unit.parcel.dealer.code == DEALER_CODE
    assert _holds(app) == [("SN1", "not_approved", "repair")]
    # A second decision on the same hold is refused and changes nothing.
    again = clerk.post(f"/api/v1/doa/holds/{hold_id}/set-aside", json={"note": "x"})
    assert again.status_code == 409
    assert _holds(app) == [("SN1", "not_approved", "repair")]


def test_a_held_unit_without_dealer_needs_the_dealer_code_to_become_a_repair(app, world, bearer):
    clerk = bearer("clerk")
    hold_id = clerk.post("/api/v1/doa/scan", json={"code": "NOAPP1"}).get_json()["hold"]["id"]
    missing = clerk.post(f"/api/v1/doa/holds/{hold_id}/repair", json={"model": "U盘"})
    assert missing.status_code == 422 and "dealer_code" in missing.get_json()["errors"]
    ok = clerk.post(f"/api/v1/doa/holds/{hold_id}/repair", json={"model": "U盘", "dealer_code": DEALER_CODE})
    assert ok.status_code == 201


def test_a_held_unit_can_be_set_aside_with_a_note(app, world, bearer, pending, signed_in):
    clerk = bearer("clerk")
    hold_id = clerk.post("/api/v1/doa/scan", json={"code": "SN2"}).get_json()["hold"]["id"]
    assert clerk.post(f"/api/v1/doa/holds/{hold_id}/set-aside", json={"note": ""}).status_code == 422
    resp = clerk.post(f"/api/v1/doa/holds/{hold_id}/set-aside", json={"note": "退回代理商,待申请"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "set_aside"
    page = signed_in("clerk").get("/doa/holds?status=set_aside").get_data(as_text=True)
    assert "SN2" in page and "退回代理商" in page


def test_the_held_units_page_turns_a_unit_into_a_repair(app, bearer, pending, signed_in):
    bearer("clerk").post("/api/v1/doa/scan", json={"code": "SN1"})
    client = signed_in("clerk")
    page = client.get("/doa/holds").get_data(as_text=True)
    assert "SN1" in page and "not approved yet" in page
    from core.extensions import db
    from doa.models import DoaHold

    with app.app_context():
        hold_id = db.session.scalar(select(DoaHold.id))
    resp = client.submit(f"/doa/holds/{hold_id}/repair", {}, form_page="/doa/holds")
    assert resp.status_code == 302
    assert "is now an ordinary repair on RMA" in client.get("/doa/holds").get_data(as_text=True)


# --------------------------------------------------------------------------- approved receipt

def test_an_approved_parcel_is_received_at_the_scan_station(app, bearer, approved):
    clerk = bearer("clerk")
    ctx = clerk.post("/api/v1/doa/scan", json={"code": approved}).get_json()
    assert ctx["status"] == "context" and ctx["context"] == approved
    one = clerk.post("/api/v1/doa/scan", json={"code": "SN1", "context": approved}).get_json()
    two = clerk.post("/api/v1/doa/scan", json={"code": "SN2", "context": approved}).get_json()
    assert one["status"] == two["status"] == "done"
    repeat = clerk.post("/api/v1/doa/scan", json={"code": "SN2", "context": approved}).get_json()
    assert repeat["status"] == "already_done"
    done = clerk.post("/api/v1/doa/scan", json={"code": approved, "context": approved}).get_json()
    assert done["status"] == "done" and done["context"] is None
    assert "Receipt of" in done["message"] and "Replacement due" in done["message"]
    state = _app(app, approved)
    assert state["state"] == "received" and state["findings"] == []
    assert _holds(app) == [] and _tasks(app) == []


def test_inbound_freight_is_charged_to_the_sales_account(app, bearer, approved):
    resp = bearer("clerk").post(f"/api/v1/doa/applications/{approved}/receipt", json={
        "serials": ["SN1", "SN2"], "waybill": "sf123456789", "carrier": "顺丰", "freight_cost": "18.50"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["accepted"] is True, body
    assert body["application"]["state"] == "received"
    from core.extensions import db
    from shipments.models import Shipment

    with app.app_context():
        shipment = db.session.scalar(select(Shipment).where(Shipment.number == body["application"]["inbound_shipment"]))
        assert (shipment.leg, shipment.paying_account, shipment.status) == ("dealer_hq", "sales", "received")
        assert shipment.waybill == "SF123456789" and str(shipment.freight_cost) == "18.50"
        assert sorted(line.serial for line in shipment.lines) == ["SN1", "SN2"]


@pytest.mark.parametrize(("serials", "damage", "kind", "finding"), [
    (["SN1"], [], "mismatch", ("missing", "SN2")),
    (["SN1", "SN2", "SN3"], [], "mismatch", ("extra", "SN3")),
    (["SN1", "SN2"], ["SN2"], "human_damage", ("human_damage", "SN2")),
])
def test_a_receipt_not_as_applied_opens_a_same_day_dealer_task(app, bearer, approved, serials, damage, kind, finding):
    resp = bearer("clerk").post(f"/api/v1/doa/applications/{approved}/receipt",
                                json={"serials": serials, "human_damage": damage})
    assert resp.status_code == 200
    state = _app(app, approved)
    assert state["state"] == "receipt_problem"
    assert (state["findings"][0]["kind"], state["findings"][0]["serial"]) == finding
    assert _tasks(app) == [(kind, "open")]


def test_the_dealer_agrees_and_the_doa_proceeds(app, bearer, approved):
    bearer("clerk").post(f"/api/v1/doa/applications/{approved}/receipt", json={"serials": ["SN1"]})
    task = bearer("service").get("/api/v1/doa/tasks").get_json()["items"][0]
    wrong = bearer("service").post(f"/api/v1/doa/tasks/{task['id']}/resolve", json={"decision": "agreed"})
    assert wrong.status_code == 422
    ok = bearer("service").post(f"/api/v1/doa/tasks/{task['id']}/resolve",
                                json={"decision": "proceed", "note": "代理商确认只寄一台"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "agreed"
    assert _app(app, approved)["state"] == "received"


def test_a_dispute_goes_to_the_supervisor(app, bearer, approved):
    bearer("clerk").post(f"/api/v1/doa/applications/{approved}/receipt",
                         json={"serials": ["SN1", "SN2"], "human_damage": ["SN1"]})
    task_id = bearer("service").get("/api/v1/doa/tasks").get_json()["items"][0]["id"]
    bearer("service").post(f"/api/v1/doa/tasks/{task_id}/resolve", json={"decision": "dispute", "note": "代理商不认"})
    assert _app(app, approved)["state"] == "disputed"
    assert bearer("service").post(f"/api/v1/doa/tasks/{task_id}/settle",
                                  json={"decision": "not_doa"}).status_code == 403
    resp = bearer("supervisor").post(f"/api/v1/doa/tasks/{task_id}/settle", json={"decision": "not_doa"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "resolved"
    assert _app(app, approved)["state"] == "rejected"


def test_receipt_steps_are_for_the_warehouse_and_cs_only(app, bearer, approved):
    for role in ("channel", "sales", "purchasing", "office-bj"):
        resp = bearer(role).post(f"/api/v1/doa/applications/{approved}/receipt", json={"serials": ["SN1"]})
        assert resp.status_code == 403
        assert bearer(role).post("/api/v1/doa/scan", json={"code": "SN1"}).status_code == 403
    assert _app(app, approved)["state"] == "approved"


def test_the_sales_head_signs_for_the_receipt(app, bearer, approved):
    early = bearer("sales").post(f"/api/v1/doa/applications/{approved}/sales-signoff", json={})
    assert early.status_code == 409
    bearer("clerk").post(f"/api/v1/doa/applications/{approved}/receipt", json={"serials": ["SN1", "SN2"]})
    for role in ("service", "clerk", "channel", "finance"):
        assert bearer(role).post(f"/api/v1/doa/applications/{approved}/sales-signoff", json={}).status_code == 403
    ok = bearer("sales").post(f"/api/v1/doa/applications/{approved}/sales-signoff", json={"note": "已签收"})
    assert ok.status_code == 200
    assert ok.get_json()["sales_signed_by"] == "sales" and ok.get_json()["sales_signed_at"]
    assert ok.get_json()["history"][-1]["action"] == "sales_signoff"
    assert bearer("sales").post(f"/api/v1/doa/applications/{approved}/sales-signoff", json={}).status_code == 409


def test_the_receive_station_page_feeds_back_in_big_letters(app, pending, signed_in):
    client = signed_in("clerk")
    resp = client.submit("/doa/receive", {"code": "SN1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "NOT accepted as DOA" in page and 'class="feedback bad"' in page
    unknown = client.submit("/doa/receive", {"code": "DOA2601-0099"})
    assert unknown.status_code == 404 and "No DOA application numbered DOA2601-0099" in unknown.get_data(as_text=True)
    from core.extensions import db
    from doa.models import DoaHold

    with app.app_context():
        assert db.session.scalar(select(func.count(DoaHold.id))) == 1
