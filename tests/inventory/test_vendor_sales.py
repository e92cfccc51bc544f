"""CS enters each month's sales of the vendor-managed parts (the pool's top-ups follow them), on the
vendor pool page and through the API; wrong input is named and changes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

SKU = "MX-SSD-512"


@pytest.fixture()
def parts(app):
    from core.extensions import db
    from inventory.models import Part

    with app.app_context():
        db.session.add_all([Part(sku=SKU, model="Maxell SSD 512G", vendor_managed=True),
                            Part(sku="OWN-SSD", model="Own SSD", vendor_managed=False)])
        db.session.commit()


def _month(days_back: int = 0) -> str:
    from core.calendar import local_today

    return (local_today().replace(day=1) - timedelta(days=days_back)).strftime("%Y-%m")


def _rows(app):
    from sqlalchemy import select

    from core.extensions import db
    from inventory.models import VendorPartSales

    with app.app_context():
        return [(r.part.sku, r.month.strftime("%Y-%m"), r.quantity)
                for r in db.session.scalars(select(VendorPartSales).order_by(VendorPartSales.id))]


def test_sales_entered_and_corrected_through_the_api(app, api_as, parts):
    service = api_as("service")
    last = _month(1)
    first = service.put("/api/v1/inventory/vendor/sales", json={"sku": SKU, "month": last, "quantity": 300})
    assert first.status_code == 200 and first.get_json()["quantity"] == 300
    again = service.put("/api/v1/inventory/vendor/sales", json={"sku": SKU, "month": last, "quantity": 320})
    assert again.status_code == 200
    assert _rows(app) == [(SKU, last, 320)]
    listed = api_as("clerk").get("/api/v1/inventory/vendor/sales").get_json()
    assert [(r["sku"], r["month"], r["quantity"]) for r in listed] == [(SKU, last, 320)]


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"sku": "OWN-SSD", "quantity": 5}, "sku", 422),
    ({"sku": "NOPE", "quantity": 5}, "sku", 422),
    ({"sku": SKU, "month": "2026-13", "quantity": 5}, "month", 422),
    ({"sku": SKU, "month": "last", "quantity": 5}, "month", 422),
    ({"sku": SKU, "quantity": -1}, "quantity", 422),
    ({"sku": SKU, "month": "future", "quantity": 5}, "month", 422),
])
def test_wrong_sales_are_named_and_change_nothing(app, api_as, parts, body, field, status):
    body = {"month": _month(1), **body}
    if body["month"] == "future":
        body["month"] = _month(-40)
    resp = api_as("service").put("/api/v1/inventory/vendor/sales", json=body)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert field in str(resp.get_json().get("errors") or resp.get_json()), resp.get_json()
    assert _rows(app) == []


def test_only_customer_service_enters_sales(app, api_as, login, parts):
    assert api_as("clerk").put("/api/v1/inventory/vendor/sales",
                               json={"sku": SKU, "month": _month(1), "quantity": 5}).status_code == 403
    clerk = login("clerk", username="pool-clerk")
    page = clerk.get("/inventory/vendor").get_data(as_text=True)
    assert "Record the sales" not in page
    assert clerk.submit("/inventory/vendor/sales", {"sku": SKU, "month": _month(1), "quantity": "5"},
                        form_page="/inventory/vendor").status_code in (302, 303, 403)
    assert _rows(app) == []


def test_sales_entered_on_the_vendor_pool_page_in_chinese(app, login, parts):
    service = login("service", username="pool-cs")
    page = service.get("/inventory/vendor", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "月度销售" in page and "记录销售数量" in page and f'value="{_month(1)}"' in page
    done = service.submit("/inventory/vendor/sales", {"sku": SKU, "month": _month(1), "quantity": "250"},
                          form_page="/inventory/vendor")
    assert done.status_code in (302, 303)
    assert _rows(app) == [(SKU, _month(1), 250)]
    shown = service.get("/inventory/vendor").get_data(as_text=True)
    assert "250" in shown and "pool-cs" in shown
    refused = service.submit("/inventory/vendor/sales", {"sku": "OWN-SSD", "month": _month(1), "quantity": "5"},
                             form_page="/inventory/vendor", headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 303
    assert "不是供应商管理的备件" in service.get("/inventory/vendor", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert _rows(app) == [(SKU, _month(1), 250)]
