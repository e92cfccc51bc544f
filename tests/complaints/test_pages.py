"""Complaint pages: zh-CN labels, a walk through the forms, refusals as readable messages."""
from __future__ import annotations

import io
import re

from tests.complaints.conftest import PDF

ZH = {"Accept-Language": "zh-CN"}


def _flashes(client, path):
    page = client.get(path, headers=ZH).get_data(as_text=True)
    return page


def _register(client, **extra):
    form = {"dealer_code": "D0001", "tier": "serious", "subject": "维修超期", "received_on": "2026-09-30",
            "idempotency_key": "k" + "".join(sorted(extra)) + str(len(extra)) + extra.get("subject", ""), **extra}
    resp = client.submit("/complaints/new", form)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)
    match = re.search(r"/complaints/(KS[\d-]+)", resp.headers["Location"])
    return match.group(1) if match else None


def test_zh_cn_labels_on_the_pages(as_user, world):
    client = as_user("service")
    number = _register(client)
    listing = client.get("/complaints/", headers=ZH).get_data(as_text=True)
    assert "客诉" in listing and "客服部编号" in listing and "情节较严重" in listing and "已登记" in listing
    detail = client.get(f"/complaints/{number}", headers=ZH).get_data(as_text=True)
    assert "代理商客诉反馈函" in detail and "答复期限" in detail and "2026-10-15" in detail
    new = client.get("/complaints/new", headers=ZH).get_data(as_text=True)
    assert "登记客诉" in new and "情节特别严重(涉及赔偿)" in new


def test_the_brand_chosen_on_the_form_is_on_the_complaint(app, as_user, world):
    from core.directory.models import Brand
    from core.extensions import db

    with app.app_context():
        db.session.add(Brand(code="KG", name="Kingston"))
        db.session.commit()
        brand_id = db.session.query(Brand).filter_by(code="KG").one().id
    cs = as_user("service")
    form = cs.get("/complaints/new", headers=ZH).get_data(as_text=True)
    assert "品牌" in form and "KG · Kingston" in form and "不涉及具体品牌" in form
    number = _register(cs, brand_id=str(brand_id), subject="品牌")
    assert "Kingston" in cs.get(f"/complaints/{number}").get_data(as_text=True)
    blank = _register(cs, brand_id="", subject="无品牌")
    assert "Kingston" not in cs.get(f"/complaints/{blank}").get_data(as_text=True)


def test_a_serious_complaint_through_the_forms(as_user, world):
    cs, boss = as_user("service"), as_user("supervisor")
    number = _register(cs)
    page = f"/complaints/{number}"
    resp = cs.post(f"{page}/letters", data={"file": (io.BytesIO(PDF), "letter.pdf"),
                                            "csrf_token": cs.csrf_token(page)},
                   content_type="multipart/form-data")
    assert resp.status_code == 302
    detail = cs.get(page, headers=ZH).get_data(as_text=True)
    assert "发送内部客诉反馈函" in detail
    assert cs.submit(f"{page}/step/refer", {"department_id": world["product"], "text": "请回复"},
                     form_page=page).status_code == 302
    detail = cs.get(page, headers=ZH).get_data(as_text=True)
    assert "已发内部客诉反馈函,待责任部门回复" in detail and "登记责任部门书面回复" in detail
    cs.submit(f"{page}/step/department_answer", {"text": "产品部回复"}, form_page=page)
    # Answering now: refused with the reason, on the page.
    resp = cs.submit(f"{page}/step/answer", {"text": "太早"}, form_page=page, headers=ZH)
    assert resp.status_code == 303
    shown = cs.get(page, headers=ZH).get_data(as_text=True)
    assert "客诉处理报告须经部门负责人签字后才能答复代理商" in shown
    cs.submit(f"{page}/step/report", {"text": "处理报告"}, form_page=page)
    boss.submit(f"{page}/step/sign_off", {"note": ""}, form_page=page)
    detail = cs.get(page, headers=ZH).get_data(as_text=True)
    assert "部门负责人签字" in detail and "supervisor" in detail and "答复代理商" in detail
    cs.submit(f"{page}/step/answer", {"text": "已答复"}, form_page=page)
    cs.submit(f"{page}/step/fix", {"text": "已整改"}, form_page=page)
    cs.submit(f"{page}/step/visit", {"text": "满意", "satisfied": "true"}, form_page=page)
    cs.submit(f"{page}/step/close", {"note": ""}, form_page=page)
    assert "已结案" in cs.get(page, headers=ZH).get_data(as_text=True)


def test_refused_page_input_reads_as_a_message(as_user, world):
    cs = as_user("service")
    resp = cs.submit("/complaints/new", {"dealer_code": "D0001", "tier": "ordinary", "subject": "",
                                         "idempotency_key": "bad-1"}, form_page="/complaints/new", headers=ZH)
    assert resp.status_code == 303
    page = cs.get("/complaints/new", headers=ZH).get_data(as_text=True)
    assert "主题: " in page  # the field's label and its message, flashed
    cs.submit("/complaints/new", {"dealer_code": "NOPE", "tier": "ordinary", "subject": "x",
                                  "idempotency_key": "bad-2"}, form_page="/complaints/new")
    assert "Choose a known dealer." in cs.get("/complaints/new").get_data(as_text=True)


def test_a_staff_complaint_goes_to_the_supervisor(as_user, world):
    cs = as_user("service")
    resp = cs.submit("/complaints/new", {"dealer_code": "D0001", "tier": "ordinary", "subject": "客服态度差",
                                         "about_staff": "1", "idempotency_key": "staff-1"},
                     form_page="/complaints/new")
    assert resp.headers["Location"].endswith("/complaints/")
    assert "客服态度差" not in cs.get("/complaints/").get_data(as_text=True)
    assert "客服态度差" in as_user("supervisor").get("/complaints/").get_data(as_text=True)


def test_menu_entry_for_readers_only(as_user, world):
    assert "/complaints/" in as_user("service").get("/complaints/").get_data(as_text=True)
    assert as_user("clerk").get("/complaints/").status_code == 403
