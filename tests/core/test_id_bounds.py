"""One bound for ids, in paths, query strings and bodies alike: an id no row can have is refused the same way
in every package (404 in a path, 422 as a field), never a 500 and never a silent empty answer."""
from __future__ import annotations

import pytest

from core.ids import MAX_ID

TOO_BIG = (MAX_ID + 1, 2**65)


@pytest.mark.parametrize("big", TOO_BIG)
@pytest.mark.parametrize("path", [
    "/api/v1/inventory/movements?ref_id={}",
    "/api/v1/inventory/offices/stock.csv?office_id={}",
    "/api/v1/shipments?dealer_id={}",
    "/api/v1/shipments?office_id={}",
    "/api/v1/dealers?office_id={}",
])
def test_a_query_id_beyond_the_bound_is_a_422(app, api_as, path, big):
    assert api_as("supervisor").get(path.format(big)).status_code == 422


@pytest.mark.parametrize("big", TOO_BIG)
@pytest.mark.parametrize("path, body", [
    ("/api/v1/repairs/parcels", {"dealer_id": "{}", "lines": []}),
    ("/api/v1/shipments", {"leg": "dealer_hq", "dealer_id": "{}", "lines": [{"kind": "unit", "serial": "S1"}]}),
])
def test_a_body_id_beyond_the_bound_is_a_422(app, api_as, path, body, big):
    body = {k: (big if v == "{}" else v) for k, v in body.items()}
    assert api_as("supervisor", "service", "clerk").post(path, json=body).status_code == 422


@pytest.mark.parametrize("big", TOO_BIG)
@pytest.mark.parametrize("path", ["/api/v1/inventory/counts/{}", "/api/v1/dealers/{}", "/directory/dealers/{}"])
def test_a_path_id_beyond_the_bound_is_a_404(app, login, path, big):
    assert login("supervisor").get(path.format(big)).status_code == 404


def test_the_largest_id_is_looked_up_and_found_absent(app, login):
    client = login("supervisor")
    assert client.get(f"/api/v1/dealers/{MAX_ID}").status_code == 404
    assert client.get(f"/api/v1/shipments?dealer_id={MAX_ID}").status_code == 200
