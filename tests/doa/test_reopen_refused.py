"""A refused application is reopened when the supervisor settles the dealer's dispute in the dealer's favour."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Conflict, Forbidden, ValidationFailed
from core.tasks import service as task_service
from tests.doa.conftest import new_application


def _refused(*, disputed=True):
    """An application product refused; the dealer disputes the refusal (CS records it) if ``disputed``."""
    from core.accounts.service import get_user
    from core.extensions import db
    from core.tasks.models import Task
    from doa import approvals

    row = new_application()
    approvals.decide(get_user("channel"), row, "channel", "approve")
    approvals.decide(get_user("product"), row, "product", "refuse", "外壳磕碰,非开箱故障")
    task = db.session.scalar(select(Task).where(Task.process == "doa").where(Task.case_type == "doa_application", Task.case_id == row.id))
    if disputed:
        task_service.answer(get_user("service"), task, "dispute", "代理商坚持开箱即坏")
    return row, task


def test_settling_a_disputed_refusal_for_the_dealer_reopens_the_approval(ctx, world, user):
    from doa import approvals, lookup, service

    row, task = _refused()
    assert service.can_reopen(row) and service.allowed_now(row) == ["reopen"]
    task_service.settle(user("supervisor"), task, "reopen", "照片显示开箱即坏")
    assert row.state == "submitted"
    assert (row.channel_decision, row.product_decision, row.product_reason, row.closed_reason) == (None, None, "", "")
    assert row.approval_due is not None
    assert (task.status, task.resolution) == ("resolved", "reopen")
    steps = [(e.action, e.from_state, e.to_state) for e in lookup.timeline(row)]
    assert steps[-1] == ("reopen", "refused", "submitted")
    assert ("product_refuse", "channel_approved", "refused") in steps  # the refusal stays in the history
    # Both departments decide again.
    approvals.decide(user("channel"), row, "channel", "approve")
    approvals.decide(user("product"), row, "product", "approve")
    assert row.state == "approved"


def test_a_refusal_nobody_disputes_cannot_be_reopened(ctx, world, user):
    from doa import approvals, service

    row, _ = _refused(disputed=False)
    assert not service.can_reopen(row) and service.allowed_now(row) == []
    with pytest.raises(Conflict) as caught:
        approvals.reopen(user("supervisor"), row, "想重开")
    assert "dealer disputes the refusal" in caught.value.message
    with pytest.raises(Conflict):
        service._transition(user("supervisor"), row, "reopen")
    assert row.state == "refused"


def test_only_the_supervisor_reopens_and_says_why(ctx, world, user):
    from doa import approvals

    row, task = _refused()
    with pytest.raises(Forbidden):
        approvals.reopen(user("service"), row, "x")
    with pytest.raises(ValidationFailed):
        approvals.reopen(user("supervisor"), row, " ")
    with pytest.raises(ValidationFailed):
        task_service.settle(user("supervisor"), task, "reopen", "")
    assert row.state == "refused" and task.status == "disputed"
    approvals.reopen(user("supervisor"), row, "照片显示开箱即坏")
    assert row.state == "submitted" and task.status == "resolved"


def test_the_refusal_can_still_stand(ctx, world, user):
    from doa import service

    row, task = _refused()
    task_service.settle(user("supervisor"), task, "agreed", "维持拒绝")
    assert row.state == "refused" and not service.can_reopen(row)


def _numbers(app, *, disputed=True):
    from core.extensions import db

    with app.app_context():
        row, task = _refused(disputed=disputed)
        db.session.commit()
        return row.number, task.id


def test_the_api_reopens_through_the_task_or_the_application(app, world, bearer):
    number, task_id = _numbers(app)
    path = f"/api/v1/doa/applications/{number}"
    assert bearer("service").get(path).get_json()["allowed_actions"] == ["reopen"]
    assert bearer("service").post(f"{path}/reopen", json={"note": "x"}).status_code == 403
    assert bearer("supervisor").post(f"{path}/reopen", json={}).status_code == 422
    settled = bearer("supervisor").post(f"/api/v1/doa/tasks/{task_id}/settle",
                                        json={"decision": "reopen", "note": "照片显示开箱即坏"})
    assert settled.status_code == 200 and settled.get_json()["resolution"] == "reopen"
    body = bearer("service").get(path).get_json()
    assert body["state"] == "submitted" and body["product_decision"] is None
    # Nothing left to settle: a second reopen is refused, naming the state.
    again = bearer("supervisor").post(f"{path}/reopen", json={"note": "again"})
    assert again.status_code == 409 and again.get_json()["current_state"] == "submitted"


def test_the_api_refuses_a_reopen_without_a_dispute(app, world, bearer):
    number, _ = _numbers(app, disputed=False)
    resp = bearer("supervisor").post(f"/api/v1/doa/applications/{number}/reopen", json={"note": "x"})
    assert resp.status_code == 409 and resp.get_json()["current_state"] == "refused"
    assert bearer("service").get(f"/api/v1/doa/applications/{number}").get_json()["allowed_actions"] == []


def test_the_pages_offer_the_reopen_only_when_the_guard_allows(app, world, signed_in):
    plain, _ = _numbers(app, disputed=False)
    supervisor = signed_in("supervisor")
    assert f"/doa/{plain}/step/reopen" not in supervisor.get(f"/doa/{plain}").get_data(as_text=True)
    number, task_id = _numbers(app)
    assert f"/doa/{number}/step/reopen" in supervisor.get(f"/doa/{number}").get_data(as_text=True)
    tasks = supervisor.get("/tasks?process=doa&status=disputed").get_data(as_text=True)
    assert 'value="reopen"' in tasks
    resp = supervisor.submit(f"/doa/tasks/{task_id}/settle", {"decision": "reopen", "note": "照片显示开箱即坏",
                                                              "back": "disputed"}, form_page="/tasks?process=doa&status=disputed")
    assert resp.status_code == 302
    page = supervisor.get(f"/doa/{number}").get_data(as_text=True)
    assert "waiting for approval" in page
    zh = supervisor.get(f"/doa/{plain}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "重新审批" not in zh  # no reopen offered without a dispute


def test_the_detail_page_reopens_too(app, world, signed_in):
    number, _ = _numbers(app)
    supervisor = signed_in("supervisor")
    resp = supervisor.submit(f"/doa/{number}/step/reopen", {"note": ""}, form_page=f"/doa/{number}")
    assert resp.status_code == 303
    resp = supervisor.submit(f"/doa/{number}/step/reopen", {"note": "照片显示开箱即坏"}, form_page=f"/doa/{number}")
    assert resp.status_code == 302
    page = supervisor.get(f"/doa/{number}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "重新审批" in page


def test_a_unit_already_on_a_new_application_is_not_reopened_twice(ctx, world, user):
    from doa import approvals

    row, task = _refused()
    again = new_application()  # the dealer applied again for the same unit meanwhile
    with pytest.raises(Conflict) as caught:
        approvals.reopen(user("supervisor"), row, "照片显示开箱即坏")
    assert again.number in caught.value.message
    assert row.state == "refused"


def test_task_status_and_answer_are_shown_in_words(app, world, signed_in):
    """The tasks page and the case page name a task's status and the dealer's answer, never the codes."""
    import re

    number, _task_id = _numbers(app)
    supervisor = signed_in("supervisor")
    tasks = supervisor.get("/tasks?process=doa&status=disputed").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", tasks)
    assert any("disputed · dealer disputes" in c for c in cells), cells
    assert not any(c.strip() in ("disputed", "dispute", "disputed · dispute") for c in cells)
    detail = supervisor.get(f"/doa/{number}").get_data(as_text=True)
    assert "· disputed ·" in detail  # the status label (the catalogue's English words)
