"""The data-wipe notice reaches the dealer before they send: one text, on every page and on the RMA labels.

Repair erases everything on a unit (manual 二.2.1.6, since 2011-12-15). The dealer
must read this while they can still back up: on the public status page (form and
result), not only on the receipt made after the parcel arrived; and the printed
RMA labels carry the same notice (repairs/notices.py), in English and Chinese.
"""
from __future__ import annotations

import re

import pytest

from tests.labels.decoding import page_text

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
NOTICE_RE = re.compile(r'<section class="notice data-wipe-notice" id="data-wipe-notice">(.*?)</section>', re.S)


def notice_block(html: str) -> str:
    """The notice section of a page (exactly one), whitespace squeezed."""
    found = NOTICE_RE.findall(html)
    assert len(found) == 1, f"expected one data-wipe notice, found {len(found)}"
    return " ".join(found[0].split())


def expected_texts(app, headers=None) -> dict:
    """The notice's texts as the one source gives them in the request's language."""
    from repairs.notices import DATA_WIPE

    with app.test_request_context("/", headers=headers or {}):
        return {"title": str(DATA_WIPE.title), "text": str(DATA_WIPE.text), "original": DATA_WIPE.original_zh,
                "label": str(DATA_WIPE.label)}


@pytest.fixture()
def parcel(app, world, api_as):
    """A declared parcel of the BJ dealer (phone ends 5678): the dealer has not sent it yet."""
    resp = api_as("service").post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "SSD A400 240G", "serial": "W1", "fault": "无法识别"}]})
    assert resp.status_code == 201, resp.json
    return resp.json["rma_number"]


def test_the_status_form_shows_the_notice_before_anything_is_sent(app, client):
    texts = expected_texts(app)
    block = notice_block(client.get("/status").get_data(as_text=True))
    assert texts["title"] in block and "back up your data before sending" in texts["text"]
    assert texts["text"] in block
    assert "数据清除提示" in block and "2011年12月15日" in block and "备份" in block  # the manual's own words


def test_the_status_result_of_a_declared_parcel_shows_the_notice(app, client, parcel):
    resp = client.submit("/status", {"rma_number": parcel, "phone_last4": "5678"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="status-result"' in html and "W1" in html
    assert expected_texts(app)["text"] in notice_block(html)
    # A wrong pair gets the neutral answer, and the notice still.
    wrong = client.submit("/status", {"rma_number": parcel, "phone_last4": "0000"})
    assert wrong.status_code == 404 and notice_block(wrong.get_data(as_text=True))


def test_the_notice_is_in_chinese_for_a_chinese_reader(app, client):
    texts = expected_texts(app, ZH)
    assert "备份" in texts["text"] and "Since 15 December" not in texts["text"]
    block = notice_block(client.get("/status", headers=ZH).get_data(as_text=True))
    assert texts["title"] in block and texts["text"] in block
    assert "Since 15 December" not in block


def test_the_receipt_uses_the_same_notice_as_the_dealer_pages(app, client, parcel, login):
    status = notice_block(client.get("/status").get_data(as_text=True))
    receipt = notice_block(login("service", username="desk").get(f"/repairs/parcels/{parcel}/receipt")
                           .get_data(as_text=True))
    assert receipt == status


def _pdf(resp) -> bytes:
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", resp.get_data(as_text=True)[:300]
    return resp.data


@pytest.mark.parametrize("fmt", ["thermal60x40", "thermal100x50", "a4"])
def test_the_printed_rma_labels_carry_the_notice_page_and_api(app, parcel, login, api_as, fmt):
    label = expected_texts(app)["label"]
    words = label.split()
    for pdf in (_pdf(login("clerk", username=f"clerk-{fmt}").get(f"/labels/rma/{parcel}?format={fmt}")),
                _pdf(api_as("clerk").get(f"/api/v1/labels/rma/{parcel}?format={fmt}"))):
        text = " ".join(page_text(pdf, 0).split())  # the parcel's own label (first page)
        assert parcel in text
        assert " ".join(words) in text  # the whole notice, wrapped over lines


def test_the_printed_rma_label_notice_is_chinese_for_a_chinese_clerk(app, parcel, api_as):
    label = expected_texts(app, ZH)["label"]
    assert "备份" in label
    pdf = _pdf(api_as("clerk").get(f"/api/v1/labels/rma/{parcel}?format=thermal100x50", headers=ZH))
    text = "".join(page_text(pdf, 0).split())
    assert "".join(label.split()) in text


def test_labels_take_the_notice_from_the_one_source(app):
    from labels import sources
    from repairs.notices import DATA_WIPE

    assert sources.DATA_WIPE_NOTICE is DATA_WIPE.label
