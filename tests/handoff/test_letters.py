"""Hand-off letters (部门工作提交函): the walk sent -> accepted (by another day) -> done with its task,
a late letter chased to the receiving department, a returned letter, the printed letter read back,
refused input that changes nothing, and a small stateful walk by random roles."""
from __future__ import annotations

import subprocess
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as hs
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from core.authz import SYSTEM
from core.calendar import SHANGHAI, add_working_days, is_working_day, local_today
from core.errors import DomainError
from core.extensions import db


@pytest.fixture()
def depts(app):
    from core.directory.models import Department

    with app.app_context():
        rows = [Department(code="channel", name="渠道部", email="channel@x.example"),
                Department(code="product", name="产品部", email="product@x.example")]
        db.session.add_all(rows)
        db.session.commit()
        return rows[0].id, rows[1].id


def _counts():
    from core.tasks.models import Task
    from handoff.models import HandoffLetter

    return (db.session.scalar(select(func.count(HandoffLetter.id))), db.session.scalar(select(func.count(Task.id))))


def _days(app, *offsets):
    """Today and the working days ``offsets`` after it (the calendar reads the closures table)."""
    with app.app_context():
        today = local_today()
        return today, *[add_working_days(today, n) for n in offsets]


def _next_weekday_holiday(start):
    day = start + timedelta(days=1)
    while day.weekday() >= 5 or is_working_day(day):
        day += timedelta(days=1)
    return day


def test_letter_walks_sent_accepted_with_a_new_day_then_done(app, depts, api_as):
    from core.tasks.models import Task

    api = api_as("service")
    _today, first, later = _days(app, 2, 4)
    created = api.post("/api/v1/handoff-letters", json={
        "from_department_id": depts[0], "to_department_id": depts[1], "subject": "新品资料整理",
        "body": "请整理新品资料。", "committed_on": first.isoformat()})
    assert created.status_code == 201, created.get_json()
    letter = created.get_json()
    assert letter["state"] == "sent" and letter["number"].startswith("HF")
    with app.app_context():
        task = db.session.get(Task, letter["task_id"])
        assert (task.process, task.status, task.department_id, task.due_on) == ("handoff", "open", depts[1], first)
    # Done before it is accepted: a 409 in words, nothing moves.
    early = api.post(f"/api/v1/handoff-letters/{letter['id']}/done", json={})
    assert early.status_code == 409 and "report done" in early.get_json()["message"]
    accepted = api.post(f"/api/v1/handoff-letters/{letter['id']}/accept", json={"committed_on": later.isoformat()})
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert (body["state"], body["committed_on"], body["first_committed_on"]) == ("accepted", later.isoformat(),
                                                                                 first.isoformat())
    with app.app_context():
        task = db.session.get(Task, letter["task_id"])
        assert (task.status, task.due_on) == ("open", later)
        from handoff.models import HandoffLetterEvent
        accept_event = db.session.scalar(select(HandoffLetterEvent).where(HandoffLetterEvent.action == "accept"))
        assert accept_event.data == {"committed_on": later.isoformat(), "previous_committed_on": first.isoformat()}
    # It shows on the tasks page while open.
    page = api.client.get("/api/v1/tasks?process=handoff", headers=api.headers).get_json()
    assert [t["id"] for t in page["items"]] == [letter["task_id"]]
    done = api.post(f"/api/v1/handoff-letters/{letter['id']}/done", json={"note": "已完成"})
    assert done.status_code == 200 and done.get_json()["state"] == "done"
    assert done.get_json()["task_status"] == "agreed"
    again = api.post(f"/api/v1/handoff-letters/{letter['id']}/done", json={})
    assert again.status_code == 409
    with app.app_context():
        task = db.session.get(Task, letter["task_id"])
        assert (task.status, task.resolution, task.closed_by) == ("agreed", "done", "api-service")


def test_late_letter_is_chased_to_the_receiving_department(app, depts, make_user):
    from core import chase
    from core.accounts.service import get_user
    from handoff import service

    make_user("cs-desk", "service")
    with app.app_context():
        sent_day = local_today() - timedelta(days=30)
        while not is_working_day(sent_day):
            sent_day += timedelta(days=1)
        at = datetime.combine(sent_day, time(10), SHANGHAI).astimezone(UTC)
        letter = service.create_letter(get_user("cs-desk"), from_department_id=depts[0], to_department_id=depts[1],
                                       subject="报价单", committed_on=sent_day, at=at)
        db.session.commit()
        items = [i for i in chase.overdue_items(local_today(), SYSTEM) if i.kind == "handoff_letter"]
        assert [(i.item_id, i.owner.key, i.owner.title) for i in items] == [(letter.id, "dept:product", "产品部")]
        assert "product@x.example" in items[0].owner.recipients
        assert not [i for i in chase.overdue_items(sent_day, SYSTEM) if i.kind == "handoff_letter"]
        # Returned, it is no longer chased, and its task is closed with the reason.
        service.return_letter(get_user("cs-desk"), letter, reason="不属于本部门")
        db.session.commit()
        assert letter.state == "returned" and letter.return_reason == "不属于本部门"
        assert (letter.task.status, letter.task.resolution) == ("agreed", "returned")
        assert not [i for i in chase.overdue_items(local_today(), SYSTEM) if i.kind == "handoff_letter"]


