"""Channel and product approve (either order) or refuse with a reason; each step only for its department."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.authz import SYSTEM
from tests.doa.conftest import DEALER_CODE, at, new_application

GOOD = {"dealer_code": DEALER_CODE, "request": "replacement", "purchase_date": "2026-09-01",
        "fault": "开箱无法识别", "units": [{"serial": "SN1", "model": "SSD A400 240G"}]}


@pytest.fixture()
def number(world, bearer):
    return bearer("service").post("/api/v1/doa/applications", json=GOOD).get_json()["number"]


def _state(app, number):
    from doa import lookup

    with app.app_context():
        return lookup.application_by_number(number).state


@pytest.mark.parametrize("step,department", [("channel", "channel"), ("product", "product")])
@pytest.mark.parametrize("outsider", ["service", "clerk", "supervisor", "finance", "commerce", "sales",
                                      "purchasing", "office-bj", "other-department"])
def test_each_approval_is_refused_to_a_user_without_that_departments_role(app, bearer, number, step, department,
                                                                          outsider):
    if outsider == "other-department":
        outsider = "product" if department == "channel" else "channel"
    resp = bearer(outsider).post(f"/api/v1/doa/applications/{number}/{step}", json={"decision": "approve"})
    assert resp.status_code == 403
    assert _state(app, number) == "submitted"


@pytest.mark.parametrize("first,second", [("channel", "product"), ("product", "channel")])
def test_both_departments_approve_in_either_order(app, bearer, number, first, second):
    one = bearer(first).post(f"/api/v1/doa/applications/{number}/{first}", json={"decision": "approve"})
    assert one.status_code == 200
    assert one.get_json()["state"] == f"{first}_approved"
    two = bearer(second).post(f"/api/v1/doa/applications/{number}/{second}", json={"decision": "approve"})
    body = two.get_json()
    assert body["state"] == "approved"
    assert body["channel_by"] == "channel" and body["product_by"] == "product"
    assert body["channel_at"] and body["product_at"] and body["approved_at"]
    again = bearer(first).post(f"/api/v1/doa/applications/{number}/{first}", json={"decision": "approve"})
    assert again.status_code == 409
    assert again.get_json()["current_state"] == "approved"


def test_a_refusal_needs_a_reason(app, bearer, number):
    resp = bearer("channel").post(f"/api/v1/doa/applications/{number}/channel", json={"decision": "refuse"})
    assert resp.status_code == 422
    assert "reason" in resp.get_json()["errors"]
    assert _state(app, number) == "submitted"


def test_a_refused_application_ends_and_opens_a_same_day_dealer_task(app, bearer, number):
    resp = bearer("product").post(f"/api/v1/doa/applications/{number}/product",
                                  json={"decision": "refuse", "reason": "外壳磕碰,非开箱故障"})
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["state"] == "refused"
    assert body["product_decision"] == "refused" and body["product_reason"] == "外壳磕碰,非开箱故障"
    assert body["allowed_actions"] == []
    late = bearer("channel").post(f"/api/v1/doa/applications/{number}/channel", json={"decision": "approve"})
    assert late.status_code == 409
    assert late.get_json()["current_state"] == "refused" and late.get_json()["allowed"] == []
    tasks = bearer("service").get("/api/v1/doa/tasks").get_json()["items"]
    assert [(t["kind"], t["application"]) for t in tasks] == [("refused", number)]
    from core.calendar import local_today

    assert tasks[0]["due_on"] == local_today().isoformat()
    assert "外壳磕碰" in tasks[0]["detail"]


def test_a_unit_sent_after_a_refusal_is_not_accepted_as_doa(app, bearer, number):
    bearer("channel").post(f"/api/v1/doa/applications/{number}/channel", json={"decision": "refuse", "reason": "x"})
    resp = bearer("clerk").post("/api/v1/doa/scan", json={"code": "SN1"})
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["status"] == "refused"
    assert body["hold"]["reason"] == "refused"
    assert _state(app, number) == "refused"


def test_internal_approval_is_overdue_after_one_working_day(ctx, world, user):
    from doa import approvals, overdue

    app = new_application(when=at(date(2026, 9, 30)))
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 8)) == []
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 9)) == [app]
    rows = overdue.overdue_rows(user("supervisor"), today=date(2026, 10, 9))
    assert rows[0]["clock"] == "approval" and rows[0]["late"] == 1
    approvals.decide(user("channel"), app, "channel", "approve")
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 9)) == [app]  # product still has to decide
    approvals.decide(user("product"), app, "product", "approve")
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 9)) == []


def test_overdue_applications_show_on_the_overdue_page_and_api(app, world, signed_in, bearer):
    from core.extensions import db

    with app.app_context():
        row = new_application(when=at(date(2026, 9, 1)))
        number = row.number
        db.session.commit()
    assert number in signed_in("supervisor").get("/doa/overdue").get_data(as_text=True)
    api = bearer("service").get("/api/v1/doa/overdue").get_json()
    assert [(r["number"], r["clock"]) for r in api["items"]] == [(number, "approval")] and api["next"] is None
    listing = bearer("service").get("/api/v1/doa/applications?overdue=true").get_json()
    assert [a["number"] for a in listing["items"]] == [number]
    assert listing["items"][0]["overdue"] is True


def test_office_users_see_only_their_own_dealers_applications(app, bearer, number):
    assert bearer("office-bj").get(f"/api/v1/doa/applications/{number}").status_code == 200
    assert bearer("office-sh").get(f"/api/v1/doa/applications/{number}").status_code == 403
    assert bearer("office-sh").get("/api/v1/doa/applications").get_json()["items"] == []
    # Department approvers decide on every office's cases.
    assert bearer("channel").get(f"/api/v1/doa/applications/{number}").status_code == 200


def test_approval_on_the_page_is_refused_to_another_department(app, world, signed_in, number):
    page = signed_in("channel").get(f"/doa/{number}").get_data(as_text=True)
    assert "Channel department" in page and f"/doa/{number}/step/channel" in page
    assert f"/doa/{number}/step/product" not in page
    resp = signed_in("channel").submit(f"/doa/{number}/step/product", {"decision": "approve"},
                                       form_page=f"/doa/{number}")
    assert resp.status_code == 403
    ok = signed_in("channel").submit(f"/doa/{number}/step/channel", {"decision": "approve"},
                                     form_page=f"/doa/{number}")
    assert ok.status_code == 302
    assert _state(app, number) == "channel_approved"


def test_a_refused_step_on_the_page_is_a_message_and_changes_nothing(app, world, signed_in, number):
    client = signed_in("channel")
    resp = client.submit(f"/doa/{number}/step/channel", {"decision": "refuse", "reason": ""},
                         form_page=f"/doa/{number}")
    assert resp.status_code == 303
    page = client.get(f"/doa/{number}").get_data(as_text=True)
    assert "Give the reason for the refusal." in page
    assert _state(app, number) == "submitted"
    from core.extensions import db
    from doa.models import DoaEvent

    with app.app_context():
        assert [e.action for e in db.session.scalars(select(DoaEvent))] == ["apply"]
