"""Every list takes the same ?page=&per_page= and refuses a value out of range with a 422 naming it."""
from __future__ import annotations

import pytest

LISTS = ["/api/v1/dealers", "/api/v1/users", "/api/v1/repairs/parcels", "/api/v1/repairs/tasks",
         "/api/v1/doa/applications", "/api/v1/inventory/movements", "/api/v1/shipments"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("query", "field"), [
    ("page=0", "page"), ("page=1000001", "page"), ("page=x", "page"),
    ("per_page=0", "per_page"), ("per_page=201", "per_page"),
])
def test_a_page_out_of_range_is_a_422_naming_it(api_as, path, query, field):
    api = api_as("admin")
    resp = api.get(f"{path}?{query}")
    assert resp.status_code == 422, (path, query, resp.status_code)
    assert field in str(resp.get_json()["errors"])


@pytest.mark.parametrize("path", LISTS)
def test_a_page_answers_where_it_stands(api_as, path):
    body = api_as("admin").get(f"{path}?page=1&per_page=5").get_json()
    assert {"page": 1, "per_page": 5}.items() <= body.items()
    assert body["total"] >= 0 and body["pages"] >= 1 and isinstance(body["items"], list)
