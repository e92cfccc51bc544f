"""Reading the ledger: balances, movements, serials where they are, a serial's history, holdings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, union_all

from core.accounts.scope import visible_office_id
from core.authz import scope_to_office
from core.extensions import db
from core.pagination import (
    MAX_PER_PAGE,
    Key,
    KeysetPage,
    after_condition,
    decode_cursor,
    keyset,
    keyset_order,
    page_number,
)
from core.queries import contains
from inventory.models import (
    Balance,
    Location,
    Movement,
    Part,
    SerialPosition,
)



def balances_query(actor, *, location_id: int | None = None, sku: str | None = None, nonzero: bool = True):
    """A select of (Balance) rows the user may see, for a list page or the API."""
    stmt = (select(Balance).join(Location, Location.id == Balance.location_id).join(Part, Part.id == Balance.part_id)
            .order_by(Location.code, Part.sku))
    stmt = scope_to_office(stmt, actor, Location.office_id)
    if location_id:
        stmt = stmt.where(Balance.location_id == location_id)
    if sku:
        stmt = stmt.where(contains(Part.sku, sku.strip(), ignore_case=True))
    if nonzero:
        stmt = stmt.where(Balance.quantity != 0)
    return stmt


def movements_query(actor, *, location_id: int | None = None, sku: str | None = None, serial: str | None = None,
                    ref_type: str | None = None, ref_id: int | None = None, at_from: datetime | None = None,
                    at_before: datetime | None = None, scoped: bool = True):
    """A select of ledger lines the user may see, newest first; ``at_from``/``at_before`` bound their time.

    ``scoped=False`` leaves out the office user's scope: for a caller that has already kept the rows to
    the office's own locations (:func:`movements_page`).
    """
    stmt = select(Movement).order_by(Movement.id.desc())
    if at_from is not None:
        stmt = stmt.where(Movement.at >= at_from)
    if at_before is not None:
        stmt = stmt.where(Movement.at < at_before)
    limit = visible_office_id(actor) if scoped else None
    if limit is not None:
        office_locs = select(Location.id).where(Location.office_id == limit)
        stmt = stmt.where(or_(Movement.from_location_id.in_(office_locs), Movement.to_location_id.in_(office_locs)))
    if location_id:
        stmt = stmt.where(or_(Movement.from_location_id == location_id, Movement.to_location_id == location_id))
    if sku:
        stmt = stmt.where(Movement.part_id.in_(select(Part.id).where(contains(Part.sku, sku.strip(), ignore_case=True))))
    if serial:
        stmt = stmt.where(Movement.serial == serial.strip())
    if ref_type:
        stmt = stmt.where(Movement.ref_type == ref_type)
    if ref_id:
        stmt = stmt.where(Movement.ref_id == ref_id)
    return stmt


MOVEMENT_KEYS = (Key(Movement.at, "datetime", desc=True), Key(Movement.id, "int", desc=True))
MOVEMENTS_PER_PAGE = 100


def movements_page(actor, *, after=None, per_page=MOVEMENTS_PER_PAGE, location_id: int | None = None,
                   **filters) -> KeysetPage:
    """One page of :func:`movements_query` (newest first) after the cursor ``after`` (raw arguments; checked).

    A location's ledger is the movements into it or out of it: an OR no index reads in order. So
    each side (into / out of each location asked, or of each of an office user's locations) reads
    its own next ``per_page + 1`` lines by its index (location, time, id), and the page is the
    newest of those: a few short range reads, however deep the page or long the ledger. A SKU
    looked up over the whole ledger is read the same way, one side per part it names.
    """
    sides = [(column, loc_id) for loc_id in _ledger_locations(actor, location_id)
             for column in (Movement.to_location_id, Movement.from_location_id)]
    # Each side's equality is the whole location (and scope) filter: the planner sees the side alone and
    # reads its index in order, where the OR next to it would make it guess a handful of rows and sort.
    stmt = movements_query(actor, scoped=False, **filters)
    if not sides and not location_id and filters.get("sku"):
        parts = _parts_named(filters["sku"])
        if parts:
            sides = [(Movement.part_id, part_id) for part_id in parts]
            stmt = movements_query(actor, **{**filters, "sku": None})
    if not sides:
        return keyset(movements_query(actor, location_id=location_id, **filters), MOVEMENT_KEYS, after, per_page,
                      default_per_page=MOVEMENTS_PER_PAGE)
    size = page_number(per_page, field="per_page", high=MAX_PER_PAGE, default=MOVEMENTS_PER_PAGE)
    values = decode_cursor(after, MOVEMENT_KEYS)
    picks = []
    for column, value in sides:
        side = (stmt.with_only_columns(Movement.id).where(column == value)
                .order_by(None).order_by(*keyset_order(MOVEMENT_KEYS)).limit(size + 1))
        if values is not None:
            side = side.where(after_condition(MOVEMENT_KEYS, values))
        picks.append(select(side.subquery().c.id))
    # One IN over the sides' few ids: the rows are then fetched by their key.
    stmt = select(Movement).where(Movement.id.in_(union_all(*picks)))
    return keyset(stmt, MOVEMENT_KEYS, after, per_page, default_per_page=MOVEMENTS_PER_PAGE)


def _parts_named(sku: str) -> list[int]:
    """The parts whose SKU contains ``sku`` (as the filter matches), when few enough to read one side each."""
    ids = list(db.session.scalars(select(Part.id).where(contains(Part.sku, sku.strip(), ignore_case=True))
                                  .order_by(Part.id).limit(MAX_SIDES + 1)))
    return ids if len(ids) <= MAX_SIDES else []


# An office with more locations than this is read by its scope filter instead of one side per location.
MAX_SIDES = 20


def _ledger_locations(actor, location_id: int | None) -> list[int]:
    """The locations whose sides a page of the ledger reads: the one asked, else an office user's own; each
    within the user's scope. None (read the filtered ledger in time order instead): HQ's whole ledger, an office
    with very many locations, or a location the office user may not see (its scope filter then lists nothing)."""
    limit = visible_office_id(actor)
    if limit is None:
        return [location_id] if location_id else []
    ids = list(db.session.scalars(select(Location.id).where(Location.office_id == limit).order_by(Location.id)
                                  .limit(MAX_SIDES + 1)))
    if location_id:
        return [location_id] if location_id in ids else []
    return ids if len(ids) <= MAX_SIDES else []


def serials_at(location_id: int, part_id: int | None = None) -> list[SerialPosition]:
    stmt = select(SerialPosition).where(SerialPosition.location_id == location_id).order_by(SerialPosition.serial)
    if part_id:
        stmt = stmt.where(SerialPosition.part_id == part_id)
    return list(db.session.scalars(stmt))


def serial_history(serial: str) -> list[Movement]:
    return list(db.session.scalars(select(Movement).where(Movement.serial == serial.strip()).order_by(Movement.at, Movement.id)))


def holdings(location_ids) -> list[tuple[Part, Location, int, list[str]]]:
    """What the given locations hold now: (part, location, quantity, serials) for positive balances."""
    ids = list(location_ids)
    rows = db.session.execute(
        select(Balance.location_id, Balance.part_id, Balance.quantity)
        .where(Balance.location_id.in_(ids), Balance.quantity > 0)
    ).all()
    serials: dict[tuple[int, int], list[str]] = {}
    for loc_id, part_id, serial in db.session.execute(
        select(SerialPosition.location_id, SerialPosition.part_id, SerialPosition.serial)
        .where(SerialPosition.location_id.in_(ids)).order_by(SerialPosition.serial)
    ):
        serials.setdefault((loc_id, part_id), []).append(serial)
    parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_({r[1] for r in rows})))} if rows else {}
    locs = {loc.id: loc for loc in db.session.scalars(select(Location).where(Location.id.in_(ids)))}
    return [(parts[p], locs[l], q, serials.get((l, p), [])) for l, p, q in rows]
