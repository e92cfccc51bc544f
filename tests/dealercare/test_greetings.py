"""Birthday and holiday greetings: the dealers a batch greets (hand-computed), the text edited before
sending, the batch sent once (a second send is a 409), failed mails shown and retried alone."""
from __future__ import annotations

from datetime import date

import pytest

from core.extensions import db

SENT: list = []
FAIL: set = set()


@pytest.fixture()
def outbox(monkeypatch):
    """Mail goes to a list; an address in FAIL is refused by the "server"."""
    from core import mail

    def fake_send(message):
        if message["To"] in FAIL:
            raise OSError("refused")
        SENT.append((message["To"], message["Subject"], message.get_content()))

    SENT.clear()
    FAIL.clear()
    monkeypatch.setattr(mail, "send", fake_send)
    yield SENT
    SENT.clear()
    FAIL.clear()


@pytest.fixture()
def dealers(app):
    from core.directory.models import Dealer

    rows = [
        ("G-A", date(1980, 12, 30), "a@d.example", True),   # in 12-28..01-03
        ("G-B", date(1975, 1, 3), "b@d.example", True),     # in: the last day
        ("G-C", date(1990, 1, 4), "c@d.example", True),     # out: the day after
        ("G-D", date(1988, 12, 27), "d@d.example", True),   # out: the day before
        ("G-E", date(1985, 12, 31), None, True),            # in range, but no e-mail
        ("G-F", date(1970, 1, 1), "f@d.example", False),    # in range, but inactive
        ("G-G", None, "g@d.example", True),                 # no birthday on file
        ("G-H", date(2000, 2, 29), "h@d.example", True),    # leap-day birthday
    ]
    with app.app_context():
        for code, birthday, email, active in rows:
            db.session.add(Dealer(code=code, name=f"代理商{code}", contact=f"联系人{code}", birthday=birthday,
                                  email=email, active=active))
        db.session.commit()


def test_birthdays_in_a_range_across_new_year(app, dealers, api_as, outbox):
    api = api_as("supervisor")
    resp = api.post("/api/v1/dealer-care/greetings", json={"kind": "birthday", "starts_on": "2026-12-28",
                                                           "ends_on": "2027-01-03"})
    assert resp.status_code == 201, resp.get_json()
    batch = resp.get_json()
    assert [m["dealer_code"] for m in batch["mails"]] == ["G-A", "G-B"]
    assert batch["state"] == "draft" and not outbox
    # A leap-day birthday is greeted on 28 February in other years.
    leap = api.post("/api/v1/dealer-care/greetings", json={"kind": "birthday", "starts_on": "2027-02-27",
                                                           "ends_on": "2027-02-28"}).get_json()
    assert [m["dealer_code"] for m in leap["mails"]] == ["G-H"]
    # One day: 01-01 only (the inactive dealer is left out).
    nobody = api.post("/api/v1/dealer-care/greetings", json={"kind": "birthday", "starts_on": "2027-01-01",
                                                             "ends_on": "2027-01-01"})
    assert nobody.status_code == 422


