"""Entering DOA applications: by service staff (page and API) and by the dealer on the no-login page."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.doa.conftest import DEALER_CODE, PHONE_LAST4, at

GOOD = {"dealer_code": DEALER_CODE, "request": "replacement", "purchase_date": "2026-09-01",
        "fault": "开箱无法识别", "units": [{"serial": "sn-0001", "model": "SSD A400 240G"}]}


def _count(app):
    from core.extensions import db
    from doa.models import DoaApplication

    with app.app_context():
        return db.session.scalar(select(func.count(DoaApplication.id)))


def test_service_enters_an_application_with_a_number_and_a_one_day_approval_deadline(app, world, bearer):
    resp = bearer("service").post("/api/v1/doa/applications", json=GOOD)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["number"].startswith("DOA") and body["number"].endswith("-0001")
    assert body["state"] == "submitted"
    assert body["units"][0]["serial"] == "SN-0001"  # as a scanner reads it
    assert body["allowed_actions"] == ["cancel", "channel_approve", "channel_refuse", "product_approve",
                                       "product_refuse"]
    assert [e["action"] for e in body["history"]] == ["apply"]
    assert body["history"][0]["actor_name"] == "service"


def test_approval_due_is_one_working_day_after_the_application(ctx, world):
    from tests.doa.conftest import new_application

    # Applied on Wednesday 2026-09-30, the eve of the National Day holiday: due Thursday 2026-10-08.
    app = new_application(when=at(date(2026, 9, 30)))
    assert app.approval_due == date(2026, 10, 8)
    # Applied on Friday 2026-10-09: Saturday 2026-10-10 is a make-up working day.
    assert new_application(serials=("SN0002",), when=at(date(2026, 10, 9))).approval_due == date(2026, 10, 10)


@pytest.mark.parametrize(("change", "field"), [
    ({"request": "swap"}, "request"),
    ({"purchase_date": "2999-01-01"}, "purchase_date"),
    ({"fault": "   "}, "fault"),
    ({"units": []}, "units"),
    ({"units": [{"serial": "SN 1", "model": "X"}]}, "units.0"),
    ({"units": [{"serial": "SN1", "model": ""}]}, "units.0"),
    ({"units": [{"serial": "SN1", "model": "X"}, {"serial": "sn1", "model": "X"}]}, "units.1"),
    ({"dealer_code": "NOPE"}, "dealer"),
])
def test_a_bad_field_is_a_422_naming_it_and_nothing_is_created(app, world, bearer, change, field):
    resp = bearer("service").post("/api/v1/doa/applications", json={**GOOD, **change})
    assert resp.status_code == 422
    assert field in resp.get_json()["errors"]
    assert _count(app) == 0


def test_unknown_api_field_is_refused(app, world, bearer):
    resp = bearer("service").post("/api/v1/doa/applications", json={**GOOD, "state": "approved"})
    assert resp.status_code == 422
    assert _count(app) == 0


def test_a_unit_already_on_an_open_application_is_a_409(app, world, bearer):
    client = bearer("service")
    first = client.post("/api/v1/doa/applications", json=GOOD).get_json()["number"]
    resp = client.post("/api/v1/doa/applications", json=GOOD)
    assert resp.status_code == 409
    assert first in resp.get_json()["message"]
    assert _count(app) == 1


@pytest.mark.parametrize("role", ["clerk", "channel", "product", "office-bj"])
def test_only_service_staff_enter_applications(app, world, bearer, role):
    assert bearer(role).post("/api/v1/doa/applications", json=GOOD).status_code == 403
    assert _count(app) == 0


def test_service_enters_an_application_on_the_page(app, world, signed_in):
    client = signed_in("service")
    resp = client.submit("/doa/new", {"dealer_code": DEALER_CODE, "request": "refund", "purchase_date": "2026-09-02",
                                      "fault": "掉盘", "units": "SN9 SSD-NV2-1TB 开箱掉盘\nSN10 SSD-NV2-1TB"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "SN9" in page and "SN10" in page and "开箱掉盘" in page
    assert _count(app) == 1


def test_the_page_shows_what_is_wrong_and_keeps_the_input(app, world, signed_in):
    client = signed_in("service")
    resp = client.submit("/doa/new", {"dealer_code": DEALER_CODE, "request": "replacement", "purchase_date": "",
                                      "fault": "掉盘", "units": "SN9"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "The purchase date is required." in page and "Model is required." in page
    assert "掉盘" in page
    assert _count(app) == 0


# --------------------------------------------------------------------------- the dealer's page

PUBLIC = {"dealer_code": DEALER_CODE, "phone_last4": PHONE_LAST4, "request": "replacement",
          "purchase_date": "2026-09-01", "fault": "开箱无法识别", "units": "SN77 U盘-64G"}
NEUTRAL = "We could not match these details."


def test_dealer_applies_without_login(app, world, client):
    resp = client.submit("/doa-apply", PUBLIC)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Do not send the unit yet" in page
    from core.extensions import db
    from doa.models import DoaApplication

    with app.app_context():
        row = db.session.scalar(select(DoaApplication))
        assert row.source == "dealer" and row.created_by == f"dealer:{DEALER_CODE}"
        assert row.number in page


@pytest.mark.parametrize("change", [{"phone_last4": "9999"}, {"dealer_code": "D9999"}, {"dealer_code": "D0002"}])
def test_a_wrong_dealer_and_phone_pair_gets_one_neutral_answer(app, world, client, change):
    resp = client.submit("/doa-apply", {**PUBLIC, **change})
    assert resp.status_code == 404
    assert NEUTRAL in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_field_errors_are_shown_before_the_dealer_is_checked(app, world, client):
    # A bad field gets the same answer whatever the dealer code: nobody learns which codes exist.
    one = client.submit("/doa-apply", {**PUBLIC, "units": "", "dealer_code": "D9999"})
    two = client.submit("/doa-apply", {**PUBLIC, "units": ""})
    assert one.status_code == two.status_code == 422
    assert "List at least one unit." in one.get_data(as_text=True)
    assert _count(app) == 0


def test_the_dealer_pages_are_rate_limited(app, world, client):
    app.config["DOA_PUBLIC_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.submit("/doa-apply/status", {"number": "DOA2611-0001", "phone_last4": "0000"}).status_code
                 for _ in range(4)]
    finally:
        app.config["DOA_PUBLIC_RATE_LIMIT"] = "10 per minute"
    assert codes[:3] == [404, 404, 404]
    assert codes[3] == 429


def test_dealer_sees_the_state_with_number_and_phone(app, world, client, bearer):
    number = bearer("service").post("/api/v1/doa/applications", json=GOOD).get_json()["number"]
    ok = client.submit("/doa-apply/status", {"number": number.lower(), "phone_last4": PHONE_LAST4})
    assert ok.status_code == 200
    assert "waiting for approval" in ok.get_data(as_text=True)
    wrong = client.submit("/doa-apply/status", {"number": number, "phone_last4": "4321"})
    assert wrong.status_code == 404 and NEUTRAL in wrong.get_data(as_text=True)
