"""The dealer's status page shows the replacement's waybill, carrier and ship date once it shipped."""
from __future__ import annotations

from datetime import date

from tests.doa.conftest import PHONE_LAST4
from tests.doa.steps import received, shipped


def test_the_dealer_summary_carries_the_replacement_shipment(ctx, world):
    from doa import lookup

    waiting = lookup.dealer_summary(received(serials=("SN9",)))
    assert (waiting["replacement_waybill"], waiting["replacement_carrier"], waiting["replacement_shipped_on"]) == \
        (None, None, None)
    summary = lookup.dealer_summary(shipped(waybill="DB100200300", carrier="德邦", shipped_at=date(2026, 11, 20)))
    assert (summary["replacement_waybill"], summary["replacement_carrier"], summary["replacement_shipped_on"]) == \
        ("DB100200300", "德邦", date(2026, 11, 20))


def _shipped_number(app):
    from core.extensions import db

    with app.app_context():
        row = shipped(waybill="DB100200300", carrier="德邦", shipped_at=date(2026, 11, 20))
        db.session.commit()
        return row.number


def test_the_status_page_shows_waybill_carrier_and_ship_date(app, world, client):
    number = _shipped_number(app)
    resp = client.submit("/doa-apply/status", {"number": number, "phone_last4": PHONE_LAST4})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "DB100200300" in page and "德邦" in page and "shipped on 2026-11-20" in page
    zh = client.submit("/doa-apply/status", {"number": number, "phone_last4": PHONE_LAST4},
                       headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "运单号" in zh and "发货日期 2026-11-20" in zh


def test_the_status_page_before_shipping_shows_no_waybill(app, world, client):
    from core.extensions import db

    with app.app_context():
        number = received(serials=("SN9",)).number
        db.session.commit()
    page = client.submit("/doa-apply/status", {"number": number, "phone_last4": PHONE_LAST4}).get_data(as_text=True)
    assert "Replacement ships by" in page and 'id="replacement-shipment"' not in page


def test_the_api_names_waybill_carrier_and_ship_time(app, world, bearer):
    number = _shipped_number(app)
    body = bearer("service").get(f"/api/v1/doa/applications/{number}").get_json()
    assert (body["replacement_waybill"], body["replacement_carrier"]) == ("DB100200300", "德邦")
    assert body["replacement_shipped_at"].startswith("2026-11-")
