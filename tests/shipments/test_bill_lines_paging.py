"""A long freight bill's lines come a page at a time (page and API); counts and totals stay the whole bill's."""
from __future__ import annotations

import io
import re
from tests.shipments.test_freight import _factory_shipments

LINES = 130  # two full pages of 50 and a last page of 30 (with the shipments' lines)


def _bill_csv() -> bytes:
    rows = ["waybill,ship_date,amount", "WB1,2026-10-09,18.00", "WB2,2026-10-12,21.00"]
    rows += [f"NS-{i:04d},2026-10-15,{i % 7 + 1}.50" for i in range(LINES - 2)]
    return ("\n".join(rows) + "\n").encode("utf-8")


def _import(app, world, user):
    from core.extensions import db
    from shipments.freight import import_freight_bill

    _factory_shipments(app, world, user)
    with app.app_context():
        bill = import_freight_bill(user("sup"), filename="oct.csv", content=_bill_csv(), period="2026-10")
        db.session.commit()
        return bill.id, bill.total_amount


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="freight-(\w+)">', html)


def _next(html: str) -> str | None:
    """The "Next page" link of a bill page (its cursor already in it), unescaped."""
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_bill_page_lists_fifty_lines_a_page_with_whole_bill_counts(app, world, user, login):
    bill_id, total = _import(app, world, user)
    sup = login("supervisor", username="sup2")
    first = sup.get(f"/shipments/freight/{bill_id}")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    rows = _rows(html)
    # Every line of the bill is a finding (WB1 matched, WB2 differs, 128 without a shipment) plus the
    # unbilled shipments WB3 and WB4: 132 in all, differences first.
    assert len(rows) == 50 and rows[0] == "amount_diff" and rows[1:] == ["no_shipment"] * 49
    assert "132 in all" in html and "Next page" in html and "First page" not in html
    assert "All (132)" in html and "no shipment (128)" in html
    second = sup.get(_next(html)).get_data(as_text=True)
    assert _rows(second) == ["no_shipment"] * 50 and "First page" in second
    last = sup.get(_next(second)).get_data(as_text=True)
    assert _rows(last) == ["no_shipment"] * 29 + ["unbilled"] * 2 + ["matched"]
    assert _next(last) is None
    # The payable total is the whole bill's on every page.
    assert "All (132)" in last and f"<strong>{total}</strong>" in last and f"<strong>{total}</strong>" in html
    # A filter pages too, and keeps the filter in the pager's links.
    kind_first = sup.get(f"/shipments/freight/{bill_id}?kind=no_shipment").get_data(as_text=True)
    link = _next(kind_first)
    assert "kind=no_shipment" in link and "after=" in link
    kind = sup.get(link).get_data(as_text=True)
    assert _rows(kind) == ["no_shipment"] * 50 and "128 in all" in kind and "kind=no_shipment" in _next(kind)
    for bad in ("after=x", "after=" + "A" * 500, "per_page=0", "per_page=x"):
        assert sup.get(f"/shipments/freight/{bill_id}?{bad}").status_code == 422


def test_bill_api_pages_its_lines(app, world, user, api_as):
    bill_id, _total = _import(app, world, user)
    sup = api_as("supervisor", username="api-sup")
    body = sup.get(f"/api/v1/shipments/freight-bills/{bill_id}").get_json()
    assert len(body["findings"]) == 50 and body["findings_page"]["total"] == 132
    assert body["findings_page"]["per_page"] == 50 and body["findings_page"]["next"]
    assert body["counts"]["no_shipment"] == 128 and body["line_count"] == LINES
    assert body["reviews"]["accepted"] == LINES
    seen, after = [], None
    while True:
        query = f"?after={after}" if after else ""
        page = sup.get(f"/api/v1/shipments/freight-bills/{bill_id}{query}").get_json()
        seen += [f["id"] for f in page["findings"]]
        after = page["findings_page"]["next"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 132
    big = sup.get(f"/api/v1/shipments/freight-bills/{bill_id}?per_page=200").get_json()
    assert len(big["findings"]) == 132 and big["findings_page"]["next"] is None
    matched = sup.get(f"/api/v1/shipments/freight-bills/{bill_id}?kind=matched").get_json()
    assert [f["waybill"] for f in matched["findings"]] == ["WB1"] and matched["findings_page"]["total"] == 1
    for bad in ("after=x", "per_page=201", "kind=lost"):
        resp = sup.get(f"/api/v1/shipments/freight-bills/{bill_id}?{bad}")
        assert resp.status_code == 422 and resp.is_json


def test_import_answers_with_the_first_page_only(app, world, user, api_as):
    _factory_shipments(app, world, user)
    sup = api_as("supervisor", username="api-sup")
    resp = sup.post("/api/v1/shipments/freight-bills", data={
        "period": "2026-10", "file": (io.BytesIO(_bill_csv()), "oct.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert len(body["findings"]) == 50 and body["findings_page"]["total"] == 132
    assert body["counts"]["no_shipment"] == 128


def test_a_decision_returns_to_the_same_page_of_lines(app, world, user, login):
    bill_id, _total = _import(app, world, user)
    sup = login("supervisor", username="sup2")
    path = _next(sup.get(f"/shipments/freight/{bill_id}?kind=no_shipment").get_data(as_text=True))
    html = sup.get(path).get_data(as_text=True)
    action = re.search(r'action="(/shipments/freight/\d+/lines/\d+/decide)"', html).group(1)
    cursor = re.search(r'name="after" value="([^"]+)"', html).group(1)
    resp = sup.submit(action, {"decision": "dispute", "after": cursor, "kind": "no_shipment"}, form_page=path)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/shipments/freight/{bill_id}?kind=no_shipment&after={cursor}")
    after = sup.get(path).get_data(as_text=True)
    assert "review-disputed" in after
