"""Every list takes the same paging arguments and refuses a value out of range with a 422 naming it.

Lists a user pages deep go by a keyset cursor (``?after=&per_page=``, core.pagination.keyset);
short ones by page number (``?page=&per_page=``).
"""
from __future__ import annotations

import pytest

LISTS = ["/api/v1/dealers", "/api/v1/users"]
KEYSET_LISTS = ["/api/v1/repairs/parcels", "/api/v1/shipments", "/api/v1/repairs/overdue", "/api/v1/doa/overdue",
                "/api/v1/tasks", "/api/v1/repairs/tasks", "/api/v1/doa/tasks", "/api/v1/doa/applications",
                "/api/v1/doa/holds", "/api/v1/inventory/movements", "/api/v1/inventory/counts",
                "/api/v1/shipments/freight-bills"]


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


@pytest.mark.parametrize("path", KEYSET_LISTS)
@pytest.mark.parametrize(("query", "field"), [
    ("after=x", "after"), ("after=" + "A" * 401, "after"), ("after=WyJ4Il0", "after"),  # ["x"]: not a key of the list
    ("per_page=0", "per_page"), ("per_page=201", "per_page"),
])
def test_a_cursor_or_size_out_of_range_is_a_422_naming_it(api_as, path, query, field):
    resp = api_as("admin").get(f"{path}?{query}")
    assert resp.status_code == 422, (path, query, resp.status_code)
    assert field in str(resp.get_json()["errors"])


@pytest.mark.parametrize("path", KEYSET_LISTS)
def test_a_keyset_page_answers_with_its_next_cursor(api_as, path):
    body = api_as("admin").get(f"{path}?per_page=5").get_json()
    assert body["per_page"] == 5 and body["next"] is None and body["items"] == []
