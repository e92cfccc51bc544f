"""Walk every route of the URL map with real, foreign and bogus parameters.

Used by the route-walk tests: URL parameters are filled with ids and codes of
office A's records (found by :mod:`tests.security.ownership`) and with values
that match nothing; request bodies are filled from the forms the pages show
and from the OpenAPI request schemas, again with office A's values, so a
missing office check is hit rather than a validation error.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from html.parser import HTMLParser

from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from tests.security import ownership

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
BOGUS_INT = 987654
BOGUS_STR = "no-such-thing-42"

# Reachable without signing in, by design. Everything else must refuse anonymous users.
PUBLIC_ENDPOINTS = {
    "static",
    "core.static",
    "core.health",
    "accounts.login",
    "accounts.set_language",  # the language switch works on the sign-in page too
    "accounts.logout",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "api_docs_assets.asset",  # Swagger UI's own scripts and styles (core.api_docs)
    "repairs_api.PublicStatus",  # the dealer's status check: RMA number + phone digits, rate-limited
    "doa_api.PublicStatus",
    "doa_api.PublicApply",
    "repairs.scan_service_worker",  # the scan station's service worker: a static script, holds no data
}
# Dealer-facing pages without login (verified by a number plus the dealer's phone digits, or the signed
# personal survey link; rate-limited).
PUBLIC_PREFIXES = ("public.", "doa_public.", "dealercare_public.")
PUBLIC_SUFFIXES = (".static",)


def is_public(endpoint: str) -> bool:
    return (endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(PUBLIC_PREFIXES)
            or endpoint.endswith(PUBLIC_SUFFIXES))


def is_api(path: str) -> bool:
    return path.startswith("/api/")


@dataclass
class Target:
    endpoint: str
    rule: str
    url: str
    methods: tuple
    foreign: bool  # parameters point at office A's records


@dataclass
class Facts:
    """What office A owns, as URL and body values, and the text that identifies it."""

    office_a: int
    office_a_code: str
    values: dict  # table -> {"ids": [...], "strings": [...]}
    by_column: dict  # column name -> [A's values]
    markers: set
    owned: ownership.Owned
    forms: dict = field(default_factory=dict)  # action path -> {field: [option values]}

    def all_ids(self):
        return sorted({i for v in self.values.values() for i in v["ids"] if isinstance(i, int)})

    def all_strings(self):
        out = []
        for v in self.values.values():
            out.extend(s for s in v["strings"] if s not in out)
        return out


def collect_facts(app, office_a: int) -> Facts:
    from sqlalchemy import select

    from core.directory.models import Office
    from core.extensions import db

    with app.app_context():
        meta = db.metadata
        with db.engine.connect() as conn:
            office_b_ids = [o for o in conn.execute(select(Office.id).where(Office.id != office_a)).scalars()]
            a = ownership.owned_by_office(conn, meta, office_a)
            others = ownership.Owned()
            for other in office_b_ids:
                for table, ids in ownership.owned_by_office(conn, meta, other).ids.items():
                    others.add(table, ids)
            only = ownership.only_a(a, others)
            only.add("office", [office_a])
            values = ownership.identifying_values(conn, meta, only)
            marks = ownership.markers(conn, meta, only)
            by_column: dict = {}
            for table in meta.sorted_tables:
                ids = only.ids.get(table.name)
                pk = ownership._single_pk(table)
                if not ids or pk is None:
                    continue
                for row in conn.execute(select(table).where(pk.in_(sorted(ids)))).mappings():
                    for col, value in row.items():
                        if value is not None and isinstance(value, (int, str)) and not isinstance(value, bool):
                            by_column.setdefault(col, [])
                            if value not in by_column[col]:
                                by_column[col].append(value)
            _referenced_values(conn, meta, only, by_column)
            code, name = conn.execute(select(Office.code, Office.name).where(Office.id == office_a)).one()
            marks -= {code, name}  # an office's name is shown wherever offices are listed
    return Facts(office_a, code, values, by_column, marks, only)


def _referenced_values(conn, meta, owned, by_column: dict) -> None:
    """Add the unique codes of rows the office's rows point at (the SKU of a part its stock
    is of, say) under their column names, so a body can name the office's stock by SKU."""
    from sqlalchemy import select

    for table in meta.sorted_tables:
        ids = owned.ids.get(table.name)
        pk = ownership._single_pk(table)
        if not ids or pk is None:
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name in owned.ids or parent.name in ("office", "user_account"):
                continue
            unique = [c for c in ownership._string_columns(parent) if c.name in ownership._unique_columns(parent)]
            if not unique:
                continue
            refs = select(fk.parent).where(pk.in_(sorted(ids)))
            for row in conn.execute(select(*unique).where(fk.column.in_(refs))).mappings():
                for col, value in row.items():
                    if value and value not in by_column.setdefault(col, []):
                        by_column[col].append(value)


