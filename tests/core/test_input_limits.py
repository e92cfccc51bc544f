"""Bad input gets a clear 4xx on every route, never a 500: the limits of core.input_limits.

The operations are taken from the OpenAPI document and the pages from the URL
map, so a new route is covered without being listed here.
"""
from __future__ import annotations

import json
import re
from datetime import date

import pytest

from tests.dbsetup import is_postgres

JSON_WRITES = ("post", "put", "patch")


def _spec(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def _resolve(spec, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(spec, schema: dict, text: str, depth: int = 0):
    """A value for ``schema`` with every string set to ``text`` (other types: simple valid values)."""
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {name: _sample(spec, prop, text, depth + 1)
                for name, prop in schema.get("properties", {}).items() if not prop.get("readOnly")}
    if kind == "array":
        return [_sample(spec, schema.get("items", {}), text, depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "string" and schema.get("format") == "date":
        return "2026-11-02"
    if kind == "string" and schema.get("format") == "date-time":
        return "2026-11-02T09:00:00+08:00"
    if kind == "string" and schema.get("format") == "decimal":
        return "1.00"
    if kind == "string":
        return text
    return text


def _json_writes(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in JSON_WRITES or not isinstance(op, dict):
                continue
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                url = re.sub(r"\{[^}]+\}", "1", path)
                yield method, url, content["application/json"]["schema"]


def _has_string(spec, schema, depth=0) -> bool:
    schema = _resolve(spec, schema)
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        return True
    if depth > 3:
        return False
    if schema.get("type") == "array":
        return _has_string(spec, schema.get("items", {}), depth + 1)
    return any(_has_string(spec, p, depth + 1) for p in schema.get("properties", {}).values()
               if not p.get("readOnly"))


def _send(api, method, url, raw: str):
    return getattr(api, method)(url, data=raw, headers={"Content-Type": "application/json"})


def test_deeply_nested_json_is_refused_on_every_json_write(api_as):
    """1,000 nested arrays once made every JSON write answer 500 (RecursionError)."""
    api = api_as("admin")
    body = "[" * 1000 + "]" * 1000
    operations = list(_json_writes(_spec(api.client)))
    assert len(operations) >= 60
    answers = {f"{m.upper()} {u}": _send(api, m, u, body).status_code for m, u, _s in operations}
    wrong = {op: status for op, status in answers.items() if status != 422}
    assert not wrong, wrong


def test_json_nested_within_the_limit_still_parses(api_as):
    api = api_as("admin")
    resp = _send(api, "post", "/api/v1/factories", json.dumps({"code": "F1", "name": [[["x"]]]}))
    assert resp.status_code == 422
    assert "name" in resp.get_json()["errors"]


def test_an_over_large_json_body_is_413(api_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEPOT_MAX_JSON_BYTES", 1000)
    api = api_as("admin")
    resp = _send(api, "post", "/api/v1/factories", json.dumps({"code": "F1", "name": "x" * 2000}))
    assert resp.status_code == 413, resp.get_data(as_text=True)
    assert resp.get_json()["code"] == "too_large"


@pytest.mark.parametrize("bad", ["\\ud83d", "\\u0000", "\\u001b", "\\udc00x"])
def test_lone_surrogates_and_control_characters_are_422_on_every_json_write(api_as, bad):
    api = api_as("admin")
    spec = _spec(api.client)
    marker = "MARK"
    answers = {}
    for method, url, schema in _json_writes(spec):
        if not _has_string(spec, schema):
            continue
        raw = json.dumps(_sample(spec, schema, f"A{marker}")).replace(marker, bad)
        answers[f"{method.upper()} {url}"] = _send(api, method, url, raw)
    assert len(answers) >= 25
    wrong = {op: r.status_code for op, r in answers.items() if r.status_code != 422}
    assert not wrong, wrong


def test_a_valid_surrogate_pair_and_line_breaks_in_a_note_are_kept(api_as):
    api = api_as("admin")
    resp = api.post("/api/v1/factories", json={"code": "F1", "name": "Factory 😀", "address": "Line 1\nLine 2"})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["name"] == "Factory 😀"
    assert resp.get_json()["address"] == "Line 1\nLine 2"


@pytest.mark.parametrize("kind", ["dealers", "factories", "offices", "vendors", "departments"])
@pytest.mark.parametrize("name", ["Factory\r\nBcc: all@example.com", "Tab\there", "Nul\x00", "Esc\x1b[31m"])
def test_directory_names_with_control_characters_are_refused(api_as, make_office, kind, name):
    api = api_as("admin")
    office_id = make_office("SH")
    body = {"code": "X1", "name": name}
    if kind == "dealers":
        body["office_id"] = office_id
    resp = api.post(f"/api/v1/{kind}", json=body)
    assert resp.status_code == 422, (kind, resp.get_json())
    assert "name" in resp.get_json()["errors"]
    good = api.post(f"/api/v1/{kind}", json={**body, "name": "Fine name"})
    assert good.status_code == 201, good.get_json()
    renamed = api.patch(f"/api/v1/{kind}/{good.get_json()['id']}", json={"name": name})
    assert renamed.status_code == 422, renamed.get_json()


def test_a_factory_renamed_with_a_line_break_on_the_page_is_refused(app, login):
    from core.directory.models import Factory
    from core.extensions import db

    client = login("admin")
    with app.app_context():
        factory = Factory(code="F1", name="Factory")
        db.session.add(factory)
        db.session.commit()
        factory_id = factory.id
    resp = client.submit(f"/directory/factories/{factory_id}/edit",
                         {"code": "F1", "name": "Factory\r\nBcc: all@example.com"})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Factory, factory_id).name == "Factory"


def test_user_names_with_control_characters_are_refused(api_as):
    api = api_as("admin")
    resp = api.post("/api/v1/users", json={"username": "ann\r\n", "password": "a-long-password-1", "roles": ["clerk"],
                                           "display_name": "Ann"})
    assert resp.status_code == 422
    resp = api.post("/api/v1/users", json={"username": "ann", "password": "a-long-password-1", "roles": ["clerk"],
                                           "display_name": "Ann\tB"})
    assert resp.status_code == 422
    assert "display_name" in resp.get_json()["errors"]


def test_nul_in_a_form_field_or_query_is_422_on_pages(login):
    client = login("admin")
    assert client.get("/directory/dealers?q=a%00b").status_code == 422
    resp = client.submit("/directory/factories/new", {"code": "F1", "name": "x\x00y"})
    assert resp.status_code == 422


# --- dates -------------------------------------------------------------------------------


def _date_queries(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method != "get" or not isinstance(op, dict):
                continue
            for prm in op.get("parameters", []):
                fmt = prm.get("schema", {}).get("format")
                if prm.get("in") == "query" and fmt in ("date", "date-time"):
                    yield path, prm["name"], fmt


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_query_dates_out_of_bounds_are_422(api_as, value):
    api = api_as("admin")
    spec = _spec(api.client)
    queries = list(_date_queries(spec))
    assert queries
    answers = {f"{p}?{n}": api.get(f"{p}?{n}={value}").status_code for p, n, _f in queries}
    wrong = {q: s for q, s in answers.items() if s != 422}
    assert not wrong, wrong


def _date_bodies(spec):
    for method, url, schema in _json_writes(spec):
        props = _resolve(spec, schema).get("properties", {})
        for name, prop in props.items():
            prop = _resolve(spec, prop)
            if prop.get("format") in ("date", "date-time"):
                yield method, url, schema, name, prop["format"]


@pytest.mark.parametrize("when", ["0001-01-01", "9999-12-31"])
def test_body_dates_out_of_bounds_are_422_on_every_json_write(api_as, when):
    api = api_as("admin")
    spec = _spec(api.client)
    answers = {}
    for method, url, schema, name, fmt in _date_bodies(spec):
        body = _sample(spec, schema, "x")
        body[name] = when if fmt == "date" else f"{when}T00:00:00+14:00"
        resp = _send(api, method, url, json.dumps(body))
        answers[f"{method.upper()} {url} {name}"] = resp.status_code
    assert answers
    wrong = {op: s for op, s in answers.items() if s != 422}
    assert not wrong, wrong


def test_a_movement_cannot_be_back_dated_before_the_earliest_date(app, api_as, monkeypatch):
    monkeypatch.setitem(app.config, "DEPOT_EARLIEST_DATE", date(2025, 1, 1))
    api = api_as("admin")
    resp = api.post("/api/v1/inventory/movements", json={
        "sku": "X", "quantity": 1, "from_location": "A", "to_location": "B", "reason": "transfer",
        "at": "2024-12-31T23:00:00+08:00"})
    assert resp.status_code == 422
    assert "at" in resp.get_json()["errors"]


def test_page_dates_out_of_bounds_are_422(login):
    client = login("admin")
    for url in ("/shipments?shipped_from=0001-01-01", "/calendar?month=0001-01",
                "/inventory/vendor/reconciliation?week=0001-01-01"):
        resp = client.get(url)
        assert resp.status_code == 422, (url, resp.status_code)


def test_earliest_date_setting_is_read_from_the_environment(tmp_path):
    from core.config import ConfigError, load_config

    assert load_config(str(tmp_path), {"DEPOT_EARLIEST_DATE": "2020-01-01"})["DEPOT_EARLIEST_DATE"] == date(2020, 1, 1)
    assert load_config(str(tmp_path), {})["DEPOT_EARLIEST_DATE"] == date(2000, 1, 1)
    for bad in ("0001-01-01", "soon"):
        with pytest.raises(ConfigError):
            load_config(str(tmp_path), {"DEPOT_EARLIEST_DATE": bad})


# --- page arguments on pages ---------------------------------------------------------------


def _list_pages(app):
    """GET pages without URL parameters (the lists among them take ?page=)."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/api", "/static")):
            yield rule.rule


def test_page_x_on_any_page_is_a_clear_422_not_a_500(app, login):
    client = login("admin")
    answers = {}
    for path in _list_pages(app):
        resp = client.get(f"{path}?page=x")
        answers[path] = resp.status_code
    assert not [p for p, s in answers.items() if s >= 500], answers
    # The six that answered 500, and the lists that quietly showed page 1 instead.
    paged = ["/inventory/", "/inventory/requests", "/directory/dealers", "/directory/factories", "/admin/users"]
    wrong = {p: answers.get(p) for p in paged if answers.get(p) != 422}
    assert not wrong, wrong
    for path in paged:
        assert client.get(f"{path}?page=2").status_code == 200, path
    # Lists paged by a cursor refuse a forged one the same way.
    cursored = ["/repairs/parcels", "/shipments/", "/repairs/overdue", "/tasks", "/doa/", "/doa/holds",
                "/inventory/movements", "/inventory/counts", "/shipments/freight"]
    wrong = {p: client.get(f"{p}?after=x").status_code for p in cursored}
    assert all(status == 422 for status in wrong.values()), wrong


# --- a count sheet with more SKUs than PostgreSQL takes bind parameters -------------------


@pytest.mark.slow
@pytest.mark.skipif(not is_postgres(), reason="the bind-parameter limit is PostgreSQL's")
def test_a_count_with_70000_distinct_skus_does_not_hit_the_bind_parameter_limit(app, api_as, monkeypatch):
    from core.extensions import db
    from inventory import service
    from inventory.models import HQ_STORE

    monkeypatch.setitem(app.config, "DEPOT_MAX_JSON_BYTES", 10 * 1024 * 1024)
    api = api_as("clerk")
    with app.app_context():
        code = service.system_location(HQ_STORE).code
        db.session.commit()
    lines = [{"sku": f"NOSKU-{i}", "quantity": 1} for i in range(70_000)]
    resp = api.post("/api/v1/inventory/counts", json={"location": code, "kind": "spot", "lines": lines})
    assert resp.status_code == 422, resp.get_data(as_text=True)[:500]
    assert "unknown SKU" in resp.get_data(as_text=True)
