"""The hotline log: answered at once, sent to a department (a task due in one working day),
overdue on the overdue page, the department's answer through the task, refused input, zh-CN words."""
from __future__ import annotations

from datetime import date

import pytest

from core.authz import SYSTEM
from tests.hotline.conftest import at


def _log(**kw):
    from hotline import log

    args = {"asker": "end_customer", "channel": "phone", "category": "warranty", "question": "U盘保修期多久?"}
    args.update(kw)
    return log.log_question(SYSTEM, **args)


@pytest.mark.parametrize("asked, due", [
    (date(2026, 9, 29), date(2026, 9, 30)),   # an ordinary Tuesday
    (date(2026, 9, 30), date(2026, 10, 8)),   # the eve of National Day: Oct 1-7 are off
    (date(2026, 10, 3), date(2026, 10, 8)),   # asked during the holiday
    (date(2026, 10, 9), date(2026, 10, 10)),  # Saturday Oct 10 is a make-up working day (调休)
])
def test_one_working_day_across_national_day(app, desk, asked, due):
    from core.extensions import db

    with app.app_context():
        entry = _log(asked_at=at(asked), brand_id=desk["MAXELL"], department_id=desk["product"])
        db.session.commit()
        assert entry.due_on == due
        assert entry.state == "referred"
        from core.tasks.models import Task
        task = db.session.get(Task, entry.task_id)
        assert (task.process, task.kind, task.department_id, task.due_on) == ("hotline", "question", desk["product"], due)


def test_overdue_provider_and_answer_through_the_task(app, desk):
    from core import chase
    from core.extensions import db
    from core.tasks import service as task_service
    from core.tasks.models import Task
    from hotline.models import HotlineEntry

    with app.app_context():
        entry = _log(asked_at=at(date(2026, 9, 30)), brand_id=desk["TEAM"], department_id=desk["product"])
        waiting = _log(asked_at=at(date(2026, 9, 30)), brand_id=desk["TEAM"])
        done = _log(asked_at=at(date(2026, 9, 30)), answer="五年保修。")
        db.session.commit()
        items = [i for i in chase.overdue_items(date(2026, 10, 9), SYSTEM) if i.kind == "hotline_question"]
        assert {i.reference: i.owner.key for i in items} == {entry.number: "dept:product", waiting.number: "cs"}
        assert done.number not in {i.reference for i in items}
        assert not [i for i in chase.overdue_items(date(2026, 10, 8), SYSTEM) if i.kind == "hotline_question"]

        task = db.session.get(Task, entry.task_id)
        task_service.answer(SYSTEM, task, "answered", "三年有限保修。")
        db.session.commit()
        entry = db.session.get(HotlineEntry, entry.id)
        assert (entry.state, entry.answer, task.status) == ("answered", "三年有限保修。", "agreed")


def test_answer_on_the_entry_closes_its_task(app, desk):
    from core.extensions import db
    from core.tasks.models import Task
    from hotline import log

    with app.app_context():
        entry = _log(brand_id=desk["MAXELL"], department_id=desk["channel"])
        log.answer(SYSTEM, entry, "渠道部会在一个工作日内联系您。")
        db.session.commit()
        assert entry.state == "answered"
        assert db.session.get(Task, entry.task_id).status == "agreed"


def test_api_logs_and_refuses(app, desk, api_as):
    api = api_as("service")
    ok = api.post("/api/v1/hotline/entries", json={
        "asker": "prospective_dealer", "channel": "phone", "brand_id": desk["MAXELL"], "category": "dealership",
        "question": "如何成为代理商?", "department_id": desk["channel"]})
    assert ok.status_code == 201, ok.get_json()
    body = ok.get_json()
    assert body["state"] == "referred" and body["asker_label"] == "prospective dealer"
    bad = api.post("/api/v1/hotline/entries", json={
        "asker": "martian", "channel": "fax", "brand_id": desk["MAXELL"], "category": "warranty", "question": ""})
    assert bad.status_code == 422
    assert {"asker", "channel", "question"} <= set(bad.get_json()["errors"])
    both = api.post("/api/v1/hotline/entries", json={
        "asker": "dealer", "channel": "phone", "brand_id": desk["MAXELL"], "category": "warranty",
        "question": "?", "answer": "!", "department_id": desk["channel"]})
    assert both.status_code == 422 and "department_id" in both.get_json()["errors"]
    again = api.post(f"/api/v1/hotline/entries/{body['id']}/refer", json={"department_id": desk["product"]})
    assert again.status_code == 409
    clerk = api_as("clerk")
    assert clerk.get("/api/v1/hotline/entries").status_code == 403


def test_page_logs_and_shows_refusal(app, desk, login):
    c = login("service")
    resp = c.submit("/hotline", {"asker": "end_customer", "channel": "phone", "brand_id": str(desk["MAXELL"]),
                                 "category": "warranty", "question": "保修期多久?", "answer": "五年。"},
                    form_page="/hotline", follow_redirects=True)
    assert resp.status_code == 200
    assert "answered" in resp.get_data(as_text=True)
    resp = c.submit("/hotline", {"asker": "end_customer", "channel": "phone", "brand_id": str(desk["MAXELL"]),
                                 "category": "warranty", "question": ""}, form_page="/hotline",
                    follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "Some fields need correcting." in text and "Question" in text



def test_zh_cn_labels(app):
    from flask_babel import force_locale

    from hotline import states as st

    with app.test_request_context(), force_locale("zh_CN"):
        assert st.Asker.PROSPECT.label == "意向代理商"
        assert st.EntryState.REFERRED.label == "已转相关部门"
        assert st.Channel.EMAIL.label == "邮件"
