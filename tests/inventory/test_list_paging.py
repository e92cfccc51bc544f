"""The ledger and the counts a page at a time by keyset cursor: every row once, in order, filters kept.

Movements and counts are bulk-inserted (the lists read them; nothing here posts through the ledger),
with several movements at the same moment so ties on the time are paged by id.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)


def _movements(app, stock, n=60) -> None:
    """``n`` movements between HQ, BJ and SH (three at each moment), newest last inserted first half."""
    from core.extensions import db
    from inventory.models import Movement

    routes = [(stock.hq, stock.bj_loc), (stock.bj_loc, stock.sh_loc), (stock.sh_loc, stock.hq)]
    rows = []
    for i in range(n):
        frm, to = routes[i % 3]
        rows.append({"at": T0 + timedelta(hours=(i * 7919) % n // 3), "part_id": (stock.usb, stock.cdr)[i % 2],
                     "from_location_id": frm, "to_location_id": to, "quantity": 1, "reason": "transfer",
                     "note": "", "recorded_at": T0})
    with app.app_context():
        db.session.execute(insert(Movement), rows)
        db.session.commit()


def _expected(app, where=None) -> list[int]:
    from core.extensions import db
    from inventory.models import Movement

    with app.app_context():
        stmt = select(Movement.id).order_by(Movement.at.desc(), Movement.id.desc())
        if where is not None:
            stmt = stmt.where(where(Movement))
        return list(db.session.scalars(stmt))


def _walk_api(api, path: str, **query) -> list[dict]:
    """Every item of an API list, following ``next`` (each cursor seen once)."""
    items, after, cursors = [], None, set()
    while True:
        args = dict(query, **({"after": after} if after else {}))
        body = api.get(path, query_string=args).get_json()
        assert set(body) == {"items", "per_page", "next"}, body
        items += body["items"]
        after = body["next"]
        if after is None:
            return items
        assert after not in cursors
        cursors.add(after)


def _next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _walk_page(client, path: str, row_re: str) -> list[int]:
    ids, url = [], path
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:400]
        html = resp.get_data(as_text=True)
        ids += [int(x) for x in re.findall(row_re, html)]
        url = _next_link(html)
    return ids


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


MOVEMENT_ROW = r'<tr><td>(\d+)</td><td>'


def test_ledger_api_pages_every_movement_once_newest_first(app, stock, api_as):
    _movements(app, stock)
    api = api_as("clerk")
    everything = _expected(app)
    assert [m["id"] for m in _walk_api(api, "/api/v1/inventory/movements", per_page=7)] == everything
    # A location: into it or out of it, in the same order.
    bj = _expected(app, lambda m: (m.from_location_id == stock.bj_loc) | (m.to_location_id == stock.bj_loc))
    got = _walk_api(api, "/api/v1/inventory/movements", location="OFF-BJ", per_page=4)
    assert [m["id"] for m in got] == bj and len(bj) == 40
    # A part and a period together.
    sku = _expected(app, lambda m: (m.part_id == stock.cdr) & (m.at >= T0))
    got = _walk_api(api, "/api/v1/inventory/movements", sku="MX-CDR", per_page=5, **{"from": "2026-03-01"})
    assert [m["id"] for m in got] == sku and {m["sku"] for m in got} == {"MX-CDR"}


def test_a_sku_over_the_whole_ledger_pages_each_part_it_names_by_its_own_index(app, stock, api_as, login):
    """A SKU filter without a location reads one side per part the SKU names (its own index range),
    or the whole ledger in time order when it names more parts than that; the rows are the same."""
    from core.extensions import db
    from inventory.models import Movement, Part
    from inventory.stock import MAX_SIDES

    _movements(app, stock)
    with app.app_context():
        many = [Part(sku=f"ZZ-{i:02d}", model=f"Z {i}") for i in range(MAX_SIDES + 1)]
        db.session.add_all(many)
        db.session.flush()
        db.session.execute(insert(Movement), [
            {"at": T0 + timedelta(minutes=i % 4), "part_id": many[i % len(many)].id, "from_location_id": stock.hq,
             "to_location_id": stock.bj_loc, "quantity": 1, "reason": "transfer", "note": "", "recorded_at": T0}
            for i in range(50)])
        db.session.commit()
        named = {sku: [pid for pid, in db.session.execute(select(Part.id).where(Part.sku.contains(sku)))]
                 for sku in ("S", "ZZ-", "MX-CDR")}
    api = api_as("clerk")
    for sku, parts in named.items():
        expected = _expected(app, lambda m, parts=parts: m.part_id.in_(parts))
        assert expected, sku
        for per_page in (1, 6):
            got = _walk_api(api, "/api/v1/inventory/movements", sku=sku, per_page=per_page)
            assert [m["id"] for m in got] == expected, (sku, per_page)
    # The page, for the two parts "S" names (USB-64 and SSD-1T).
    ids = _walk_page(login("supervisor"), "/inventory/movements?sku=S&per_page=4", MOVEMENT_ROW)
    assert ids == _expected(app, lambda m: m.part_id.in_(named["S"]))


def test_office_users_page_only_their_offices_movements(app, stock, api_as, login):
    _movements(app, stock)
    bj = _expected(app, lambda m: (m.from_location_id == stock.bj_loc) | (m.to_location_id == stock.bj_loc))
    office = api_as("office", username="bj-api", office_id=stock.bj)
    assert [m["id"] for m in _walk_api(office, "/api/v1/inventory/movements", per_page=6)] == bj
    page = login("office", username="bj-page", office_id=stock.bj)
    assert _walk_page(page, "/inventory/movements?per_page=9", MOVEMENT_ROW) == bj
    # Another office's location is refused, not listed.
    assert office.get("/api/v1/inventory/movements?location=OFF-SH").status_code == 403


def test_ledger_page_pages_with_its_filters(app, stock, login):
    _movements(app, stock)
    clerk = login("clerk", username="clerk-page")
    assert _walk_page(clerk, "/inventory/movements?per_page=8", MOVEMENT_ROW) == _expected(app)
    sh = _expected(app, lambda m: (m.from_location_id == stock.sh_loc) | (m.to_location_id == stock.sh_loc))
    first = clerk.get(f"/inventory/movements?location={stock.sh_loc}&per_page=5").get_data(as_text=True)
    assert f"location={stock.sh_loc}" in _next_link(first) and "First page" not in first
    second = clerk.get(_next_link(first)).get_data(as_text=True)
    assert "First page" in second
    assert _walk_page(clerk, f"/inventory/movements?location={stock.sh_loc}&per_page=5", MOVEMENT_ROW) == sh


GARBLED = ["x", "A" * 401, _cursor(["x"]), _cursor(["2026-03-01T02:00:00", 5]),  # a time without its zone
           _cursor([5, 5]), _cursor(["2026-03-01T02:00:00+00:00", "5"]), "%%%", _cursor({"at": 1})]


@pytest.mark.parametrize("after", GARBLED)
def test_a_forged_cursor_is_a_422_on_the_api_and_a_message_on_the_page(app, stock, api_as, login, after):
    _movements(app, stock, n=6)
    resp = api_as("clerk").get("/api/v1/inventory/movements", query_string={"after": after})
    assert resp.status_code == 422 and resp.is_json and "after" in resp.get_json()["errors"]
    page = login("clerk", username="clerk-page").get("/inventory/movements", query_string={"after": after})
    assert page.status_code == 422 and "This page link is no longer valid" in page.get_data(as_text=True)
    counts = api_as("supervisor", username="sup-api").get("/api/v1/inventory/counts", query_string={"after": after})
    assert counts.status_code == 422 and counts.is_json


def test_page_sizes_are_bounded(app, stock, api_as, login):
    _movements(app, stock)
    api = api_as("clerk")
    for bad in ("0", "201", "x", "-1"):
        resp = api.get(f"/api/v1/inventory/movements?per_page={bad}")
        assert resp.status_code == 422 and "per_page" in resp.get_json()["errors"]
        assert api.get(f"/api/v1/inventory/counts?per_page={bad}").status_code == 422
    big = api.get("/api/v1/inventory/movements?per_page=200").get_json()
    assert big["per_page"] == 200 and big["next"] is None and len(big["items"]) == len(_expected(app))
    one = api.get("/api/v1/inventory/movements?per_page=1").get_json()
    assert len(one["items"]) == 1 and one["next"]
    page = login("clerk", username="clerk-page")
    assert page.get("/inventory/movements?per_page=0").status_code == 422
    assert page.get("/inventory/counts?per_page=201").status_code == 422


def _counts(app, stock, n=45) -> None:
    """``n`` counts over HQ, BJ and SH in three statuses (every fifth of BJ's blind)."""
    from core.extensions import db
    from inventory.models import StockCount

    locations = (stock.hq, stock.bj_loc, stock.sh_loc)
    statuses = ("submitted", "accepted", "recount_required")
    with app.app_context():
        db.session.execute(insert(StockCount), [
            {"number": f"CNT-T{i:04d}", "location_id": locations[i % 3], "kind": "weekly", "method": "form",
             "blind": i % 15 == 1, "full": True, "counted_at": T0 + timedelta(hours=i), "status": statuses[i % 3 - 1],
             "note": "", "created_at": T0} for i in range(n)])
        db.session.commit()


def _count_ids(app, where=None) -> list[int]:
    from core.extensions import db
    from inventory.models import StockCount

    with app.app_context():
        stmt = select(StockCount.id).order_by(StockCount.id.desc())
        if where is not None:
            stmt = stmt.where(where(StockCount))
        return list(db.session.scalars(stmt))


def test_counts_page_by_cursor_with_their_filters_and_scope(app, stock, api_as, login):
    _counts(app, stock)
    sup = api_as("supervisor", username="sup-api")
    assert [c["id"] for c in _walk_api(sup, "/api/v1/inventory/counts", per_page=4)] == _count_ids(app)
    accepted_sh = _count_ids(app, lambda c: (c.status == "accepted") & (c.location_id == stock.sh_loc))
    got = _walk_api(sup, "/api/v1/inventory/counts", per_page=2, status="accepted", location="OFF-SH")
    assert [c["id"] for c in got] == accepted_sh and accepted_sh
    # An office sees its own office's counts, blind ones left out.
    bj = _count_ids(app, lambda c: (c.location_id == stock.bj_loc) & c.blind.is_(False))
    office = api_as("office", username="bj-api", office_id=stock.bj)
    assert [c["id"] for c in _walk_api(office, "/api/v1/inventory/counts", per_page=3)] == bj
    row = r'href="/inventory/counts/(\d+)"'
    assert _walk_page(login("office", username="bj-page", office_id=stock.bj), "/inventory/counts?per_page=4",
                      row) == bj
    page = login("supervisor", username="sup-page")
    assert _walk_page(page, "/inventory/counts?per_page=7", row) == _count_ids(app)
    submitted = _count_ids(app, lambda c: c.status == "submitted")
    assert _walk_page(page, "/inventory/counts?status=submitted&per_page=4", row) == submitted
    bad = page.get("/inventory/counts", query_string={"after": "garbled"})
    assert bad.status_code == 422 and "This page link is no longer valid" in bad.get_data(as_text=True)
