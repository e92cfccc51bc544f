"""DOA pages load their forms through the API's schemas: a wrong value comes back as a message naming
the field in words (English and Chinese), on the same page, with nothing changed; a good form works."""
from __future__ import annotations

import html

import pytest

from tests.doa.conftest import DEALER_CODE, PHONE_LAST4, new_application


def _row(app, number):
    from core.extensions import db
    from doa import lookup

    with app.app_context():
        db.session.expire_all()
        row = lookup.application_by_number(number)
        return row.state, row.received_at, [u.arrived_at for u in row.units]


@pytest.mark.parametrize(("language", "label", "message"), [
    ("en", "Freight cost", "Not a valid amount."),
    ("zh-CN", "运费", None),
])
def test_a_wrong_freight_cost_names_the_field_and_changes_nothing(app, approved_number, signed_in, language, label,
                                                                 message):
    client = signed_in("clerk")
    before = _row(app, approved_number)
    headers = {"Accept-Language": language}
    resp = client.submit(f"/doa/{approved_number}/step/receipt", {"serials": "SN1", "freight_cost": "twelve"},
                         form_page=f"/doa/{approved_number}", headers=headers)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/doa/{approved_number}")
    page = client.get(f"/doa/{approved_number}", headers=headers).get_data(as_text=True)
    assert f"{label}: " in page and "freight_cost:" not in page
    if message:
        assert message in page
    assert _row(app, approved_number) == before


def test_a_wrong_decision_is_a_sentence_not_a_code(app, world, signed_in):
    from core.extensions import db

    with app.app_context():
        row = new_application(serials=("SN2",))
        db.session.commit()
        number = row.number
    client = signed_in("channel")
    before = _row(app, number)
    resp = client.submit(f"/doa/{number}/step/channel", {"decision": "maybe"}, form_page=f"/doa/{number}",
                         headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 303
    page = client.get(f"/doa/{number}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "审批结果: 请选择同意或拒绝。" in page
    assert _row(app, number) == before


def test_a_good_receipt_form_works(app, approved_number, signed_in):
    client = signed_in("clerk")
    resp = client.submit(f"/doa/{approved_number}/step/receipt",
                         {"serials": "SN1", "carrier": "顺丰", "waybill": "SF1", "freight_cost": "12.50"},
                         form_page=f"/doa/{approved_number}")
    assert resp.status_code == 302
    state, received_at, arrived = _row(app, approved_number)
    assert received_at is not None and all(arrived)


def test_a_wrong_purchase_date_on_the_new_form_keeps_the_input(app, world, signed_in):
    from sqlalchemy import func, select

    from core.extensions import db
    from doa.models import DoaApplication

    client = signed_in("service")
    resp = client.submit("/doa/new", {"dealer_code": DEALER_CODE, "request": "replacement",
                                      "purchase_date": "yesterday", "fault": "掉盘", "units": "SN9 A400"},
                         headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "购买日期: " in page and "掉盘" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DoaApplication)) == 0


def test_the_public_form_names_a_wrong_date_in_words(app, world, client):
    resp = client.submit("/doa-apply", {"dealer_code": DEALER_CODE, "phone_last4": "1234", "request": "replacement",
                                        "purchase_date": "2024-13-40", "fault": "dead", "units": "SN8 A400"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Purchase date: Use YYYY-MM-DD." in page


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Last four digits of your registered phone: Length must be between 1 and 4."),
    ("zh-CN", "登记电话的后四位: "),
])
def test_the_public_status_form_names_a_wrong_field_in_words(app, approved_number, client, language, words):
    headers = {"Accept-Language": language}
    resp = client.submit("/doa-apply/status", {"number": approved_number, "phone_last4": "123456"}, headers=headers)
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    assert words in page and "phone_last4:" not in page
    assert approved_number in page and "SN1" not in page  # the number typed is kept; nothing about it is shown
    ok = client.submit("/doa-apply/status", {"number": approved_number, "phone_last4": PHONE_LAST4}, headers=headers)
    assert ok.status_code == 200 and "SN1" in ok.get_data(as_text=True)
