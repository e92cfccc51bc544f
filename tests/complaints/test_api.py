"""The complaints API: a serious complaint walked over HTTP, refusals as 4xx JSON, who sees what."""
from __future__ import annotations

import io

from tests.complaints.conftest import PDF


def _register(client, **extra):
    body = {"dealer_code": "D0001", "tier": "serious", "subject": "维修超期", "received_on": "2026-09-30", **extra}
    resp = client.post("/api/v1/complaints", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def test_serious_complaint_over_the_api(api, world):
    cs, boss = api("service"), api("supervisor")
    created = _register(cs)
    number = created["number"]
    assert created["answer_due"] == "2026-10-15" and created["state"] == "registered"
    assert created["allowed"] == []  # the dealer's letter first, and no answer before the sign-off

    # The internal letter needs the dealer's letter on file first: 409 naming what is missing.
    refer = {"department_id": world["product"], "text": "请书面回复"}
    resp = cs.post(f"/api/v1/complaints/{number}/steps/refer", json=refer)
    assert resp.status_code == 409 and resp.get_json()["missing"] == ["dealer_letter"]
    resp = cs.post(f"/api/v1/complaints/{number}/letters", data={"file": (io.BytesIO(PDF), "letter.pdf")},
                   content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    resp = cs.post(f"/api/v1/complaints/{number}/steps/refer", json=refer)
    assert resp.status_code == 200 and resp.get_json()["state"] == "referred"

    # The department's answer is the task's answer on the shared task page/API.
    tasks = cs.get("/api/v1/tasks?process=complaints").get_json()["items"]
    [task] = tasks
    assert cs.post(f"/api/v1/tasks/{task['id']}/answer", json={"decision": "answered"}).status_code == 422
    resp = cs.post(f"/api/v1/tasks/{task['id']}/answer", json={"decision": "answered", "note": "产品部书面回复"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    detail = cs.get(f"/api/v1/complaints/{number}").get_json()
    assert detail["state"] == "reporting" and detail["department_answer"] == "产品部书面回复"

    # Answering before the sign-off: a clear 409.
    resp = cs.post(f"/api/v1/complaints/{number}/steps/answer", json={"text": "答复"})
    body = resp.get_json()
    assert resp.status_code == 409 and "signed off" in body["message"] and body["missing"] == ["sign_off"]

    assert cs.post(f"/api/v1/complaints/{number}/steps/report", json={"text": "处理报告"}).status_code == 200
    assert cs.post(f"/api/v1/complaints/{number}/steps/sign_off", json={}).status_code == 403
    resp = boss.post(f"/api/v1/complaints/{number}/steps/sign_off", json={})
    assert resp.status_code == 200 and resp.get_json()["signed_by"] == "supervisor"
    # The report is frozen once signed.
    assert cs.post(f"/api/v1/complaints/{number}/steps/report", json={"text": "改"}).status_code == 409
    assert cs.post(f"/api/v1/complaints/{number}/steps/answer", json={"text": "答复"}).status_code == 200
    assert cs.post(f"/api/v1/complaints/{number}/steps/fix", json={"text": "整改"}).status_code == 200
    assert cs.post(f"/api/v1/complaints/{number}/steps/visit", json={"text": "回访"}).status_code == 422
    resp = cs.post(f"/api/v1/complaints/{number}/steps/visit", json={"text": "回访满意", "satisfied": True})
    assert resp.status_code == 200
    resp = cs.post(f"/api/v1/complaints/{number}/steps/close", json={})
    assert resp.status_code == 200 and resp.get_json()["state"] == "closed"
    # A second close: the step is done, 409 naming the state.
    again = cs.post(f"/api/v1/complaints/{number}/steps/close", json={})
    assert again.status_code == 409 and again.get_json()["current_state"] == "closed"
    actions = [e["action"] for e in cs.get(f"/api/v1/complaints/{number}").get_json()["events"]]
    assert actions == ["register", "attach", "refer", "department_answered", "report", "sign_off", "answer",
                       "fix", "visit", "close"]


def test_refused_inputs_are_4xx_json(api, world):
    cs = api("service")
    for body, field in (({"dealer_code": "D0001", "tier": "huge", "subject": "x"}, "tier"),
                        ({"dealer_code": "D0001", "tier": "ordinary"}, "subject"),
                        ({"dealer_code": "NOPE", "tier": "ordinary", "subject": "x"}, "dealer"),
                        ({"dealer_code": "D0001", "tier": "ordinary", "subject": "x", "colour": "red"}, "colour"),
                        ({"dealer_code": "D0001", "tier": "ordinary", "subject": "x", "received_on": "2999-01-01"},
                         "received_on"),
                        ({"dealer_code": "D0001", "tier": "ordinary", "subject": "x", "brand_id": 999999}, "brand_id")):
        resp = cs.post("/api/v1/complaints", json=body)
        assert resp.status_code == 422, (body, resp.get_data(as_text=True))
        payload = resp.get_json()
        assert field in str(payload.get("errors")), payload
    number = _register(cs, tier="ordinary")["number"]
    assert cs.post(f"/api/v1/complaints/{number}/steps/answer", json={"text": ""}).status_code == 422
    assert cs.post(f"/api/v1/complaints/{number}/steps/nonsense", json={}).status_code == 404
    resp = cs.post(f"/api/v1/complaints/{number}/steps/refer", json={"department_id": world["product"],
                                                                     "text": "x"})
    assert resp.status_code == 409 and resp.get_json()["code"] == "invalid_transition"
    resp = cs.post(f"/api/v1/complaints/{number}/letters", data={"file": (io.BytesIO(b"hello"), "x.txt")},
                   content_type="multipart/form-data")
    assert resp.status_code == 415 and resp.is_json
    assert cs.get("/api/v1/complaints/KS0000-0001").status_code == 404


def test_a_complaint_about_a_brand_carries_it(app, api, world):
    from core.directory.models import Brand
    from core.extensions import db

    with app.app_context():
        brand = Brand(code="MX", name="Maxell")
        db.session.add(brand)
        db.session.commit()
        brand_id = brand.id
    cs = api("service")
    made = _register(cs, tier="ordinary", subject="U盘无法识别", brand_id=brand_id)
    assert made["brand_id"] == brand_id and made["brand"] == "Maxell"
    listed = cs.get("/api/v1/complaints").get_json()["items"]
    assert [c["brand"] for c in listed if c["number"] == made["number"]] == ["Maxell"]


def test_staff_complaints_are_the_supervisors_alone(api, world):
    cs, boss, gm = api("service"), api("supervisor"), api("gm_assistant")
    staff = _register(cs, tier="ordinary", subject="客服态度差", about_staff=True)["number"]
    other = _register(cs, tier="ordinary", subject="发货慢")["number"]
    assert cs.get(f"/api/v1/complaints/{staff}").status_code == 404
    assert gm.get(f"/api/v1/complaints/{staff}").status_code == 404
    assert cs.post(f"/api/v1/complaints/{staff}/steps/answer", json={"text": "x"}).status_code == 404
    assert [c["number"] for c in cs.get("/api/v1/complaints").get_json()["items"]] == [other]
    assert boss.get(f"/api/v1/complaints/{staff}").status_code == 200
    assert {c["number"] for c in boss.get("/api/v1/complaints").get_json()["items"]} == {staff, other}


def test_offices_see_their_own_dealers_complaints(api, world):
    cs = api("service")
    bj = _register(cs, tier="ordinary")["number"]
    sh = _register(cs, tier="ordinary", dealer_code="D0002")["number"]
    office = api("office-bj")
    assert [c["number"] for c in office.get("/api/v1/complaints").get_json()["items"]] == [bj]
    assert office.get(f"/api/v1/complaints/{sh}").status_code == 404
    assert office.get(f"/api/v1/complaints/{bj}").status_code == 200
    # Offices read; they take no step.
    assert office.post(f"/api/v1/complaints/{bj}/steps/answer", json={"text": "x"}).status_code == 403
    assert api("clerk").get("/api/v1/complaints").status_code == 403


def test_overdue_complaints_on_the_overdue_api_and_page(api, world, as_user):
    cs = api("service")
    number = _register(cs, tier="ordinary")["number"]  # due 2026-10-09, long past today
    sections = {s["kind"]: s for s in cs.get("/api/v1/overdue").get_json()["sections"]}
    assert [i["reference"] for i in sections["complaint"]["items"]] == [number]
    page = as_user("supervisor").get("/repairs/overdue").get_data(as_text=True)
    assert number in page
