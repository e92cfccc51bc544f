"""Freight bills and their lines on the workflow core: a refused step is a 409 in words (translated for
the API, shown on the page), the buttons follow the workflow, and the bill's state is shown in Chinese."""
from __future__ import annotations

import io

from tests.shipments.test_freight_billing import OCT_LINES, _csv, _shipments

ZH = {"Accept-Language": "zh-CN"}


def _paid_bill(app, world, user, api_as):
    _shipments(app, world, user)
    sup = api_as("supervisor", username="sup-fw")
    resp = sup.post("/api/v1/shipments/freight-bills", data={"period": "2026-10", "file": (io.BytesIO(_csv(OCT_LINES)),
                    "b.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    bill = resp.get_json()
    path = f"/api/v1/shipments/freight-bills/{bill['id']}"
    assert sup.post(f"{path}/pay").status_code == 200
    return sup, bill, path


def test_paying_a_paid_bill_and_deciding_its_lines_are_translated_409s(app, world, user, api_as, zh_catalog):
    sup, bill, path = _paid_bill(app, world, user, api_as)
    again = sup.post(f"{path}/pay", headers=ZH)
    body = again.get_json()
    assert again.status_code == 409 and body["code"] == "invalid_transition", body
    assert body["current_state"] == "paid" and body["allowed"] == []
    assert "当前为“已付款”" in body["message"] and "“支付账单”" in body["message"], body["message"]
    line = next(f["bill_line_id"] for f in bill["findings"] if f["bill_line_id"])
    # The line is payable and may be disputed by the table, but its bill is paid: refused naming the bill.
    refused = sup.post(f"{path}/lines/{line}/decision", json={"decision": "dispute"})
    assert refused.status_code == 409, refused.get_json()
    assert f"{bill['number']} is paid: the step “decide a line” cannot be done now" in refused.get_json()["message"]
    # Accepting a line already accepted: refused naming the line and what it is.
    accepted = sup.post(f"{path}/lines/{line}/decision", json={"decision": "accept"}, headers=ZH).get_json()
    assert accepted["current_state"] == "accepted" and "第" in accepted["message"] and "“应付”" in accepted["message"]


def test_a_paid_bill_page_offers_nothing_says_why_and_shows_its_state_in_chinese(app, world, user, api_as, login,
                                                                               zh_catalog):
    _sup, bill, _path = _paid_bill(app, world, user, api_as)
    page = login("supervisor", username="sup-fw-page")
    form_page = f"/shipments/freight/{bill['id']}"
    html = page.get(form_page).get_data(as_text=True)
    assert "Pay this bill" not in html and 'value="dispute"' not in html and 'value="accept"' not in html
    line = next(f["bill_line_id"] for f in bill["findings"] if f["bill_line_id"])
    resp = page.submit(f"{form_page}/lines/{line}/decide", {"decision": "dispute"}, form_page=form_page)
    assert resp.status_code == 303
    shown = page.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"{bill['number']} is paid: the step “decide a line” cannot be done now" in shown
    zh = page.get(form_page, headers=ZH).get_data(as_text=True)
    assert "<strong>已付款</strong>" in zh


def test_an_open_bill_offers_each_line_the_other_decision(app, world, user, api_as, login):
    _shipments(app, world, user)
    sup = api_as("supervisor", username="sup-fw2")
    resp = sup.post("/api/v1/shipments/freight-bills", data={"period": "2026-10", "file": (io.BytesIO(_csv(OCT_LINES)),
                    "b.csv")}, content_type="multipart/form-data")
    bill = resp.get_json()
    html = login("supervisor", username="sup-fw2-page").get(f"/shipments/freight/{bill['id']}").get_data(as_text=True)
    # Both lines are payable (accepted): each may be disputed, none accepted again; the bill may be paid.
    assert html.count('value="dispute"') == 2 and 'value="accept"' not in html
    assert "Pay this bill" in html and "Decide the lines billed before first." not in html
