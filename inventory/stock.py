"""Reading the ledger: balances, movements, serials where they are, a serial's history, holdings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from core.accounts.scope import visible_office_id
from core.authz import scope_to_office
from core.extensions import db
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
                    at_before: datetime | None = None):
    """A select of ledger lines the user may see, newest first; ``at_from``/``at_before`` bound their time."""
    stmt = select(Movement).order_by(Movement.id.desc())
    if at_from is not None:
        stmt = stmt.where(Movement.at >= at_from)
    if at_before is not None:
        stmt = stmt.where(Movement.at < at_before)
    limit = visible_office_id(actor)
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
