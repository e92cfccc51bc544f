"""core.forms: a page loads its input through a marshmallow schema, shows a wrong value
as words naming the field (in the user's language) and answers a refused action one way."""
from __future__ import annotations

import pytest
from flask import g, get_flashed_messages
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.forms import field_label, read_form, refused, ticked
from core.validation_messages import translate_message, translate_messages


class WidgetArgs(Schema):
    quantity = fields.Int(required=True, validate=validate.Range(min=1, max=99),
                          metadata={"label": _l("Quantity")})
    note = fields.Str(load_default="")
    tags = fields.List(fields.Str(), load_default=list)
    urgent = fields.Bool(load_default=False)
    day = fields.Date(load_default=None, metadata={"label": _l("Date")})


@pytest.fixture()
def zh(app):
    from core.extensions import babel

    babel.domain_instance.cache.clear()
    yield


def _load(app, data, lang="en"):
    with app.test_request_context("/x", method="POST", data=data, headers={"Accept-Language": lang}):
        return read_form(WidgetArgs)


def test_a_good_form_loads_as_the_api_would(app):
    loaded = _load(app, MultiDict([("quantity", "3"), ("tags", "a"), ("tags", "b"), ("tags", " "),
                                   ("urgent", "on"), ("day", ""), ("other", "x")]))
    assert loaded == {"quantity": 3, "note": "", "tags": ["a", "b"], "urgent": True, "day": None}


def test_an_unticked_box_and_empty_fields_take_the_defaults(app):
    assert _load(app, {"quantity": "1", "note": ""}) == {
        "quantity": 1, "note": "", "tags": [], "urgent": False, "day": None}


@pytest.mark.parametrize("data, message", [
    ({"quantity": "abc"}, "Quantity: Not a valid integer."),
    ({}, "Quantity: Missing data for required field."),
    ({"quantity": ""}, "Quantity: Missing data for required field."),
    ({"quantity": "100"}, "Quantity: Must be between 1 and 99."),
    ({"quantity": "1", "day": "31/02"}, "Date: Not a valid date."),
])
def test_a_wrong_value_names_the_field_in_words(app, data, message):
    with app.test_request_context("/x", method="POST", data=data, headers={"Accept-Language": "en"}):
        with pytest.raises(ValidationFailed) as caught:
            read_form(WidgetArgs)
        resp = refused(caught.value, back="/form")
        assert resp[1] == 303 and resp[0].location == "/form"
        flashed = get_flashed_messages()
        assert flashed[0] == "Some fields need correcting."
        assert message in flashed
        assert g.uow_rollback_only is True


@pytest.mark.parametrize("data, message", [
    ({"quantity": "abc"}, "数量: 不是有效的整数。"),
    ({}, "数量: 此项必填。"),
    ({"quantity": "0"}, "数量: 必须在 1 到 99 之间。"),
])
def test_a_wrong_value_reads_in_chinese(app, zh, data, message):
    with app.test_request_context("/x", method="POST", data=data, headers={"Accept-Language": "zh-CN"}):
        with pytest.raises(ValidationFailed) as caught:
            read_form(WidgetArgs)
        refused(caught.value)
        flashed = get_flashed_messages()
        assert flashed[0] == "有些字段需要更正。"
        assert message in flashed
        assert not any("Not a valid" in m or "Missing data" in m for m in flashed)


def test_a_field_without_a_label_shows_the_message_alone(app):
    class Args(Schema):
        part_id = fields.Int(required=True)

    with app.test_request_context("/x", method="POST", data={"part_id": "x"}):
        with pytest.raises(ValidationFailed) as caught:
            read_form(Args)
        refused(caught.value)
        flashed = get_flashed_messages()
        assert "Not a valid integer." in flashed
        assert not any("part_id" in m for m in flashed)


def test_refused_goes_back_to_the_same_page_by_default(app):
    with app.test_request_context("/inventory/counts/3?tab=a", method="POST"):
        resp, status = refused(Conflict("Already closed."))
        assert status == 303 and resp.location == "/inventory/counts/3?tab=a"
        assert get_flashed_messages(with_categories=True) == [("error", "Already closed.")]


