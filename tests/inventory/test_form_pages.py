"""Inventory pages read their forms through the API's schemas: a wrong value comes back
as words naming the field (in the user's language) on the form, and nothing is changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select


@pytest.fixture()
def zh(app):
    from core.extensions import babel

    babel.domain_instance.cache.clear()
    yield


def _count(app, model):
    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _signed_in(app, name):
    c = app.test_client()
    assert c.login(name, f"{name}-pass").status_code == 302
    return c


def _flashes(c):
    with c.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


MOVEMENT = {"sku": "USB-64", "from": "HQ", "to": "OFF-BJ", "quantity": "3", "reason": "transfer", "note": ""}


@pytest.mark.parametrize("lang, expected", [
    ("en", "Quantity: Not a valid integer."),
    ("zh-CN", "数量: 不是有效的整数。"),
])
def test_a_wrong_quantity_is_named_and_nothing_is_posted(app, stock, zh, lang, expected):
    from inventory.models import Movement

    clerk = _signed_in(app, "clerk1")
    before = _count(app, Movement)
    resp = clerk.submit("/inventory/movements", {**MOVEMENT, "quantity": "three"},
                        headers={"Accept-Language": lang})
    assert resp.status_code == 303 and resp.location.endswith("/inventory/movements")
    assert expected in _flashes(clerk)
    assert _count(app, Movement) == before


def test_a_missing_reason_is_named(app, stock):
    clerk = _signed_in(app, "clerk1")
    clerk.submit("/inventory/movements", {**MOVEMENT, "reason": ""}, headers={"Accept-Language": "en"})
    assert any(m.startswith("Reason: ") for m in _flashes(clerk))


def test_a_good_movement_is_posted(app, stock):
    from inventory.models import Movement

    clerk = _signed_in(app, "clerk1")
    before = _count(app, Movement)
    resp = clerk.submit("/inventory/movements", MOVEMENT, headers={"Accept-Language": "en"})
    assert resp.status_code == 302
    assert _count(app, Movement) == before + 1
    assert any(m.startswith("Movement ") for m in _flashes(clerk))


@pytest.mark.parametrize("lang, expected", [
    ("en", "USB-64 (Quantity): Not a valid integer."),
    ("zh-CN", "USB-64 (数量): 不是有效的整数。"),
])
def test_a_wrong_line_of_an_office_request_names_the_part(app, stock, zh, lang, expected):
    from inventory.models import SpareRequest

    office = _signed_in(app, "bj-user")
    resp = office.submit("/inventory/requests/new", {f"qty-{stock.usb}": "lots"},
                         form_page="/inventory/requests", headers={"Accept-Language": lang})
    assert resp.status_code == 303 and resp.location.endswith("/inventory/requests")
    assert expected in _flashes(office)
    assert _count(app, SpareRequest) == 0


def test_an_empty_office_request_says_what_to_do(app, stock):
    office = _signed_in(app, "bj-user")
    office.submit("/inventory/requests/new", {}, form_page="/inventory/requests",
                  headers={"Accept-Language": "en"})
    assert "Ask for at least one part." in _flashes(office)


def test_a_good_office_request_is_sent(app, stock):
    from inventory.models import SpareRequest

    office = _signed_in(app, "bj-user")
    resp = office.submit("/inventory/requests/new", {f"qty-{stock.usb}": "2", f"qty-{stock.ssd}": "0"},
                         form_page="/inventory/requests", headers={"Accept-Language": "en"})
    assert resp.status_code == 302 and "/inventory/requests/" in resp.location
    assert _count(app, SpareRequest) == 1


def test_a_wrong_count_line_shows_the_form_again(app, stock, zh):
    from inventory.models import StockCount

    office = _signed_in(app, "bj-user")
    resp = office.submit("/inventory/counts/new", {"location": str(stock.bj_loc), "kind": "weekly", "full": "1",
                                                   f"qty-{stock.usb}": "-4"},
                         headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "USB-64 (数量): 必须在 0 到 1000000 之间。" in html
    assert 'value="-4"' in html  # what the user typed is kept
    assert _count(app, StockCount) == 0


def test_a_wrong_location_filter_is_a_clear_422(app, stock):
    clerk = _signed_in(app, "clerk1")
    resp = clerk.get("/inventory/?location=abc", headers={"Accept-Language": "en"})
    assert resp.status_code == 422
    assert "Not a valid integer." in resp.get_data(as_text=True)
