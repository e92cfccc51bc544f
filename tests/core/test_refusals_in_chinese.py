"""Refusals in the reader's language: a user whose browser asks for zh-CN reads every
error in Chinese, whether Depot's own rules refused the request or the web layer did
(an unknown address, a form kept open past its session, a body that is not JSON, a
rate limit), on a page and in the API alike; and a page names fields by their labels."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.usefixtures("zh_catalog")
ZH = {"Accept-Language": "zh-CN"}


def test_account_rules_refuse_in_chinese(api_as):
    admin = api_as("admin", username="root")
    short = admin.post("/api/v1/users", json={"username": "kim", "password": "short", "roles": ["clerk"]},
                       headers=ZH)
    assert short.status_code == 422
    assert short.get_json()["message"] == "密码至少需要 8 个字符。"
    taken = admin.post("/api/v1/users", json={"username": "root", "password": "long-enough-1", "roles": ["clerk"]},
                       headers=ZH)
    assert taken.status_code == 409
    assert taken.get_json()["message"] == "用户名 root 已被占用。"
    assert taken.get_json()["errors"] == {"username": ["已被占用。"]}
    office = admin.post("/api/v1/users", json={"username": "kim", "password": "long-enough-1", "roles": ["office"]},
                        headers=ZH)
    assert office.status_code == 422 and office.get_json()["message"] == "办事处用户必须绑定到一个办事处。"
    # The same refusal for an English reader stays English.
    english = admin.post("/api/v1/users", json={"username": "kim", "password": "short", "roles": ["clerk"]},
                         headers={"Accept-Language": "en"})
    assert english.get_json()["message"] == "The password must have at least 8 characters."


def test_the_public_status_lookup_answers_in_chinese(client):
    resp = client.get("/api/v1/repairs/public-status?rma_number=RMA2601-0001&phone_last4=1234", headers=ZH)
    assert resp.status_code == 404
    assert resp.get_json()["message"] == "没有与此 RMA 单号和电话相符的包裹。"


@pytest.mark.parametrize("path, status, words", [
    ("/no/such/page", 404, "此地址没有内容。"),
    ("/api/v1/no-such-thing", 404, "此地址没有内容。"),
])
def test_an_unknown_address_is_explained_in_chinese(login, path, status, words):
    staff = login("service", username="xiao")
    resp = staff.get(path, headers=ZH)
    assert resp.status_code == status
    body = resp.get_json()["message"] if path.startswith("/api/") else resp.get_data(as_text=True)
    assert words in body
    assert "requested URL" not in body and "not found on the server" not in body


def test_a_wrong_method_and_a_bad_json_body_are_explained_in_chinese(api_as):
    api = api_as("clerk", username="lin")
    wrong = api.delete("/api/v1/me", headers=ZH)
    assert wrong.status_code == 405 and wrong.get_json()["message"] == "此地址不接受这种请求。"
    broken = api.post("/api/v1/repairs/scan", data="{not json", content_type="application/json", headers=ZH)
    assert broken.status_code == 400, broken.get_data(as_text=True)
    assert broken.get_json()["message"] == "请求内容不是有效的 JSON。"


def test_a_form_sent_after_its_session_ended_is_explained_in_chinese(login):
    staff = login("admin", username="wu-admin")
    # A form whose token belongs to a session that is gone (the browser kept the page open).
    resp = staff.post("/admin/users/new", data={"username": "kim", "csrf_token": "stale-token"}, headers=ZH)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "此表单已过期，请刷新页面后重新提交。" in html
    assert "CSRF" not in re.sub(r"<[^>]+>", " ", html)
    # The API says the same in words, and by its code: the scan station then takes a fresh token.
    api = staff.post("/api/v1/repairs/scan", json={"code": "SN1"}, headers={**ZH, "X-CSRFToken": "stale-token"})
    assert api.status_code == 400
    assert api.get_json()["code"] == "csrf_failed"
    assert api.get_json()["message"] == "此表单已过期，请刷新页面后重新提交。"


def test_too_many_sign_ins_are_refused_in_chinese(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    token = client.csrf_token("/login")
    for _ in range(2):
        client.post("/login", data={"username": "x", "password": "y", "csrf_token": token}, headers=ZH)
    resp = client.post("/login", data={"username": "x", "password": "y", "csrf_token": token}, headers=ZH)
    assert resp.status_code == 429
    assert "登录尝试次数过多，请稍等一分钟。" in resp.get_data(as_text=True)


def test_an_error_page_names_fields_by_their_labels_not_their_codes(login):
    """A page's refused argument is named by its label on the error page, never by its code."""
    boss = login("supervisor", username="he-boss")
    resp = boss.get("/overdue/repair_unit?per_page=0", headers=ZH)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "<b>每页条数</b>: 必须是 1 到 200 之间的整数" in html, html[html.find("error-page"):][:600]
    assert "per_page</b>" not in html
    english = boss.get("/overdue/repair_unit?per_page=0", headers={"Accept-Language": "en"})
    assert "<b>Items per page</b>:" in english.get_data(as_text=True)
