"""Spare requests and stock counts on the workflow core: a refused step is a 409 in words (translated
for the API, flashed on the page), and the pages show the state's words in the user's language."""
from __future__ import annotations

from datetime import timedelta

from core.types import utcnow

ZH = {"Accept-Language": "zh-CN"}


def _issued_request(stock, api_as):
    office = api_as("office", username="bj-wf", office_id=stock.bj)
    sup = api_as("supervisor", username="sup-wf")
    clerk = api_as("clerk", username="clerk-wf")
    resp = office.post("/api/v1/inventory/requests",
                       json={"office_id": stock.bj, "lines": [{"sku": "USB-64", "quantity": 2}]})
    assert resp.status_code == 201, resp.get_json()
    rid = resp.get_json()["id"]
    assert sup.post(f"/api/v1/inventory/requests/{rid}/approve", json={}).status_code == 200
    assert clerk.post(f"/api/v1/inventory/requests/{rid}/issue", json={}).status_code == 200
    return office, rid


def test_cancelling_an_issued_request_is_a_translated_409(stock, api_as, zh_catalog):
    office, rid = _issued_request(stock, api_as)
    resp = office.post(f"/api/v1/inventory/requests/{rid}/cancel", json={}, headers=ZH)
    body = resp.get_json()
    assert resp.status_code == 409 and body["code"] == "invalid_transition", body
    assert body["current_state"] == "issued" and body["allowed"] == ["receive"]
    # The workflow's sentence in Chinese, with the state's and the steps' Chinese words.
    assert "当前为“已发出，运输中”" in body["message"] and "“取消”" in body["message"], body["message"]
    assert "“收货”" in body["message"]
    english = office.post(f"/api/v1/inventory/requests/{rid}/cancel", json={}).get_json()["message"]
    assert "is Issued, on its way: the step “Cancel” cannot be done now" in english


def test_a_refused_request_step_is_readable_on_the_page_and_the_state_is_in_chinese(stock, api_as, login,
                                                                                    zh_catalog):
    _office, rid = _issued_request(stock, api_as)
    page = login("office", username="bj-wf-page", office_id=stock.bj)
    detail = f"/inventory/requests/{rid}"
    html = page.get(detail).get_data(as_text=True)
    assert "Cancel the request" not in html and "Receive" in html  # the buttons follow the workflow
    resp = page.submit(f"{detail}/cancel", {"note": "too late"}, form_page=detail)
    assert resp.status_code == 303
    shown = page.get(resp.headers["Location"]).get_data(as_text=True)
    assert "is Issued, on its way: the step “Cancel” cannot be done now" in shown
    zh = page.get(detail, headers=ZH).get_data(as_text=True)
    assert '<dd id="request-status">已发出，运输中</dd>' in zh


def _count(api, hours_ago=1):
    resp = api.post("/api/v1/inventory/counts", json={
        "location": "OFF-BJ", "kind": "weekly", "counted_at": (utcnow() - timedelta(hours=hours_ago)).isoformat(),
        "lines": [{"sku": "USB-64", "quantity": 0}]})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_withdrawing_an_accepted_count_is_a_translated_409(stock, api_as, zh_catalog):
    office = api_as("office", username="bj-cnt", office_id=stock.bj)
    sup = api_as("supervisor", username="sup-cnt")
    count = _count(office)
    assert sup.post(f"/api/v1/inventory/counts/{count['id']}/accept").status_code == 200
    resp = office.post(f"/api/v1/inventory/counts/{count['id']}/withdraw", json={}, headers=ZH)
    body = resp.get_json()
    assert resp.status_code == 409 and body["code"] == "invalid_transition", body
    assert body["current_state"] == "accepted" and body["allowed"] == []
    assert "当前为“已验收”" in body["message"] and "“撤回盘点”" in body["message"], body["message"]
    again = sup.post(f"/api/v1/inventory/counts/{count['id']}/recount", json={"note": "x"})
    assert again.status_code == 409
    assert "is accepted: the step “ask for a recount” cannot be done now" in again.get_json()["message"]


def test_a_refused_count_step_is_readable_on_the_page_and_the_state_is_in_chinese(stock, api_as, login, zh_catalog):
    office = api_as("office", username="bj-cnt2", office_id=stock.bj)
    count = _count(office)
    assert office.post(f"/api/v1/inventory/counts/{count['id']}/withdraw", json={}).status_code == 200
    page = login("supervisor", username="sup-cnt-page")
    detail = f"/inventory/counts/{count['id']}"
    html = page.get(detail).get_data(as_text=True)
    # A withdrawn count offers nothing: no accept, recount or withdraw button.
    assert "Accept and post adjustments" not in html and "Withdraw this count" not in html
    assert "Ask for a recount" not in html
    resp = page.submit(f"{detail}/accept", {}, form_page=detail)
    assert resp.status_code == 303
    shown = page.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"{count['number']} is withdrawn: the step “accept the count” cannot be done now" in shown
    zh = page.get(detail, headers=ZH).get_data(as_text=True)
    assert '<dd id="count-status">已撤回' in zh


def test_a_submitted_count_shows_the_supervisor_its_steps(stock, api_as, login):
    office = api_as("office", username="bj-cnt3", office_id=stock.bj)
    count = _count(office)
    html = login("supervisor", username="sup-cnt3").get(f"/inventory/counts/{count['id']}").get_data(as_text=True)
    assert "Accept and post adjustments" in html and "Ask for a recount" in html and "Withdraw this count" in html
    # The office sees withdrawing only: accepting and recounts are the supervisor's.
    mine = login("office", username="bj-cnt3-page", office_id=stock.bj).get(f"/inventory/counts/{count['id']}")
    text = mine.get_data(as_text=True)
    assert "Withdraw this count" in text and "Accept and post adjustments" not in text
