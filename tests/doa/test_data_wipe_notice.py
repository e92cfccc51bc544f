"""The data-wipe notice on the dealer's DOA pages: the application form, its confirmation and the status page.

A DOA unit is repaired or swapped, and its data is not kept: the dealer reads
this while applying and again on the confirmation, before they send the unit.
The text is the one notice the repair pages and the receipt show
(repairs/notices.py).
"""
from __future__ import annotations

from datetime import timedelta

from core.calendar import local_today
from tests.doa.conftest import DEALER_CODE, PHONE_LAST4
from tests.repairs.test_data_wipe_notice import ZH, expected_texts, notice_block


def _application():
    return {"dealer_code": DEALER_CODE, "phone_last4": PHONE_LAST4, "request": "replacement",
            "purchase_date": (local_today() - timedelta(days=3)).isoformat(), "fault": "开箱无法识别",
            "contact": "王伟", "units": "SN-WIPE-1 U盘-64G"}


def test_the_application_form_shows_the_notice(app, world, client):
    texts = expected_texts(app)
    block = notice_block(client.get("/doa-apply").get_data(as_text=True))
    assert texts["title"] in block and texts["text"] in block and texts["original"] in block


def test_the_confirmation_repeats_the_notice_before_the_unit_is_sent(app, world, client):
    resp = client.submit("/doa-apply", _application())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Do not send the unit yet" in html, html[:2000]
    assert expected_texts(app)["text"] in notice_block(html)


def test_a_refused_form_keeps_the_notice(app, world, client):
    resp = client.submit("/doa-apply", {**_application(), "phone_last4": "0000"})
    assert resp.status_code == 404
    assert notice_block(resp.get_data(as_text=True))


def test_the_doa_status_page_shows_the_notice_in_the_readers_language(app, world, client):
    assert expected_texts(app)["text"] in notice_block(client.get("/doa-apply/status").get_data(as_text=True))
    zh = expected_texts(app, ZH)
    block = notice_block(client.get("/doa-apply/status", headers=ZH).get_data(as_text=True))
    assert zh["title"] in block and zh["text"] in block and "Since 15 December" not in block


def test_the_doa_pages_and_the_repair_status_page_show_the_same_notice(app, world, client):
    pages = ["/doa-apply", "/doa-apply/status", "/status"]
    blocks = {notice_block(client.get(p).get_data(as_text=True)) for p in pages}
    assert len(blocks) == 1