def test_pages_write_accept_return_and_print(app, depts, login):
    web = login("supervisor")
    _today, day = _days(app, 3)
    form = web.get("/handoff/new")
    assert form.status_code == 200 and "idempotency_key" in form.get_data(as_text=True)
    resp = web.submit("/handoff", {"from_department_id": depts[0], "to_department_id": depts[1], "subject": "促销物料",
                                   "body": "第一行\n第二行", "committed_on": day.isoformat(),
                                   "idempotency_key": "k-1"}, form_page="/handoff/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    detail = web.get(resp.headers["Location"])
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "促销物料" in html and "/accept" in html and "/done" not in html
    letter_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    pdf = web.get(f"/handoff/{letter_id}/letter.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True)
                   .stdout.decode().split())
    assert "渠道部" in text and "产品部" in text and f"{day.year}年{day.month}月{day.day}日" in text
    assert "部门工作提交函" in text and "签字" in text
    # Returning without a reason is refused on the page, nothing moves.
    refused = web.submit(f"/handoff/{letter_id}/return", {"reason": ""}, form_page=f"/handoff/{letter_id}")
    assert refused.status_code == 303
    assert "sent" in web.get(f"/api/v1/handoff-letters/{letter_id}").get_json()["state"]
    resp = web.submit(f"/handoff/{letter_id}/return", {"reason": "资料不全"}, form_page=f"/handoff/{letter_id}")
    assert resp.status_code == 302
    assert "资料不全" in web.get(f"/handoff/{letter_id}").get_data(as_text=True)
    listing = web.get("/handoff?state=returned").get_data(as_text=True)
    assert "促销物料" in listing


@pytest.mark.parametrize("case", ["past", "holiday", "weekend", "same", "missing_dept"])
def test_wrong_input_is_refused_and_changes_nothing(app, depts, api_as, login, case):
    today, day = _days(app, 2)
    with app.app_context():
        holiday = _next_weekday_holiday(today)
    body = {"from_department_id": depts[0], "to_department_id": depts[1], "subject": "事项",
            "committed_on": day.isoformat()}
    if case == "past":
        body["committed_on"] = (today - timedelta(days=1)).isoformat()
    elif case == "holiday":
        body["committed_on"] = holiday.isoformat()
    elif case == "weekend":
        body["committed_on"] = (today + timedelta(days=(5 - today.weekday()) % 7 or 7)).isoformat()
    elif case == "same":
        body["to_department_id"] = depts[0]
    else:
        body["to_department_id"] = 99999
    with app.app_context():
        before = _counts()
    resp = api_as("service").post("/api/v1/handoff-letters", json=body)
    assert resp.status_code == 422, resp.get_json()
    field = "to_department_id" if case in ("same", "missing_dept") else "committed_on"
    assert field in resp.get_json()["errors"]
    web = login("service", username="web-cs")
    page = web.submit("/handoff", {**body, "idempotency_key": f"k-{case}"}, form_page="/handoff/new")
    assert page.status_code == 303
    follow = web.get(page.headers["Location"]).get_data(as_text=True)
    assert "Some" in follow or "committed" in follow or "department" in follow
    with app.app_context():
        assert _counts() == before


def test_accept_by_a_day_that_is_no_working_day_is_refused(app, depts, api_as):
    api = api_as("service")
    today, day = _days(app, 1)
    with app.app_context():
        holiday = _next_weekday_holiday(today)
    letter = api.post("/api/v1/handoff-letters", json={
        "from_department_id": depts[0], "to_department_id": depts[1], "subject": "x",
        "committed_on": day.isoformat()}).get_json()
    resp = api.post(f"/api/v1/handoff-letters/{letter['id']}/accept", json={"committed_on": holiday.isoformat()})
    assert resp.status_code == 422 and "committed_on" in resp.get_json()["errors"]
    assert api.get(f"/api/v1/handoff-letters/{letter['id']}").get_json()["state"] == "sent"


def test_roles(app, depts, api_as):
    _today, day = _days(app, 1)
    for role, status in (("clerk", 403), ("gm_assistant", 403), ("channel", 403)):
        resp = api_as(role).post("/api/v1/handoff-letters", json={
            "from_department_id": depts[0], "to_department_id": depts[1], "subject": "x",
            "committed_on": day.isoformat()})
        assert resp.status_code == status, (role, resp.status_code)


# --------------------------------------------------------------------------- stateful

STATE: dict = {}
ROLES = ("service", "supervisor", "clerk", "channel")


class Letters(RuleBasedStateMachine):
    @initialize()
    def world(self):
        from core.accounts.service import create_user, get_user
        from core.directory.models import Department

        self.app = STATE["app"]
        self.ctx = self.app.app_context()
        self.ctx.push()
        self.depts = [Department(code="channel", name="渠道部"), Department(code="sales", name="销售部")]
        db.session.add_all(self.depts)
        db.session.flush()
        self.users = {}
        for role in ROLES:
            create_user(f"hs-{role}", "x-pass-1234", [role])
            self.users[role] = get_user(f"hs-{role}")
        self.letters: list[int] = []

    def teardown(self):
        db.session.rollback()
        db.session.remove()
        self.ctx.pop()

    def _try(self, fn, *args, **kwargs):
        savepoint = db.session.begin_nested()
        try:
            fn(*args, **kwargs)
            savepoint.commit()
            STATE["done"] = STATE.get("done", 0) + 1
        except DomainError:
            savepoint.rollback()

    def _letter(self, i):
        from handoff.models import HandoffLetter

        return db.session.get(HandoffLetter, self.letters[i % len(self.letters)])

    @rule(role=hs.sampled_from(ROLES), days=hs.integers(-1, 4))
    def write(self, role, days):
        from handoff import service

        day = add_working_days(local_today(), days) if days >= 0 else local_today() - timedelta(days=1)
        before = len(self.letters)

        def make():
            letter = service.create_letter(self.users[role], from_department_id=self.depts[0].id,
                                           to_department_id=self.depts[1].id, subject="事项", committed_on=day)
            self.letters.append(letter.id)
        self._try(make)
        if len(self.letters) > before and days < 0:
            raise AssertionError("a past day was accepted")

    @rule(i=hs.integers(0, 3), role=hs.sampled_from(ROLES), step=hs.sampled_from(("accept", "later", "done",
                                                                                 "return", "task_done",
                                                                                 "task_return")))
    def act(self, i, role, step):
        from core.tasks import service as tasks
        from handoff import service

        if not self.letters:
            return
        letter, user = self._letter(i), self.users[role]
        if step == "accept":
            self._try(service.accept, user, letter)
        elif step == "later":
            self._try(service.accept, user, letter, committed_on=add_working_days(local_today(), 5))
        elif step == "done":
            self._try(service.complete, user, letter, note="ok")
        elif step == "return":
            self._try(service.return_letter, user, letter, reason="退回")
        elif letter.task is not None:
            decision = "done" if step == "task_done" else "returned"
            self._try(tasks.answer, user, letter.task, decision, "理由")

    @invariant()
    def letter_and_task_agree(self):
        from core.tasks.models import Task
        from handoff.models import HandoffLetter

        for letter_id in self.letters:
            letter = db.session.get(HandoffLetter, letter_id)
            db.session.refresh(letter)
            tasks = list(db.session.scalars(select(Task).where(Task.case_type == "handoff_letter",
                                                               Task.case_id == letter_id)))
            assert len(tasks) == 1
            task = tasks[0]
            assert sum(t.status == "open" for t in tasks) <= 1
            if letter.state in ("sent", "accepted"):
                assert task.status == "open" and task.due_on == letter.committed_on
            else:
                assert task.status == "agreed"
                assert task.resolution == ("done" if letter.state == "done" else "returned")
                assert letter.closed_at is not None


def test_letters_and_their_tasks_never_disagree(app):
    STATE.update(app=app)
    try:
        # At most the CI profile's size: the invariant is simple, and the file stays under 20 s locally too.
        small = settings(settings.default, deadline=None, max_examples=min(settings.default.max_examples, 15),
                         stateful_step_count=min(settings.default.stateful_step_count, 25))
        run_state_machine_as_test(Letters, settings=small)
        assert STATE.get("done"), "no step ever succeeded"
    finally:
        STATE.clear()


def test_the_tasks_page_and_api_answer_the_letter_too(app, depts, api_as, login):
    api = api_as("service")
    _today, day = _days(app, 2)
    letter = api.post("/api/v1/handoff-letters", json={
        "from_department_id": depts[0], "to_department_id": depts[1], "subject": "样机回收",
        "committed_on": day.isoformat()}).get_json()
    web = login("service", username="web-tasks")
    page = web.get("/tasks?process=handoff").get_data(as_text=True)
    assert letter["number"] in page and f"/handoff/{letter['id']}" in page
    task = f"/api/v1/tasks/{letter['task_id']}/answer"
    # Not accepted yet: "done" is refused in words; "returned" needs its reason.
    assert api.post(task, json={"decision": "done", "note": ""}).status_code == 409
    assert api.post(task, json={"decision": "returned", "note": ""}).status_code == 422
    assert api.get(f"/api/v1/handoff-letters/{letter['id']}").get_json()["state"] == "sent"
    answered = api.post(task, json={"decision": "returned", "note": "请财务部处理"})
    assert answered.status_code == 200, answered.get_json()
    body = api.get(f"/api/v1/handoff-letters/{letter['id']}").get_json()
    assert (body["state"], body["return_reason"], body["task_status"]) == ("returned", "请财务部处理", "agreed")
