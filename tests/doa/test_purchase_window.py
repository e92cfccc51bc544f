"""A purchase older than the DOA window (default 15 days, DOA_WINDOW_DAYS) is flagged for the approvers."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.doa.conftest import DEALER_CODE, PHONE_LAST4


def _apply(days_ago: int, serial: str = "SN1"):
    from core.accounts.service import get_user
    from core.calendar import local_today
    from doa import applications

    return applications.create_application(
        get_user("service"), dealer_code=DEALER_CODE, request="replacement",
        purchase_date=local_today() - timedelta(days=days_ago), fault="开箱无法识别",
        units=[{"serial": serial, "model": "SSD A400 240G"}])


@pytest.mark.parametrize(("days_ago", "flagged"), [(0, False), (15, False), (16, True), (730, True)])
def test_a_purchase_beyond_the_window_is_flagged_in_words(ctx, world, days_ago, flagged):
    from doa import applications

    app = _apply(days_ago)
    assert app.outside_window is flagged and app.window_days == 15
    flag = applications.window_flag(app)
    if flagged:
        assert f"Bought {days_ago} days before the application, beyond the 15-day DOA window" in flag
    else:
        assert flag is None
    assert app.state == "submitted"  # flagged for the approvers, not refused


def test_the_window_is_a_setting(app, world):
    from core.extensions import db

    app.config["DOA_WINDOW_DAYS"] = 30
    try:
        with app.app_context():
            assert _apply(20).outside_window is False
            late = _apply(31, serial="SN2")
            assert late.outside_window is True and late.window_days == 30
            db.session.rollback()
    finally:
        app.config["DOA_WINDOW_DAYS"] = 15


def _two_year_old(app):
    from core.extensions import db

    with app.app_context():
        row = _apply(730)
        db.session.commit()
        return row.number


def test_the_approvers_see_the_flag_on_the_pages(app, world, signed_in):
    number = _two_year_old(app)
    client = signed_in("channel")
    detail = client.get(f"/doa/{number}").get_data(as_text=True)
    assert "Bought 730 days before the application, beyond the 15-day DOA window: check before approving." in detail
    assert "beyond the DOA window" in client.get("/doa/").get_data(as_text=True)
    zh = client.get(f"/doa/{number}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "超出15天DOA期限" in zh


def test_the_api_carries_the_flag(app, world, bearer):
    number = _two_year_old(app)
    body = bearer("product").get(f"/api/v1/doa/applications/{number}").get_json()
    assert body["outside_window"] is True and body["window_days"] == 15 and body["purchase_age_days"] == 730
    assert "beyond the 15-day DOA window" in body["window_flag"]
    listed = bearer("product").get("/api/v1/doa/applications").get_json()["items"][0]
    assert listed["outside_window"] is True and listed["window_flag"]


def test_a_dealer_application_two_years_after_purchase_is_flagged(app, world, client, bearer):
    from core.calendar import local_today

    resp = client.submit("/doa-apply", {
        "dealer_code": DEALER_CODE, "phone_last4": PHONE_LAST4, "request": "replacement", "fault": "坏",
        "purchase_date": (local_today() - timedelta(days=730)).isoformat(), "units": "SN5 SSD A400 240G"})
    assert resp.status_code == 200
    item = bearer("channel").get("/api/v1/doa/applications").get_json()["items"][0]
    assert item["outside_window"] is True


def test_a_service_entry_beyond_the_window_warns_at_once(app, world, signed_in):
    from core.calendar import local_today

    client = signed_in("service")
    resp = client.submit("/doa/new", {
        "dealer_code": DEALER_CODE, "request": "replacement", "fault": "坏",
        "purchase_date": (local_today() - timedelta(days=100)).isoformat(), "units-0-serial": "SN6",
        "units-0-model": "SSD A400 240G"}, follow_redirects=True)
    assert "beyond the 15-day DOA window" in resp.get_data(as_text=True)


def test_the_window_comes_from_the_environment(tmp_path):
    from core.config import ConfigError, load_config

    assert load_config(str(tmp_path), env={"DEPOT_DOA_WINDOW_DAYS": "30"})["DOA_WINDOW_DAYS"] == 30
    assert "DOA_WINDOW_DAYS" not in load_config(str(tmp_path), env={})  # the DOA rules' default (15) applies
    for bad in ("abc", "0", "-3"):
        with pytest.raises(ConfigError, match="DEPOT_DOA_WINDOW_DAYS"):
            load_config(str(tmp_path), env={"DEPOT_DOA_WINDOW_DAYS": bad})
