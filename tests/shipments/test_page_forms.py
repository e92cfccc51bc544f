"""Shipment pages load their forms through the API's schemas: a wrong value comes back as a message naming
the field in words (English and Chinese), on the same page, with nothing changed; a good form works."""
from __future__ import annotations

import pytest

from tests.shipments.test_pages import _make


def _facts(app, number):
    from core.extensions import db
    from shipments.models import Shipment

    with app.app_context():
        db.session.expire_all()
        row = db.session.query(Shipment).filter_by(number=number).one()
        return row.status, row.waybill, row.pieces, row.freight_cost


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Pieces: Must be a whole number."),
    ("zh-CN", "件数: "),
])
def test_a_wrong_pieces_on_the_ship_form_names_the_field(app, world, user, login, language, words):
    [number] = _make(app, user, world)
    browser = login("clerk", username=f"clerk-{language}")
    before = _facts(app, number)
    resp = browser.submit(f"/shipments/{number}/ship", {"waybill": "SF77", "carrier": "顺丰", "pieces": "two"},
                          form_page=f"/shipments/{number}", headers={"Accept-Language": language})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert words in page and "pieces:" not in page and "SF77" in page
    assert _facts(app, number) == before


def test_a_wrong_cost_on_the_edit_form_changes_nothing(app, world, user, login):
    [number] = _make(app, user, world)
    browser = login("clerk", username="clerk-edit")
    before = _facts(app, number)
    resp = browser.submit(f"/shipments/{number}/edit", {"carrier": "EMS", "freight_cost": "lots"},
                          form_page=f"/shipments/{number}")
    assert resp.status_code == 422
    assert "Freight cost (RMB): Not a valid amount." in resp.get_data(as_text=True)
    assert _facts(app, number) == before


def test_a_good_ship_form_works(app, world, user, login):
    [number] = _make(app, user, world)
    browser = login("clerk", username="clerk-good")
    resp = browser.submit(f"/shipments/{number}/ship", {"waybill": "sf 88", "carrier": "顺丰", "pieces": "2",
                                                        "freight_cost": "7.5"}, form_page=f"/shipments/{number}")
    assert resp.status_code == 302
    status, waybill, pieces, cost = _facts(app, number)
    assert status == "shipped" and waybill == "SF88" and pieces == 2 and float(cost) == 7.5