@pytest.mark.parametrize("error", [Forbidden("no"), NotFound("gone")])
def test_access_errors_stay_errors(app, error):
    with app.test_request_context("/x", method="POST"):
        with pytest.raises(type(error)):
            refused(error)


def test_ticked_and_labels(app):
    with app.test_request_context("/x", method="POST", data={"a": "on", "b": "", "c": "yes"}):
        assert ticked("a") and ticked("c") and not ticked("b") and not ticked("d")
    with app.test_request_context("/x", headers={"Accept-Language": "en"}):
        assert field_label(WidgetArgs, "quantity") == "Quantity"
        assert field_label(WidgetArgs, "note") == "" and field_label(WidgetArgs, "nothing") == ""


def test_marshmallow_messages_with_values_are_translated(app, zh):
    with app.test_request_context("/x", headers={"Accept-Language": "zh-CN"}):
        assert translate_message("Must be greater than or equal to 1.") == "不能小于 1。"
        assert translate_message("Must be less than or equal to 5.") == "不能大于 5。"
        assert translate_message(
            "Must be greater than or equal to 1 and less than 5.") == "必须大于等于 1 且小于 5。"
        assert translate_message("Longer than maximum length 40.") == "超过最大长度 40。"
        assert translate_message("Must be one of: a, b.") == "必须是以下之一：a, b。"
        # A project's own message (already in the user's language) is kept.
        assert translate_message("自定义") == "自定义"
        assert translate_messages({"lines": {0: {"qty": ["Not a valid integer."]}}}) == {
            "lines": {0: {"qty": ["不是有效的整数。"]}}}
    with app.test_request_context("/x", headers={"Accept-Language": "en"}):
        assert translate_message("Must be greater than or equal to 1.") == "Must be at least 1."


def test_the_api_shows_the_same_words(api_as, zh):
    api = api_as("clerk")
    body = {"sku": "X", "from_location": "A", "to_location": "B", "reason": "r", "quantity": "many"}
    resp = api.post("/api/v1/inventory/movements", json=body, headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["quantity"] == ["不是有效的整数。"]
    resp = api.post("/api/v1/inventory/movements", json=body, headers={"Accept-Language": "en"})
    assert resp.get_json()["errors"]["quantity"] == ["Not a valid integer."]


@pytest.mark.parametrize("lang, expected", [("en", "Not a valid integer."), ("zh-CN", "不是有效的整数。")])
def test_the_user_form_shows_a_wrong_office_beside_the_field(app, login, zh, lang, expected):
    from core.accounts.models import User
    from core.extensions import db

    admin = login("admin")
    resp = admin.submit("/admin/users/new", {"username": "kim", "password": "kim-secret-1", "roles": ["clerk"],
                                             "office_id": "BJ"}, form_page="/admin/users/new",
                        headers={"Accept-Language": lang})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert page.count(expected) == 1  # beside the field, not flashed a second time
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="kim")) is None


def test_a_refusal_names_fields_by_their_labels_only(app):
    from core.forms import flash_refusal

    err = ValidationFailed("Check the form.", errors={"dealer_id": ["No such dealer."], "Quantity": ["Too many."],
                                                      "lines.0.sku": ["Unknown."], "": ["Whole form."]},
                           labels={"dealer_id": "Dealer"})
    with app.test_request_context("/x", method="POST"):
        flash_refusal(err)
        # Only the words given as labels name a field; every other message is shown alone, none dropped.
        assert get_flashed_messages() == ["Check the form.", "Dealer: No such dealer.", "Too many.", "Unknown.",
                                          "Whole form."]
    with app.test_request_context("/x", method="POST"):
        flash_refusal(err, beside={"dealer_id", "Quantity"})
        assert get_flashed_messages() == ["Check the form.", "Unknown.", "Whole form."]


def test_a_named_form_carries_the_labels(app):
    with app.test_request_context("/x", method="POST", data={"quantity": "x"}, headers={"Accept-Language": "en"}):
        with pytest.raises(ValidationFailed) as caught:
            read_form(WidgetArgs, named=True)
        assert caught.value.errors == {"quantity": ["Not a valid integer."]}
        assert caught.value.labels == {"quantity": "Quantity"}
