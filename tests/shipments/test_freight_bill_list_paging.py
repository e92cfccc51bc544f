"""The list of freight bills a page at a time by keyset cursor (newest month first, then newest bill)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from tests.shipments.test_bill_lines_paging import _import

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)


def _bills(app, n=23) -> list[int]:
    """``n`` bills over a few months (several per month); their ids newest month first, then newest bill."""
    from core.extensions import db
    from shipments.models import FreightBill

    with app.app_context():
        db.session.execute(insert(FreightBill), [
            {"period": f"2026-{(i * 5) % 9 + 1:02d}", "filename": f"b{i}.csv", "checksum": f"{i:064d}",
             "imported_at": T0, "line_count": 0, "totals": {}} for i in range(n)])
        db.session.commit()
        return list(db.session.scalars(select(FreightBill.id).order_by(FreightBill.period.desc(),
                                                                       FreightBill.id.desc())))


def _next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_bill_list_api_pages_every_bill_once_in_order(app, world, user, api_as):
    imported, _total = _import(app, world, user)
    expected = _bills(app)
    sup = api_as("supervisor", username="api-sup")
    seen, after = [], None
    while True:
        body = sup.get("/api/v1/shipments/freight-bills", query_string={"per_page": 4, **({"after": after} if after
                                                                                          else {})}).get_json()
        assert set(body) == {"items", "per_page", "next"} and body["per_page"] == 4
        seen += body["items"]
        after = body["next"]
        if after is None:
            break
    assert [b["id"] for b in seen] == expected
    # Each bill's counts and payable total come with the page, as on the bill itself.
    bill = next(b for b in seen if b["id"] == imported)
    one = sup.get(f"/api/v1/shipments/freight-bills/{imported}").get_json()
    assert bill["counts"] == one["counts"] and bill["reviews"] == one["reviews"] and bill["payable"] == one["payable"]
    assert bill["counts"]["no_shipment"] == 128 and bill["line_count"] == 130


@pytest.mark.parametrize("bad", ["after=x", "after=" + "A" * 401, "after=WyJ4Il0", "after=WzEsMV0",  # [1,1]
                                 "per_page=0", "per_page=201", "per_page=x"])
def test_a_bad_cursor_or_size_is_refused(app, world, api_as, login, bad):
    _bills(app, 3)
    resp = api_as("supervisor", username="api-sup").get(f"/api/v1/shipments/freight-bills?{bad}")
    assert resp.status_code == 422 and resp.is_json and bad.split("=")[0] in resp.get_json()["errors"]
    page = login("supervisor", username="page-sup").get(f"/shipments/freight?{bad}")
    assert page.status_code == 422
    if bad.startswith("after"):
        assert "This page link is no longer valid" in page.get_data(as_text=True)


def test_bill_list_page_follows_next_to_the_end(app, world, login):
    expected = _bills(app, 120)
    sup = login("supervisor", username="page-sup")
    ids, url, pages = [], "/shipments/freight", 0
    while url:
        html = sup.get(url).get_data(as_text=True)
        ids += [int(x) for x in re.findall(r'href="/shipments/freight/(\d+)"', html)]
        url, pages = _next_link(html), pages + 1
    assert ids == expected and pages == 3  # 50 a page
    assert sup.get("/shipments/freight?per_page=200").get_data(as_text=True).count('rel="next"') == 0