def _stem(name: str) -> str:
    for suffix in ("_id", "_code", "_no", "_number", "_sku", "_serial"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# Field names that point at a location or a dealer whatever their prefix (from_location, parent, ...).
ALIASES = {"location": "inv_location", "parent": "inv_location", "dealer": "dealer"}


def _tables_for(name: str, facts: Facts) -> list[str]:
    stem = _stem(name).lower()
    if stem in ("id", "code", "pk", "key"):
        return []
    for word, table in ALIASES.items():
        if word in stem and table in facts.values:
            return [table]
    hits = [t for t in facts.values if stem in t or t in stem]
    return sorted(hits, key=len)


def _registered(name: str) -> list:
    """Values of a URL argument that names something the app registers, not a row: the
    chase's sections (``/overdue/<kind>``)."""
    if name == "kind":
        from core import chase

        return [p.kind for p in chase.providers()]
    return []


def param_values(name: str, converter, facts: Facts) -> list:
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    registered = _registered(name)
    if registered:
        return registered[:4] + [BOGUS_STR]
    tables = _tables_for(name, facts)
    if isinstance(converter, IntegerConverter):
        pool = [i for t in tables for i in facts.values[t]["ids"]] or facts.all_ids()
        return list(dict.fromkeys(pool))[:4] + [BOGUS_INT]
    if isinstance(converter, PathConverter):
        return ["depot.css", BOGUS_STR]
    pool = list(facts.by_column.get(name, []))
    pool += [s for t in tables for s in facts.values[t]["strings"]]
    if not pool:
        pool = facts.all_strings()
    pool = [str(p) for p in pool if str(p)]
    return list(dict.fromkeys(pool))[:4] + [BOGUS_STR]


def targets(app, facts: Facts) -> list[Target]:
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = tuple(sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS")))
        if not rule.arguments:
            out.append(Target(rule.endpoint, rule.rule, rule.rule, methods, False))
            continue
        names = sorted(rule.arguments)
        choices = [param_values(n, rule._converters[n], facts) for n in names]
        width = max(len(c) for c in choices)
        combos = [tuple(c[min(i, len(c) - 1)] for c in choices) for i in range(width)]
        for combo in dict.fromkeys(combos):
            built = rule.build(dict(zip(names, combo)), append_unknown=False)
            if built is None:
                continue
            foreign = any(v not in (BOGUS_INT, BOGUS_STR) for v in combo)
            out.append(Target(rule.endpoint, rule.rule, built[1], methods, foreign))
    return out


# --- forms on pages ---------------------------------------------------------------------


class FormParser(HTMLParser):
    """Every <form>: its method, action, field names and select options; CSRF presence."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action"),
                          "fields": {}, "csrf": False, "enctype": a.get("enctype", "")}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button"):
            name = a.get("name")
            if name == "csrf_token":
                self._form["csrf"] = bool(a.get("value"))
            elif name:
                vals = self._form["fields"].setdefault(name, [])
                if tag == "input" and a.get("value") not in (None, ""):
                    vals.append(a["value"])
                if tag == "input":
                    self._form.setdefault("types", {})[name] = a.get("type", "text")
            if tag == "select":
                self._select = name
        elif tag == "option" and self._form is not None and self._select:
            value = a.get("value")
            if value not in (None, ""):
                self._form["fields"].setdefault(self._select, []).append(value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def parse_forms(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def form_value(name: str, options: list, facts: Facts, input_type: str = "text"):
    """A value for a form field that points at office A where it can."""
    low = name.lower()
    mine = [str(v) for v in facts.by_column.get(name, [])]
    if "office" in low:
        for cand in (str(facts.office_a), facts.office_a_code):
            if not options or cand in options:
                return cand
    for cand in mine:
        if not options or cand in options:
            return cand
    if options:
        return options[0]
    if input_type == "number" or low.endswith("_id") or low in ("quantity", "qty", "count"):
        ids = [i for t in _tables_for(name, facts) for i in facts.values[t]["ids"]]
        return str(ids[0] if ids else 1)
    if "date" in low or input_type == "date":
        return date.today().isoformat()
    if input_type == "checkbox":
        return "y"
    return "OFA-probe"


# --- JSON bodies from the OpenAPI spec ----------------------------------------------------


def spec_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def resolve(schema: dict, spec: dict) -> dict:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 10:
        ref = schema["$ref"].lstrip("#/").split("/")
        node = spec
        for part in ref:
            node = node[part]
        schema = node
        seen += 1
    return schema or {}


def body_for(schema: dict, spec: dict, facts: Facts, name: str = "", depth: int = 0):
    schema = resolve(schema, spec)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {k: body_for(v, spec, facts, k, depth + 1)
                for k, v in schema.get("properties", {}).items() if not resolve(v, spec).get("readOnly")}
    if kind == "array":
        return [body_for(schema.get("items", {}), spec, facts, name, depth + 1)]
    low = name.lower()
    mine = facts.by_column.get(name, [])
    if kind == "integer":
        if "office" in low:
            return facts.office_a
        ints = [v for v in mine if isinstance(v, int)]
        if ints:
            return ints[0]
        ids = [i for t in _tables_for(name, facts) for i in facts.values[t]["ids"]]
        return ids[0] if ids else 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "date":
        return date.today().isoformat()
    if fmt == "date-time":
        return datetime.now(timezone.utc).isoformat()
    if "office" in low:
        return facts.office_a_code
    strings = [v for v in mine if isinstance(v, str)]
    if strings:
        return strings[0]
    tabled = [s for t in _tables_for(name, facts) for s in facts.values[t]["strings"]]
    return tabled[0] if tabled else "OFA-probe"


def request_body(spec: dict, rule: str, method: str, facts: Facts):
    op = spec.get("paths", {}).get(spec_path(rule), {}).get(method.lower())
    if not op or "requestBody" not in op:
        return None
    content = op["requestBody"].get("content", {})
    media = content.get("application/json")
    if media is None:
        return None
    return body_for(media.get("schema", {}), spec, facts)


def body_variants(spec: dict, rule: str, method: str, facts: Facts) -> list:
    """The request body, and one variant per value of each choice field (``leg``, ``kind`` ...),
    at the top level and in the first item of its lists: a request may take a path (a leg
    between an office and HQ, say) only one of those values opens."""
    op = spec.get("paths", {}).get(spec_path(rule), {}).get(method.lower())
    media = (op or {}).get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return [None]
    schema = resolve(media.get("schema", {}), spec)
    out = []
    for base in (body_for(schema, spec, facts), _pointed(body_for(schema, spec, facts), schema, spec)):
        # Every combination of the choices (a leg with each kind of line, ...), at most MAX_VARIANTS.
        choices = []  # (top-level name, inner name or None, values)
        for name, prop in schema.get("properties", {}).items():
            prop = resolve(prop, spec)
            if name in base and prop.get("enum"):
                choices.append((name, None, prop["enum"]))
            item = resolve(prop.get("items", {}), spec) if prop.get("type") == "array" else {}
            if isinstance(base.get(name), list) and base[name] and isinstance(base[name][0], dict):
                for inner, inner_prop in item.get("properties", {}).items():
                    if resolve(inner_prop, spec).get("enum") and inner in base[name][0]:
                        choices.append((name, inner, resolve(inner_prop, spec)["enum"]))
        for combo in itertools.islice(itertools.product(*(values for _, _, values in choices)), MAX_VARIANTS):
            body = {k: ([dict(v[0])] + v[1:] if isinstance(v, list) and v and isinstance(v[0], dict) else v)
                    for k, v in base.items()}
            for (name, inner, _values), value in zip(choices, combo):
                if inner is None:
                    body[name] = value
                else:
                    body[name][0][inner] = value
            out.append(body)
    return out


MAX_VARIANTS = 40


POINTING = ("office", "location", "parent", "dealer", "sku", "quantity", "code")


def _pointed(body, schema: dict, spec: dict):
    """``body`` cut down to its required fields and those that point at an office's things
    (fewer fields, fewer reasons for a 422 before the office check is reached)."""
    schema = resolve(schema, spec)
    if isinstance(body, dict):
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        return {k: _pointed(v, props.get(k, {}), spec) for k, v in body.items()
                if k in required or any(w in k.lower() for w in POINTING)}
    if isinstance(body, list):
        return [_pointed(v, schema.get("items", {}), spec) for v in body]
    return body


def combos_limited(items, n):
    return list(itertools.islice(items, n))


# --- bodies aimed at another office ---------------------------------------------------------


def foreign_value(key: str, value, facts: Facts):
    """``value`` of field ``key`` replaced by the office of ``facts``'s own (office, location, dealer), or kept."""
    low = key.lower()
    if isinstance(value, bool) or value is None and "office" not in low:
        return value
    want_int = isinstance(value, int) or low.endswith("_id") or (value is None and "office" in low)
    if "office" in low:
        return facts.office_a if want_int else facts.office_a_code
    for word, table in ALIASES.items():
        if word in low and table in facts.values:
            pool = facts.values[table]["ids"] if want_int else facts.values[table]["strings"]
            if pool:
                return pool[0]
    return value


def retarget(body, facts: Facts, key: str = ""):
    """A copy of a JSON body (or form) whose office, location and dealer fields name ``facts``'s office."""
    if isinstance(body, dict):
        return {k: retarget(v, facts, k) for k, v in body.items()}
    if isinstance(body, list):
        return [retarget(v, facts, key) for v in body]
    return foreign_value(key, body, facts)


def names_foreign(body) -> bool:
    """Does a body have a field that ``retarget`` aims at an office, location or dealer?"""
    if isinstance(body, dict):
        return any(names_foreign(v) or any(w in k.lower() for w in ("office", *ALIASES)) for k, v in body.items())
    if isinstance(body, list):
        return any(names_foreign(v) for v in body)
    return False


class WriteWatch:
    """Counts the data-changing statements the app runs (so a request that ran none needs no snapshot)."""

    def __init__(self, app):
        from sqlalchemy import event

        from core.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.count = 0
        self._event = event
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCAT")):
            self.count += 1

    def close(self):
        self._event.remove(self.engine, "before_cursor_execute", self._seen)
