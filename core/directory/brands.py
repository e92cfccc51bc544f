"""Which brand a unit's model belongs to (DOMAIN.md: repairs, DOA and the figures count per brand).

The rule, in order: the catalogue part with exactly that model (case and surrounding spaces
ignored) when it carries a brand; else the brand one of whose model prefixes starts the model
(the longest prefix wins; a tie goes to the lower brand code); else no brand.

The catalogue belongs to inventory, which core may not import: inventory registers its look-up
with :func:`register_catalogue_brands` in its ``init_app`` and this module asks it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import func, select, update

from core.directory.models import Brand
from core.extensions import db

_CATALOGUE: list[Callable] = []
# Tables of units that carry ``model`` and ``brand_id`` (repair units, DOA units), registered by their process.
_UNIT_TABLES: list = []
# Commas (either width), semicolons, the enumeration comma and line breaks separate prefixes.
_SPLIT = re.compile(r"[,;，；、\n]+")


def register_catalogue_brands(find: Callable) -> None:
    """``find(keys)`` answers {model key: brand id} for the catalogue parts whose model key is in
    ``keys`` (upper-cased, stripped model names) and that carry a brand."""
    if find not in _CATALOGUE:
        _CATALOGUE.append(find)


def register_branded_units(table) -> None:
    """``table`` holds units with ``model`` and ``brand_id`` columns: :func:`fill_missing_brands` fills it."""
    if table not in _UNIT_TABLES:
        _UNIT_TABLES.append(table)


def model_key(model: str | None) -> str:
    """The form two model names are compared in: stripped, upper-cased."""
    return (model or "").strip().upper()


def split_prefixes(text: str | None) -> list[str]:
    """A brand's model prefixes as typed ("MX, MAXELL") -> the distinct keys, in order."""
    out: list[str] = []
    for piece in _SPLIT.split(text or ""):
        key = model_key(piece)
        if key and key not in out:
            out.append(key)
    return out


def _prefix_table() -> list[tuple[str, int]]:
    """(prefix key, brand id) for every prefix of every brand, longest first, then brand code."""
    rows = db.session.execute(select(Brand.id, Brand.code, Brand.model_prefixes)
                              .where(Brand.model_prefixes != "")).all()
    table = [(prefix, code, brand_id) for brand_id, code, text in rows for prefix in split_prefixes(text)]
    table.sort(key=lambda t: (-len(t[0]), t[1]))
    return [(prefix, brand_id) for prefix, _code, brand_id in table]


def brand_ids_for_models(models: Iterable[str | None]) -> dict[str, int | None]:
    """{model key: brand id or None} for many models at once: one catalogue query, one brand query."""
    keys = {model_key(m) for m in models} - {""}
    found: dict[str, int | None] = dict.fromkeys(keys)
    if not keys:
        return found
    for find in _CATALOGUE:
        for key, brand_id in find(keys).items():
            if found.get(key) is None and brand_id is not None:
                found[key] = brand_id
    rest = [k for k, v in found.items() if v is None]
    if rest:
        prefixes = _prefix_table()
        for key in rest:
            found[key] = next((brand_id for prefix, brand_id in prefixes if key.startswith(prefix)), None)
    return found


def brand_id_for_model(model: str | None) -> int | None:
    """The id of the brand ``model`` belongs to, or None (see the module's rule)."""
    return brand_ids_for_models([model]).get(model_key(model))


def brand_for_model(model: str | None) -> Brand | None:
    """The brand ``model`` belongs to, or None (see the module's rule)."""
    brand_id = brand_id_for_model(model)
    return db.session.get(Brand, brand_id) if brand_id is not None else None


def fill_missing_brands() -> dict[str, int]:
    """Give every unit recorded without a brand the brand its model has by the rule now (after a brand's
    prefixes or a part's brand were set); a unit that has a brand keeps it. Set-based: one UPDATE per
    brand and table. Flushes only; returns {table name: units given a brand}."""
    out: dict[str, int] = {}
    for table in _UNIT_TABLES:
        key = func.upper(func.trim(table.c.model))
        models = db.session.scalars(select(key).where(table.c.brand_id.is_(None), key != "").distinct()).all()
        by_brand: dict[int, list[str]] = {}
        for model, brand_id in brand_ids_for_models(models).items():
            if brand_id is not None:
                by_brand.setdefault(brand_id, []).append(model)
        filled = 0
        for brand_id, keys in sorted(by_brand.items()):
            for start in range(0, len(keys), 500):  # within every database's limit on bound parameters
                filled += db.session.execute(update(table).where(table.c.brand_id.is_(None),
                                                                 key.in_(keys[start:start + 500]))
                                             .values(brand_id=brand_id)).rowcount
        out[table.name] = filled
    return out