def test_text_edited_then_sent_once_and_failed_retried_alone(app, dealers, api_as, login, outbox):
    api = api_as("supervisor")
    batch = api.post("/api/v1/dealer-care/greetings", json={"kind": "birthday", "starts_on": "2026-12-28",
                                                            "ends_on": "2027-01-03"}).get_json()
    edited = api.client.put(f"/api/v1/dealer-care/greetings/{batch['id']}", headers=api.headers,
                            json={"subject": "生日快乐", "body": "{name},您好!祝您生日快乐!"})
    assert edited.status_code == 200 and edited.get_json()["subject"] == "生日快乐"
    FAIL.add("b@d.example")
    sent = api.post(f"/api/v1/dealer-care/greetings/{batch['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    status = {m["dealer_code"]: (m["status"], m["error"]) for m in sent.get_json()["mails"]}
    assert status == {"G-A": ("sent", ""), "G-B": ("failed", "OSError")}
    assert outbox == [("a@d.example", "生日快乐", "联系人G-A,您好!祝您生日快乐!\n")]
    # Sent once: a second send is a 409 and sends nothing.
    again = api.post(f"/api/v1/dealer-care/greetings/{batch['id']}/send")
    assert again.status_code == 409 and len(outbox) == 1
    # The text is kept as it went.
    late_edit = api.client.put(f"/api/v1/dealer-care/greetings/{batch['id']}", headers=api.headers,
                               json={"subject": "x", "body": "y"})
    assert late_edit.status_code == 409
    # The failed one is shown on the page, and the retry sends it alone.
    web = login("supervisor", username="web-sup")
    page = web.get(f"/dealer-care/greetings/{batch['id']}").get_data(as_text=True)
    assert "OSError" in page and "/retry" in page
    FAIL.clear()
    retried = web.submit(f"/dealer-care/greetings/{batch['id']}/retry", {"idempotency_key": "r-1"},
                         form_page=f"/dealer-care/greetings/{batch['id']}")
    assert retried.status_code == 302
    assert [to for to, _s, _b in outbox] == ["a@d.example", "b@d.example"]
    final = api.get(f"/api/v1/dealer-care/greetings/{batch['id']}").get_json()
    assert {m["dealer_code"]: m["status"] for m in final["mails"]} == {"G-A": "sent", "G-B": "sent"}
    assert {m["dealer_code"]: m["attempts"] for m in final["mails"]} == {"G-A": 1, "G-B": 2}
    # Nothing failed any more: a retry is a 409 and sends nothing.
    assert api.post(f"/api/v1/dealer-care/greetings/{batch['id']}/retry").status_code == 409
    assert len(outbox) == 2


def test_holiday_batch_greets_every_active_dealer_with_mail(app, dealers, api_as, outbox):
    api = api_as("supervisor")
    holidays = api.get("/api/v1/dealer-care/greetings/holidays?year=2027").get_json()["items"]
    assert {"day": "2027-10-01", "name": "国庆节"} in holidays
    assert not [h for h in holidays if "补假" in h["name"]]
    resp = api.post("/api/v1/dealer-care/greetings", json={"kind": "holiday", "holiday_on": "2027-10-01"})
    assert resp.status_code == 201, resp.get_json()
    batch = resp.get_json()
    assert batch["occasion"] == "国庆节"
    assert [m["dealer_code"] for m in batch["mails"]] == ["G-A", "G-B", "G-C", "G-D", "G-G", "G-H"]
    # A day that is no holiday (or the second day of one) is refused.
    for day in ("2027-10-02", "2027-03-03"):
        bad = api.post("/api/v1/dealer-care/greetings", json={"kind": "holiday", "holiday_on": day})
        assert bad.status_code == 422 and "holiday_on" in bad.get_json()["errors"]


def test_wrong_input_and_roles(app, dealers, api_as, login):
    from dealercare.greeting_models import GreetingBatch

    api = api_as("supervisor")
    for body in ({"kind": "birthday", "starts_on": "2027-01-05", "ends_on": "2027-01-01"},
                 {"kind": "birthday", "starts_on": "2027-01-01"},
                 {"kind": "birthday", "starts_on": "2026-01-01", "ends_on": "2027-06-01"},
                 {"kind": "party", "starts_on": "2027-01-01", "ends_on": "2027-01-02"}):
        assert api.post("/api/v1/dealer-care/greetings", json=body).status_code == 422, body
    assert api_as("service").post("/api/v1/dealer-care/greetings", json={
        "kind": "birthday", "starts_on": "2026-12-28", "ends_on": "2027-01-03"}).status_code == 403
    web = login("supervisor", username="web-sup2")
    page = web.submit("/dealer-care/greetings", {"kind": "birthday", "starts_on": "2027-01-05",
                                                 "ends_on": "2027-01-01", "idempotency_key": "w-1"})
    assert page.status_code == 303
    assert "comes before" in web.get(page.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(GreetingBatch).count() == 0
