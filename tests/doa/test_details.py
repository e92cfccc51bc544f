"""Smaller promises: concurrent steps, cancelling, tasks on the page, helpers the scan station and labels use."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.errors import Forbidden, InvalidTransition
from tests.doa.conftest import DEALER_CODE, approve, new_application


def test_a_step_taken_on_a_stale_page_reports_the_real_state_and_changes_nothing(ctx, world, user):
    from core.extensions import db
    from doa import approvals
    from doa.models import DoaApplication, DoaEvent

    app = new_application()
    # Someone else refused it a moment ago; this session still holds the old state.
    table = DoaApplication.__table__
    db.session.execute(update(table).where(table.c.id == app.id).values(state="refused"))
    assert app.state == "submitted"
    with pytest.raises(InvalidTransition) as caught:
        approvals.decide(user("product"), app, "product", "approve")
    assert caught.value.extra["current_state"] == "refused"
    assert app.state == "refused"
    assert [e.action for e in db.session.scalars(select(DoaEvent))] == ["apply"]


def test_cs_cancels_before_the_unit_arrives_with_a_reason(app, world, bearer):
    with app.app_context():
        from core.extensions import db

        number = new_application().number
        db.session.commit()
    path = f"/api/v1/doa/applications/{number}/cancel"
    assert bearer("channel").post(path, json={"reason": "x"}).status_code == 403
    assert bearer("service").post(path, json={"reason": " "}).status_code == 422
    body = bearer("service").post(path, json={"reason": "代理商撤回"}).get_json()
    assert body["state"] == "cancelled" and body["closed_reason"] == "代理商撤回"
    # A unit sent anyway is held, not accepted.
    scan = bearer("clerk").post("/api/v1/doa/scan", json={"code": "SN0001"}).get_json()
    assert scan["status"] == "refused" and scan["hold"]["reason"] == "closed"


def test_unknown_numbers_and_ids_are_404(app, world, bearer):
    assert bearer("service").get("/api/v1/doa/applications/DOA2601-9999").status_code == 404
    assert bearer("service").post("/api/v1/doa/tasks/999/resolve", json={"decision": "agreed"}).status_code == 404
    assert bearer("clerk").post("/api/v1/doa/holds/999/set-aside", json={"note": "x"}).status_code == 404
    assert bearer("service").get("/api/v1/doa/attachments/999").status_code == 404
    huge = 2**70
    assert bearer("clerk").post(f"/api/v1/doa/holds/{huge}/repair", json={}).status_code == 404
    assert bearer("service").get(f"/api/v1/doa/attachments/{huge}").status_code == 404
    assert bearer("service").get("/api/v1/doa/applications?per_page=99999999999999999999").status_code == 422
    resp = bearer("service").post("/api/v1/doa/applications", json={
        "dealer_id": huge, "request": "refund", "purchase_date": "2026-09-01", "fault": "x",
        "units": [{"serial": "S1", "model": "M"}]})
    assert resp.status_code == 422 and "dealer_id" in resp.get_json()["errors"]  # beyond every id: the field is refused


def test_the_dealer_task_is_answered_on_the_page(app, world, signed_in):
    from core.accounts.service import get_user
    from core.extensions import db
    from doa import lookup, receipt, tasks

    with app.app_context():
        row = approve(new_application(serials=("SN1", "SN2")))
        receipt.receive(get_user("clerk"), row, ["SN1"])
        db.session.commit()
        number = row.number
        task_id = tasks.tasks_of(row)[0].id
    client = signed_in("service")
    page = client.get("/tasks?process=doa").get_data(as_text=True)
    assert number in page and "SN2: missing" in page
    resp = client.submit(f"/doa/tasks/{task_id}/resolve", {"decision": "proceed", "note": "只寄了一台"},
                         form_page="/tasks?process=doa")
    assert resp.status_code == 302
    with app.app_context():
        assert lookup.application_by_number(number).state == "received"
    # Answering twice is refused with a message, not a crash.
    again = client.submit(f"/doa/tasks/{task_id}/resolve", {"decision": "dispute"}, form_page="/tasks?process=doa")
    assert again.status_code == 303
    assert "already agreed" in client.get("/tasks?process=doa").get_data(as_text=True)


def test_scan_station_view_has_the_repairs_station_shape(ctx, world, user):
    from doa import receipt

    app = approve(new_application(serials=("SN1",)))
    view = receipt.scan_station_view(receipt.scan_doa_arrival(user("clerk"), "SN1"))
    assert view["status"] == "done" and view["context"] == app.number
    assert view["unit"]["serial"] == "SN1" and view["unit"]["rma_number"] == app.number
    held = receipt.scan_station_view(receipt.scan_doa_arrival(user("clerk"), "UNKNOWN9"))
    assert held["status"] == "refused" and held["unit"]["serial"] == "UNKNOWN9"


def test_label_data_for_an_application_and_its_units(ctx, world, user):
    from doa import label_data

    app = new_application(serials=("SN1", "SN2"))
    labels = label_data.label_data(user("clerk"), app.number)
    assert [item["code"] for item in labels] == [app.number, "SN1", "SN2"]
    assert "not accepted as DOA" in labels[0]["notice"]
    with pytest.raises(Forbidden):
        label_data.label_data(user("channel"), app.number)


def test_a_dealer_from_another_office_cannot_be_used_by_an_office_bound_search(ctx, world, user):
    from doa import lookup

    new_application(dealer_code="D0002", serials=("SH1",))
    assert lookup.find_doa("SH1", actor=user("office-bj")) == []
    assert [a.dealer.code for a in lookup.find_doa("SH1", actor=user("office-sh"))] == ["D0002"]
    assert DEALER_CODE != "D0002"
