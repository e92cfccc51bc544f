"""The one tasks page and API: every process's tasks, filtered by process, scoped by office, answered once."""
from __future__ import annotations

from core.authz import SYSTEM

import pytest


@pytest.fixture()
def two_processes(app, make_office):
    """A repairs task (human damage, Beijing) and a DOA task (unapproved arrival, Shanghai), both open."""
    from core.directory.models import Dealer
    from core.extensions import db
    from repairs import dealer_tasks, inspection, intake, receiving
    from doa import service as doa

    bj, sh = make_office("BJ"), make_office("SH")
    with app.app_context():
        d_bj = Dealer(code="DBJ", name="北京数码", contact="王先生", phone="13800001234", office_id=bj)
        d_sh = Dealer(code="DSH", name="上海电子", phone="13900001234", office_id=sh)
        db.session.add_all([d_bj, d_sh])
        db.session.flush()
        parcel = intake.create_parcel(SYSTEM, dealer_id=d_bj.id, lines=[{"model": "SSD A400 240G", "serial": "RT1"}])
        unit = receiving.receive_unit(SYSTEM, "RT1", parcel)
        inspection.inspect_unit(SYSTEM, unit, human_damage=True)
        repairs_task = dealer_tasks.unit_tasks(unit)[0]
        doa_task = doa._open_task(None, "unapproved_arrival", "Unit DT1 arrived before approval.",
                                  dealer_id=d_sh.id, office_id=sh)
        db.session.commit()
        return {"repairs": repairs_task.id, "doa": doa_task.id, "rma": parcel.rma_number, "bj": bj, "sh": sh}


def test_the_page_lists_both_processes_with_words_and_filters_by_process(two_processes, login):
    desk = login("service")
    page = desk.get("/tasks").get_data(as_text=True)
    assert two_processes["rma"] in page and "Unit DT1 arrived before approval." in page
    # Kinds, statuses and processes in words, never their codes.
    assert "human damage" in page and "arrived without approval" in page and "Repairs" in page
    assert "human_damage" not in page and "unapproved_arrival" not in page
    only_repairs = desk.get("/tasks?process=repairs").get_data(as_text=True)
    assert two_processes["rma"] in only_repairs and "DT1" not in only_repairs
    only_doa = desk.get("/tasks?process=doa").get_data(as_text=True)
    assert "DT1" in only_doa and two_processes["rma"] not in only_doa
    zh = desk.get("/tasks", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "<td>人为损坏</td>" in zh and "任务" in zh
    # An unknown process or status is every process / the open ones, never an error.
    assert desk.get("/tasks?process=nope&status=nope").status_code == 200


def test_old_task_pages_redirect_to_the_one_page(two_processes, login):
    desk = login("service")
    resp = desk.get("/repairs/tasks?status=disputed")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/tasks?process=repairs&status=disputed")
    resp = desk.get("/doa/tasks")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/tasks?process=doa&status=open")
    assert login("clerk").get("/tasks").status_code == 403


def test_an_office_user_sees_and_answers_only_their_own_offices_tasks(two_processes, login, api_as):
    office = login("office", office_id=two_processes["bj"])
    page = office.get("/tasks").get_data(as_text=True)
    assert two_processes["rma"] in page and "DT1" not in page
    assert 'name="decision"' not in page  # office staff read; CS answers
    office_api = api_as("office", office_id=two_processes["bj"])
    items = office_api.get("/api/v1/tasks").json["items"]
    assert [t["id"] for t in items] == [two_processes["repairs"]]
    assert office_api.get(f"/api/v1/tasks/{two_processes['doa']}").status_code == 403
    assert office_api.post(f"/api/v1/tasks/{two_processes['repairs']}/answer",
                           json={"decision": "return"}).status_code == 403


def test_answering_twice_is_a_409_and_the_supervisor_settles_a_dispute(two_processes, api_as, login):
    desk, boss = api_as("service"), api_as("supervisor")
    task_id = two_processes["doa"]
    first = desk.post(f"/api/v1/tasks/{task_id}/answer", json={"decision": "dispute", "note": "dealer disagrees"})
    assert first.status_code == 200 and first.json["status"] == "disputed"
    assert first.json["status_label"] == "disputed" and first.json["kind_label"] == "arrived without approval"
    again = desk.post(f"/api/v1/tasks/{task_id}/answer", json={"decision": "agreed"})
    assert again.status_code == 409 and again.json["current_state"] == "disputed"
    assert desk.post(f"/api/v1/tasks/{task_id}/settle", json={"decision": "agreed"}).status_code == 403
    # A decision the kind does not know is a 422, not a settlement.
    assert boss.post(f"/api/v1/tasks/{task_id}/settle", json={"decision": "return"}).status_code == 422
    settled = boss.post(f"/api/v1/tasks/{task_id}/settle", json={"decision": "agreed", "note": "ok"})
    assert settled.status_code == 200 and settled.json["status"] == "resolved" and settled.json["closed_by"]
    # The old DOA path is the same task: already resolved.
    assert desk.post(f"/api/v1/doa/tasks/{task_id}/resolve", json={"decision": "agreed"}).status_code == 409
    # A repairs task is not found under the DOA path.
    assert desk.post(f"/api/v1/doa/tasks/{two_processes['repairs']}/resolve",
                     json={"decision": "agreed"}).status_code == 404


def test_the_page_answers_with_the_units_choices_and_a_second_answer_is_refused(two_processes, login, app):
    from core.extensions import db
    from core.tasks.models import Task
    from repairs.models import RepairUnit

    desk = login("service")
    task_id = two_processes["repairs"]
    page = desk.get("/tasks?process=repairs").get_data(as_text=True)
    assert 'value="return"' in page and 'value="dispute"' in page and 'value="agreed"' not in page
    resp = desk.submit(f"/tasks/{task_id}/answer", {"decision": "return", "note": "退回", "process": "repairs"},
                       form_page="/tasks?process=repairs")
    assert resp.status_code == 302 and "process=repairs" in resp.headers["Location"]
    again = desk.submit(f"/tasks/{task_id}/answer", {"decision": "repair"}, form_page="/tasks?process=repairs")
    assert again.status_code == 303
    assert "already agreed" in desk.get("/tasks?process=repairs&status=agreed").get_data(as_text=True)
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.status, task.resolution, task.note) == ("agreed", "return", "退回")
        assert db.session.get(RepairUnit, task.subject_id).dealer_decision == "return"


