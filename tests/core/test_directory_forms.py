"""Directory pages read their forms through the API's schemas: every wrong field is named
once, beside the field, in the user's language, and nothing is written."""
from __future__ import annotations

import pytest

from core.directory.models import Dealer, RepairRoute


@pytest.fixture()
def zh(app):
    from core.extensions import babel

    babel.domain_instance.cache.clear()
    yield


def _count(app, model):
    from core.extensions import db

    with app.app_context():
        return db.session.query(model).count()


BAD_DEALER = {"code": "D0200", "name": "上海数码", "email": "wrong@", "phone": "abc", "birthday": "1975-13-40"}


@pytest.mark.parametrize("lang, headline, messages", [
    ("en", "Some fields need correcting.", ["Not a valid date.", "Not a valid email address.",
                                            "Not a valid phone number (digits, spaces, &#39;-&#39;, &#39;+&#39;, brackets)."]),
    ("zh-CN", "有些字段需要更正。", ["日期无效。", "邮箱地址无效。", "电话号码无效"]),
])
def test_a_wrong_dealer_names_every_field_once(app, login, zh, lang, headline, messages):
    c = login("service")
    resp = c.submit("/directory/dealers/new", BAD_DEALER, headers={"Accept-Language": lang})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert headline in html
    # The schema's refusal (the date) and the service's (email, phone) come in one answer, each once.
    for message in messages:
        assert html.count(message) == 1, message
    assert "Please correct" not in html and "birthday:" not in html and "email:" not in html  # no field codes
    assert 'value="wrong@"' in html
    assert _count(app, Dealer) == 0


def test_a_right_dealer_is_saved(app, login):
    c = login("service")
    resp = c.submit("/directory/dealers/new", {**BAD_DEALER, "email": "sh@example.com", "phone": "021-12345678",
                                               "birthday": "1975-06-01"}, headers={"Accept-Language": "en"})
    assert resp.status_code == 302
    with app.app_context():
        from core.extensions import db

        dealer = db.session.query(Dealer).one()
        assert dealer.email == "sh@example.com" and str(dealer.birthday) == "1975-06-01" and dealer.active is False


@pytest.mark.parametrize("lang, expected", [("en", "Not a valid integer."), ("zh-CN", "不是有效的整数。")])
def test_a_wrong_route_number_is_shown_beside_it_and_an_edit_changes_nothing(app, login, zh, lang, expected):
    c = login("admin")
    fac = c.submit("/directory/factories/new", {"code": "TWF", "name": "台湾返修中心"})
    fid = fac.headers["Location"].rsplit("/", 1)[1]
    made = c.submit("/directory/routes/new", {"code": "TW", "name": "台湾返修", "factory_id": fid,
                                              "promise_days": "7", "dispatch_days": "2", "active": "y"})
    route_url = made.headers["Location"]
    resp = c.submit(f"{route_url}/edit", {"code": "TW", "name": "改名", "factory_id": fid, "promise_days": "seven",
                                          "dispatch_days": "2", "active": "y"}, headers={"Accept-Language": lang})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert html.count(expected) == 1
    with app.app_context():
        from core.extensions import db

        route = db.session.query(RepairRoute).one()
        assert route.name == "台湾返修" and route.promise_days == 7
    ok = c.submit(f"{route_url}/edit", {"code": "TW", "name": "改名", "factory_id": fid, "promise_days": "",
                                        "dispatch_days": "2"})
    assert ok.status_code == 302
    with app.app_context():
        from core.extensions import db

        route = db.session.query(RepairRoute).one()
        assert route.name == "改名" and route.promise_days is None and route.active is False
