"""Which rows belong to a regional office, found from the schema itself.

A row belongs to an office if it has ``office_id`` = that office, or if it
points (by a foreign key) at a row that belongs to it, recursively; so a new
package's tables are covered without being named here. Rows reachable from
both offices (a transfer between them, say) belong to neither alone.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

MARKER_MIN_LENGTH = 6
# Columns whose values identify a record to a person (shown on pages and in JSON).
MARKER_COLUMNS = {"code", "serial", "serial_no", "serial_number", "number", "no", "waybill", "waybill_no",
                  "tracking_no", "rma", "rma_no", "username", "prefix", "name", "note", "notes", "reference",
                  "document_no", "doc_no", "barcode", "label"}
NEVER_MARKERS = {"password_hash", "token_hash", "request_hash", "response_body"}


@dataclass
class Owned:
    """Rows of one office: primary keys by table, and the values that identify them."""

    ids: dict[str, set] = field(default_factory=dict)

    def add(self, table: str, pks) -> bool:
        have = self.ids.setdefault(table, set())
        before = len(have)
        have.update(pks)
        return len(have) != before


def _single_pk(table):
    cols = list(table.primary_key.columns)
    return cols[0] if len(cols) == 1 else None


def owned_by_office(conn, metadata, office_id: int) -> Owned:
    owned = Owned()
    tables = {t.name: t for t in metadata.sorted_tables}
    if "office" in tables:
        owned.add("office", [office_id])
    for table in tables.values():
        pk = _single_pk(table)
        if pk is not None and "office_id" in table.c:
            owned.add(table.name, conn.execute(select(pk).where(table.c.office_id == office_id)).scalars())
    changed = True
    while changed:
        changed = False
        for table in tables.values():
            pk = _single_pk(table)
            if pk is None:
                continue
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent == table.name or not owned.ids.get(parent):
                    continue
                rows = conn.execute(select(pk).where(fk.parent.in_(sorted(owned.ids[parent])))).scalars()
                changed |= owned.add(table.name, rows)
    return owned


def only_a(a: Owned, b: Owned) -> Owned:
    out = Owned()
    for table, ids in a.ids.items():
        out.add(table, ids - b.ids.get(table, set()))
    return out


def _unique_columns(table) -> set[str]:
    names = set()
    for col in table.columns:
        if col.unique:
            names.add(col.name)
    for cons in table.constraints:
        cols = getattr(cons, "columns", None)
        if cols is not None and cons.__class__.__name__ == "UniqueConstraint":
            names.update(c.name for c in cols)
    for index in table.indexes:
        if index.unique:
            names.update(c.name for c in index.columns)
    return names


def _string_columns(table):
    from sqlalchemy import String

    return [c for c in table.columns if isinstance(c.type, String) and c.name not in NEVER_MARKERS]


def identifying_values(conn, metadata, owned: Owned) -> dict[str, dict[str, list]]:
    """{table: {"ids": [...], "strings": [...unique string values...]}} for URL parameters."""
    out = {}
    for table in metadata.sorted_tables:
        ids = sorted(owned.ids.get(table.name, ()))
        pk = _single_pk(table)
        if not ids or pk is None:
            continue
        unique = [c for c in _string_columns(table) if c.name in _unique_columns(table)]
        strings = []
        if unique:
            for row in conn.execute(select(*unique).where(pk.in_(ids))):
                strings.extend(v for v in row if isinstance(v, str) and v)
        out[table.name] = {"ids": ids, "strings": strings}
    return out


def markers(conn, metadata, owned: Owned, *, exclude_tables=("office",)) -> set[str]:
    """Strings that identify rows of ``owned`` and appear in no other row."""
    candidates: set[str] = set()
    elsewhere: set[str] = set()
    for table in metadata.sorted_tables:
        pk = _single_pk(table)
        cols = _string_columns(table)
        if pk is None or not cols:
            continue
        mine = owned.ids.get(table.name, set())
        unique = _unique_columns(table)
        for row in conn.execute(select(pk, *cols)):
            ident, values = row[0], row[1:]
            for col, value in zip(cols, values):
                if not isinstance(value, str):
                    continue
                if ident in mine and table.name not in exclude_tables and (
                    col.name in unique or col.name in MARKER_COLUMNS
                ) and len(value) >= MARKER_MIN_LENGTH:
                    candidates.add(value)
                elif ident not in mine:
                    elsewhere.add(value)
    return {m for m in candidates if m not in elsewhere and not any(m in e for e in elsewhere)}


# Bookkeeping a request may write whatever its answer: when a bearer token was last used.
VOLATILE_COLUMNS = {"api_token": {"last_used_at"}}


def fingerprint(conn, metadata, owned: Owned | None = None, *, skip=("audit_entry",),
                volatile=VOLATILE_COLUMNS) -> dict[str, str]:
    """A hash per table of its rows (only ``owned`` rows when given): equal hashes, nothing changed.

    Columns in ``volatile`` (table -> names) are left out.
    """
    out = {}
    for table in metadata.sorted_tables:
        if table.name in skip:
            continue
        pk = _single_pk(table)
        columns = [c for c in table.columns if c.name not in volatile.get(table.name, ())]
        stmt = select(*columns)
        if owned is not None:
            ids = owned.ids.get(table.name)
            if not ids or pk is None:
                continue
            stmt = stmt.where(pk.in_(sorted(ids)))
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        count = 0
        for row in conn.execute(stmt.order_by(*order)):
            digest.update(repr(tuple(row)).encode())
            count += 1
        out[table.name] = f"{count}:{digest.hexdigest()[:16]}"
    return out


def diff(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
