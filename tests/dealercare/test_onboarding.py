"""A new dealer's first steps: the welcome call due in one working day, the welcome pack, the hand-off.

Real HTTP through the app, a real SMTP server (aiosmtpd) on loopback, the real database.
"""
from __future__ import annotations

import io
from datetime import date

import pytest

from tests.figures.data import sh
from tests.repairs.test_sweep import smtp  # noqa: F401  (fixture: aiosmtpd on 127.0.0.1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture()
def office(make_office):
    return make_office("BJ")


def _new_dealer(api, office_id, **extra):
    resp = api.post("/api/v1/dealers", json={"code": "N001", "name": "新代理商一", "contact": "王总",
                                              "phone": "13800001111", "office_id": office_id, **extra})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _upload(client, title="服务政策", data=PDF, name="policy.pdf"):
    return client.submit("/dealer-care/documents", {"title": title, "file": (io.BytesIO(data), name)},
                         form_page="/dealer-care/")


def test_a_new_dealer_opens_its_welcome_call_due_in_one_working_day(app, api_as, office):
    from core.calendar.service import add_working_days, local_today
    from core.directory.models import Dealer
    from core.extensions import db
    from dealercare import onboarding

    sup = api_as("supervisor")
    dealer_id = _new_dealer(sup, office)
    body = sup.get(f"/api/v1/dealer-care/onboardings/{dealer_id}").get_json()
    assert body["call_status"] == "open"
    assert body["call_due_on"] == add_working_days(local_today(), 1).isoformat()
    tasks = sup.get("/api/v1/tasks?process=dealercare").get_json()["items"]
    assert [t["kind"] for t in tasks] == ["welcome_call"]
    # Created on the Wednesday before the 2026 National Day: the call is due on Thursday 10-08.
    with app.app_context():
        other = Dealer(code="N002", name="新代理商二", office_id=office)
        db.session.add(other)
        db.session.flush()
        item = onboarding.start_onboarding(other, at=sh(2026, 9, 30, 16))
        assert item.call_task.due_on == date(2026, 10, 8)
        assert onboarding.start_onboarding(other).id == item.id  # once per dealer
        db.session.commit()


def test_the_call_script_and_the_steps_in_chinese(login, api_as, office):
    dealer_id = _new_dealer(api_as("supervisor"), office)
    c = login("service")
    html = c.get(f"/dealer-care/dealers/{dealer_id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "王总" in html and "欢迎电话" in html and "保固条例" in html
    assert "dealer-care/dealers/%s/welcome-pack" % dealer_id not in html  # no button before the call
    tasks = c.get("/tasks?process=dealercare", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "新代理商欢迎电话" in tasks and "N001 新代理商一" in tasks


def test_welcome_pack_and_hand_off_once_each_by_mail(app, login, api_as, office, smtp):  # noqa: F811
    from core.directory.models import Department
    from core.extensions import db

    sup_api, cs_api = api_as("supervisor"), api_as("service")
    dealer_id = _new_dealer(sup_api, office)
    pack = f"/api/v1/dealer-care/onboardings/{dealer_id}/welcome-pack"
    handoff = f"/api/v1/dealer-care/onboardings/{dealer_id}/hand-off"

    resp = cs_api.post(pack)
    assert resp.status_code == 409 and "welcome call" in resp.get_json()["message"]
    task_id = cs_api.get("/api/v1/tasks?process=dealercare").get_json()["items"][0]["id"]
    assert cs_api.post(f"/api/v1/tasks/{task_id}/answer", json={"decision": "called"}).status_code == 200

    resp = cs_api.post(pack)
    assert resp.status_code == 422 and "e-mail" in resp.get_json()["message"]
    assert sup_api.patch(f"/api/v1/dealers/{dealer_id}", json={"email": "wang@dealer.example",
                                                               "birthday": "1980-05-20"}).status_code == 200
    resp = cs_api.post(pack)
    assert resp.status_code == 409 and "policy documents" in resp.get_json()["message"]

    sup = login("supervisor")
    refused = _upload(sup, data=b"GIF89a not a pdf", name="policy.pdf")
    assert refused.status_code == 303
    assert "Only PDF files" in sup.get("/dealer-care/").get_data(as_text=True)
    assert _upload(sup).status_code == 302
    assert _upload(sup, title="again").status_code == 303  # the same file twice is kept once
    assert "already on record" in sup.get("/dealer-care/").get_data(as_text=True)

    resp = cs_api.post(pack)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["pack_sent_to"] == "wang@dealer.example"
    assert cs_api.post(pack).status_code == 409
    assert len(smtp.messages) == 1
    rcpts, msg = smtp.messages[0]
    assert rcpts == ["wang@dealer.example"]
    assert [part.get_filename() for part in msg.iter_attachments()] == ["policy.pdf"]
    assert next(msg.iter_attachments()).get_content() == PDF

    resp = cs_api.post(handoff)
    assert resp.status_code == 409 and "channel department" in resp.get_json()["message"]
    with app.app_context():
        db.session.add(Department(code="channel", name="渠道部", email="channel@depot.example"))
        db.session.commit()
    assert cs_api.post(handoff).status_code == 200
    assert cs_api.post(handoff).status_code == 409
    assert len(smtp.messages) == 2
    rcpts, msg = smtp.messages[1]
    assert rcpts == ["channel@depot.example"]
    text = msg.get_content()
    assert "N001" in text and "wang@dealer.example" in text and "05-20" in text
    listed = cs_api.get("/api/v1/dealer-care/onboardings").get_json()
    assert listed["total"] == 0  # handed off: no longer being onboarded
    assert cs_api.get("/api/v1/dealer-care/onboardings?open=false").get_json()["total"] == 1


def test_mail_server_down_records_nothing(app, login, api_as, office):
    from dealercare import onboarding

    sup_api, cs_api = api_as("supervisor"), api_as("service")
    dealer_id = _new_dealer(sup_api, office, email="wang@dealer.example")
    task_id = cs_api.get("/api/v1/tasks?process=dealercare").get_json()["items"][0]["id"]
    cs_api.post(f"/api/v1/tasks/{task_id}/answer", json={"decision": "called"})
    assert _upload(login("supervisor")).status_code == 302
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 9  # nothing listens there
    try:
        resp = cs_api.post(f"/api/v1/dealer-care/onboardings/{dealer_id}/welcome-pack")
    finally:
        app.config["MAIL_PORT"] = saved
    assert resp.status_code == 503 and "could not be sent" in resp.get_json()["message"]
    with app.app_context():
        from core.extensions import db
        from dealercare.models import Onboarding

        assert db.session.query(Onboarding).one().pack_sent_at is None
        assert onboarding  # the module is importable beside the app


def test_roles(login, api_as, office):
    dealer_id = _new_dealer(api_as("supervisor"), office)
    assert login("clerk").get("/dealer-care/").status_code == 403
    assert api_as("office", office_id=office).get(f"/api/v1/dealer-care/onboardings/{dealer_id}").status_code == 403
    cs = login("service")
    assert cs.get("/dealer-care/").status_code == 200
    assert _upload(cs).status_code == 403
    assert api_as("service").get("/api/v1/dealer-care/onboardings/999999").status_code == 404
