"""Repairs pages read their forms through the API's schemas: a wrong value is refused in words
naming the field (English and Chinese), back on the form, with nothing changed; a good form works."""
from __future__ import annotations

import html

ZH = {"Accept-Language": "zh-CN"}


def _refused(client, path, data, form_page, headers=None):
    """Submit a form that is refused; the page it goes back to, as text."""
    resp = client.submit(path, data, form_page=form_page, headers=headers or {})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert resp.headers["Location"].endswith(form_page)
    return html.unescape(client.get(resp.headers["Location"], headers=headers or {}).get_data(as_text=True))


def _price_rows(app):
    from sqlalchemy import func, select

    from core.extensions import db
    from repairs.models import RepairPrice

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RepairPrice))


def test_a_wrong_price_form_names_the_field_and_adds_nothing(app, world, login):
    boss = login("supervisor", username="boss-forms")
    before = _price_rows(app)
    page = _refused(boss, "/repairs/prices", {"kind": "price", "model": "X", "effective_from": "06/02/2012",
                                              "amount": "1"}, "/repairs/prices")
    assert "In force from: Give the date as YYYY-MM-DD." in page
    assert "effective_from:" not in page
    page = _refused(boss, "/repairs/prices", {"kind": "price", "model": "X", "effective_from": "2012-01-01",
                                              "amount": "ten"}, "/repairs/prices", headers=ZH)
    assert "价格（元）: 金额无效。" in page and "有些字段需要更正。" in page
    page = _refused(boss, "/repairs/prices", {"kind": "notice", "effective_from": "2012-13-01", "delta": "-5",
                                              "notice": "x"}, "/repairs/prices", headers=ZH)
    assert "生效日期: 日期请写成 YYYY-MM-DD。" in page
    page = _refused(boss, "/repairs/prices", {"kind": "price", "model": "X", "effective_from": "2012-01-01",
                                              "amount": "-3"}, "/repairs/prices", headers=ZH)
    assert "价格（元）: 不能为负数。" in page
    assert _price_rows(app) == before

    resp = boss.submit("/repairs/prices", {"kind": "price", "model": "X", "effective_from": "2012-01-01",
                                           "amount": "12.50", "notice": ""})
    assert resp.status_code == 302 and _price_rows(app) == before + 1


def _unit_state(app, unit_id):
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        return db.session.get(RepairUnit, unit_id).state


def test_a_wrong_unit_step_names_the_field_and_changes_nothing(app, world, login, api_as):
    desk = api_as("service")
    rma = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "X", "serial": "PF1"}]}).json["rma_number"]
    unit_id = desk.get(f"/api/v1/repairs/parcels/{rma}").json["units"][0]["id"]
    clerk = login("clerk", username="clerk-forms")
    form = f"/repairs/units/{unit_id}"
    assert clerk.submit(f"{form}/receive", {}, form_page=form).status_code == 302
    state = _unit_state(app, unit_id)

    page = _refused(clerk, f"{form}/inspect", {"route": "R" * 30, "note": "ok"}, form)
    assert "Route: Longer than maximum length 20." in page
    page = _refused(clerk, f"{form}/inspect", {"route": "R" * 30}, form, headers=ZH)
    assert "路线:" in page and "有些字段需要更正。" in page
    page = _refused(clerk, f"{form}/factory-return", {"outcome": "melted"}, form, headers=ZH)
    assert "处理结果:" in page
    assert _unit_state(app, unit_id) == state

    resp = clerk.submit(f"{form}/inspect", {"out_of_warranty": "", "route": "FAC", "note": ""}, form_page=form)
    assert resp.status_code == 302
    assert _unit_state(app, unit_id) != state


def test_the_dealer_status_form_names_a_missing_field(app, world, client):
    resp = client.submit("/status", {"rma_number": "", "phone_last4": "5678"})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422 and "RMA number:" in page and 'id="status-neutral"' not in page
    resp = client.submit("/status", {"rma_number": "RMA1", "phone_last4": "123456"}, headers=ZH)
    assert resp.status_code == 422 and "有些字段需要更正。" in html.unescape(resp.get_data(as_text=True))