def test_the_list_is_paginated(app, two_processes, api_as, login):
    from core.extensions import db
    from core.tasks import service as task_service

    with app.app_context():
        for n in range(55):
            task_service.open_task("doa", "refused", f"refusal {n}", office_id=two_processes["sh"])
        db.session.commit()
    desk = api_as("service")
    first = desk.get("/api/v1/tasks?process=doa&per_page=50").json
    assert "total" not in first and len(first["items"]) == 50 and first["next"]
    second = desk.get(f"/api/v1/tasks?process=doa&after={first['next']}").json
    assert len(second["items"]) == 6 and second["next"] is None
    page = login("service").get(f"/tasks?process=doa&after={first['next']}").get_data(as_text=True)
    assert "First page" in page and 'rel="next"' not in page
    assert desk.get("/api/v1/tasks?status=bogus").status_code == 422


@pytest.mark.parametrize("lang, expected", [
    ("en", "Answer: Length must be between 1 and 20."),
    ("zh-CN", "长度必须在 1 到 20 之间。"),
])
def test_a_wrong_answer_is_named_in_words_and_nothing_is_recorded(two_processes, login, app, lang, expected):
    from core.extensions import babel, db
    from core.tasks.models import Task

    babel.domain_instance.cache.clear()
    desk = login("service")
    task_id = two_processes["repairs"]
    resp = desk.submit(f"/tasks/{task_id}/answer", {"decision": "r" * 30, "process": "repairs"},
                       form_page="/tasks?process=repairs", headers={"Accept-Language": lang})
    assert resp.status_code == 303 and "process=repairs" in resp.headers["Location"]
    with desk.session_transaction() as session:
        flashed = [message for _category, message in session.get("_flashes", [])]
    assert any(expected in message for message in flashed), flashed
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"
