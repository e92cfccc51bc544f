"""The ledger's rules: parts, locations, posting and reversing movements, reading balances.

Every movement updates ``Balance`` (and ``SerialPosition`` for serialized parts)
in the caller's transaction. Taking stock out of a physical location is a
guarded UPDATE (``quantity >= :q``), so two concurrent movements can never take
it below zero, on PostgreSQL as on SQLite. Services only flush.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.accounts.scope import ensure_office_access, visible_office_id
from core.authz import can_see_office, require, require_office, scope_to_office
from core.directory.models import Brand, Vendor
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.queries import contains, in_chunks
from core.types import utcnow
from inventory import access
from inventory.models import (
    BIN,
    COUNT_LOSS,
    DEALER,
    FACTORY_SHIPPING,
    FINISHED_GOODS,
    HQ_STORE,
    PHYSICAL_KINDS,
    SCRAPPED,
    TRANSIT,
    VENDOR,
    Balance,
    Location,
    Movement,
    Part,
    SerialPosition,
    StockCount,
)

# The one location of each singleton kind: code and name.
SYSTEM_LOCATIONS = {
    HQ_STORE: ("HQ", "HQ CS store"),
    FACTORY_SHIPPING: ("FAC-SHIP", "Factory shipping dept"),
    FINISHED_GOODS: ("FAC-FG", "Factory finished-goods store"),
    VENDOR: ("VENDOR", "Vendor"),
    TRANSIT: ("TRANSIT", "In transit"),
    DEALER: ("DEALER", "At dealers"),
    SCRAPPED: ("SCRAP", "Scrapped"),
    COUNT_LOSS: ("COUNT-LOSS", "Count loss / gain"),
}
HQ_STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
# A movement may be dated a little in the future (clock skew between a scanner and the server).
CLOCK_SKEW = timedelta(minutes=5)


# --- parts ---------------------------------------------------------------------------------

def part_by_sku(sku: str) -> Part:
    """The part with this SKU (NotFound otherwise)."""
    part = db.session.scalar(select(Part).where(Part.sku == (sku or "").strip()))
    if part is None:
        raise NotFound(_("No part with SKU %(sku)s.", sku=sku))
    return part


def by_id(model, ident):
    """``db.session.get`` that treats an id no database can hold as absent (never a 500)."""
    if not is_id(ident):
        return None
    return db.session.get(model, ident)


def get_part(part_id: int) -> Part:
    part = by_id(Part, part_id)
    if part is None:
        raise NotFound(_("No part %(id)s.", id=part_id))
    return part


def parts_by_sku(skus) -> dict[str, Part]:
    """SKU -> part for those of ``skus`` that exist (one query)."""
    found: dict[str, Part] = {}
    for chunk in in_chunks(s for s in skus if s):  # a count sheet may list more SKUs than a query takes
        found.update((p.sku, p) for p in db.session.scalars(select(Part).where(Part.sku.in_(chunk))))
    return found


def list_parts(*, active_only: bool = True, vendor_managed: bool | None = None) -> list[Part]:
    stmt = select(Part).order_by(Part.sku)
    if active_only:
        stmt = stmt.where(Part.active.is_(True))
    if vendor_managed is not None:
        stmt = stmt.where(Part.vendor_managed.is_(vendor_managed))
    return list(db.session.scalars(stmt))


def catalogue_brands(keys: set[str]) -> dict[str, int]:
    """{model key: brand id} of the catalogue parts with a brand whose model is one of ``keys``
    (stripped, upper-cased); where parts of one model disagree, the oldest part's brand."""
    key = func.upper(func.trim(Part.model))
    stmt = (select(key, Part.brand_id).where(Part.brand_id.isnot(None), key.in_(sorted(keys)))
            .order_by(Part.id.desc()))
    # Newest first, so the oldest part's brand is written last and wins.
    return dict(db.session.execute(stmt).all())


def create_part(actor, *, sku: str, model: str = "", family: str = "", vendor_managed: bool = False,
                serialized: bool = False, unit_cost=0, vendor_id: int | None = None,
                brand_id: int | None = None) -> Part:
    """Add a part to the catalogue (supervisors and admins)."""
    require(actor, Role.SUPERVISOR)
    errors = {}
    sku = (sku or "").strip()
    if not sku or len(sku) > 60 or any(ch.isspace() for ch in sku):
        errors["sku"] = [_("A SKU is 1-60 characters without spaces.")]
    try:
        cost = Decimal(str(unit_cost))
        if cost < 0 or cost != cost.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["unit_cost"] = [_("The unit cost is an amount of at least 0 with at most 2 decimals.")]
        cost = Decimal(0)
    if vendor_managed and vendor_id is None:
        errors["vendor_id"] = [_("A vendor-managed part needs its vendor.")]
    if vendor_id is not None:
        if by_id(Vendor, vendor_id) is None:
            errors["vendor_id"] = [_("No such vendor.")]
    if brand_id is not None and by_id(Brand, brand_id) is None:
        errors["brand_id"] = [_("No such brand.")]
    if cost >= Decimal("10000000000"):
        errors["unit_cost"] = [_("The unit cost is too large.")]
    if errors:
        raise ValidationFailed(_("The part is not valid."), errors=errors)
    if db.session.scalar(select(Part.id).where(Part.sku == sku)):
        raise Conflict(_("A part with SKU %(sku)s already exists.", sku=sku))
    part = Part(sku=sku, model=model.strip(), family=family.strip(), vendor_managed=vendor_managed,
                serialized=serialized, unit_cost=cost, vendor_id=vendor_id, brand_id=brand_id)
    _insert_once(part, _("A part with SKU %(sku)s already exists.", sku=sku))
    return part


def set_part_brand(actor, part: Part, brand_id: int | None) -> Part:
    """File a catalogue part under a brand, or under none (supervisors and admins).

    Units entered from now on with this exact model get the brand; units already entered keep theirs.
    """
    require(actor, Role.SUPERVISOR)
    if brand_id is not None and by_id(Brand, brand_id) is None:
        raise ValidationFailed(_("No such brand."), errors={"brand_id": [_("No such brand.")]})
    part.brand_id = brand_id
    db.session.flush()
    db.session.refresh(part)
    return part


def _insert_once(row, message: str) -> None:
    """Insert ``row``; a unique key taken by a request committed meanwhile is a 409, never a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None


# --- locations -----------------------------------------------------------------------------

def _get_or_create_location(code: str, **values) -> Location:
    loc = db.session.scalar(select(Location).where(Location.code == code))
    if loc is not None:
        return loc
    try:
        with db.session.begin_nested():
            loc = Location(code=code, **values)
            db.session.add(loc)
        return loc
    except IntegrityError:
        # Another transaction created it first.
        return db.session.scalar(select(Location).where(Location.code == code))


def system_location(kind: str) -> Location:
    """The one location of a singleton kind (HQ store, transit, dealer, count loss...), created on first use."""
    if kind not in SYSTEM_LOCATIONS:
        raise ValueError(f"{kind!r} is not a singleton location kind")
    code, name = SYSTEM_LOCATIONS[kind]
    return _get_or_create_location(code, name=name, kind=kind)


def office_location(office_id: int) -> Location:
    """The spare stock location of a regional office, found by the office's id (see ``inventory.access``)."""
    return access.office_location(office_id)


def defective_location(parent: Location) -> Location:
    """The bin under ``parent`` holding defective units (a dealer's swapped unit, vendor defectives)."""
    return _get_or_create_location(f"{parent.code}-DEF", name=f"{parent.name} · defective", kind=BIN,
                                   office_id=parent.office_id, parent_id=parent.id)


def location_by_code(code: str) -> Location:
    """The location with this (scannable) code; NotFound otherwise."""
    loc = db.session.scalar(select(Location).where(Location.code == (code or "").strip().upper()))
    if loc is None:
        raise NotFound(_("No location with code %(code)s.", code=code))
    return loc


def get_location(location_id: int) -> Location:
    loc = by_id(Location, location_id)
    if loc is None:
        raise NotFound(_("No location %(id)s.", id=location_id))
    return loc


def create_bin(actor, *, parent: Location, code: str, name: str) -> Location:
    """A shelf or bin under a physical location, with its own scannable code."""
    require(actor, Role.SUPERVISOR, Role.CLERK)
    code = (code or "").strip().upper()
    if not code or len(code) > 40 or any(ch.isspace() for ch in code):
        raise ValidationFailed(_("The bin is not valid."), errors={"code": [_("A code is 1-40 characters without spaces.")]})
    if parent.kind not in PHYSICAL_KINDS or parent.kind == TRANSIT:
        raise ValidationFailed(_("Bins go only under a store or an office."), errors={"parent": [parent.code]})
    if db.session.scalar(select(Location.id).where(Location.code == code)):
        raise Conflict(_("Location code %(code)s is taken.", code=code))
    loc = Location(code=code, name=name.strip() or code, kind=BIN, office_id=parent.office_id, parent_id=parent.id)
    _insert_once(loc, _("Location code %(code)s is taken.", code=code))
    return loc


def visible_locations(actor) -> list[Location]:
    """The locations this user may see: an office user only their office's."""
    stmt = select(Location).where(Location.active.is_(True)).order_by(Location.kind, Location.code)
    stmt = scope_to_office(stmt, actor, Location.office_id)
    return list(db.session.scalars(stmt))


def ensure_location_access(actor, location: Location) -> None:
    """Office users may touch only their own office's locations (403 otherwise)."""
    require_office(actor, location.office_id, message=_("This stock belongs to another office."))


# --- posting -------------------------------------------------------------------------------

def _upsert_balance(location_id: int, part_id: int, delta: int) -> None:
    table = Balance.__table__
    dialect = db.session.get_bind().dialect.name
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = dialect_insert(table).values(location_id=location_id, part_id=part_id, quantity=delta)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.location_id, table.c.part_id],
                                      set_={"quantity": table.c.quantity + delta})
    db.session.execute(stmt)


def _lock_balances(part_id: int, *location_ids: int) -> None:
    """Lock the balance rows a movement touches, always in location order.

    Two movements in opposite directions would otherwise each hold one row and
    wait for the other's (a deadlock on PostgreSQL). SQLite serialises writers.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    table = Balance.__table__
    db.session.execute(
        select(table.c.location_id)
        .where(table.c.part_id == part_id, table.c.location_id.in_(sorted(location_ids)))
        .order_by(table.c.location_id)
        .with_for_update()
    ).all()


def _take(location: Location, part: Part, quantity: int) -> None:
    """Take stock out; physical locations refuse to go below zero (guarded UPDATE)."""
    if location.kind not in PHYSICAL_KINDS:
        _upsert_balance(location.id, part.id, -quantity)
        return
    table = Balance.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.location_id == location.id, table.c.part_id == part.id, table.c.quantity >= quantity)
        .values(quantity=table.c.quantity - quantity)
    )
    if result.rowcount != 1:
        have = balance_of(location.id, part.id)
        raise ValidationFailed(
            _("Not enough stock: %(location)s holds %(have)s of %(sku)s, %(want)s asked for.",
              location=location.code, have=have, sku=part.sku, want=quantity),
            errors={"quantity": [_("Only %(have)s in stock.", have=have)]},
            code="insufficient_stock", available=have,
        )


def _check_serial(part: Part, serial: str | None, quantity: int, from_location: Location):
    """Validate the serial side of a movement; returns the unit's current position row (or None)."""
    if not part.serialized:
        if serial:
            raise ValidationFailed(_("%(sku)s is counted in bulk; it has no serials.", sku=part.sku),
                                   errors={"serial": [_("Leave empty for bulk parts.")]})
        return None
    if not serial:
        raise ValidationFailed(_("%(sku)s is serialized: give the unit's serial.", sku=part.sku),
                               errors={"serial": [_("Required for serialized parts.")]})
    if quantity != 1:
        raise ValidationFailed(_("A serialized unit moves one at a time."), errors={"quantity": [_("Must be 1.")]})
    stmt = select(SerialPosition).where(SerialPosition.part_id == part.id, SerialPosition.serial == serial)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=SerialPosition.__table__)
    pos = db.session.scalar(stmt.execution_options(populate_existing=True))
    if pos is None:
        if from_location.kind in PHYSICAL_KINDS:
            raise ValidationFailed(
                _("Serial %(serial)s of %(sku)s is not in the ledger, so it cannot leave %(location)s.",
                  serial=serial, sku=part.sku, location=from_location.code),
                errors={"serial": [_("Unknown serial.")]}, code="serial_not_here")
        return None
    if pos.location_id != from_location.id and (
        from_location.kind in PHYSICAL_KINDS or pos.location.kind in PHYSICAL_KINDS
    ):
        raise ValidationFailed(
            _("Serial %(serial)s of %(sku)s is at %(at)s, not at %(location)s.",
              serial=serial, sku=part.sku, at=pos.location.code, location=from_location.code),
            errors={"serial": [_("Registered at %(at)s.", at=pos.location.code)]},
            code="serial_not_here", registered_at=pos.location.code)
    return pos


def _refuse_before_accepted_count(at: datetime, *locations: Location) -> None:
    """A back-dated movement may not reach behind an accepted count of either location.

    An accepted count fixes the ledger as of its time; a movement dated before it
    would silently change what that count was reconciled (and charged) against.
    """
    counted = db.session.execute(
        select(StockCount.number, StockCount.counted_at)
        .where(StockCount.location_id.in_([loc.id for loc in locations]), StockCount.status == "accepted",
               StockCount.counted_at > at)
        .order_by(StockCount.counted_at.desc()).limit(1)
    ).first()
    if counted is not None:
        raise Conflict(_("Count %(number)s was accepted as of %(at)s; a movement cannot be dated before it.",
                         number=counted.number, at=counted.counted_at.isoformat(timespec="seconds")),
                       code="before_accepted_count")


def post_movement(*, actor, part: Part, from_location: Location, to_location: Location, quantity: int = 1,
                  serial: str | None = None, reason: str, ref_type: str | None = None, ref_id: int | None = None,
                  at: datetime | None = None, note: str = "", reverses_id: int | None = None) -> Movement:
    """Append one movement and update the balances (and the serial's position) with it.

    Refuses (ValidationFailed, nothing written) a quantity below 1, the same
    location on both sides, a serial that is not where it is said to leave from,
    and anything that would take a physical location below zero.
    """
    serial = (serial or "").strip() or None
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise ValidationFailed(_("The quantity must be a whole number of at least 1."),
                               errors={"quantity": [_("At least 1.")]})
    if from_location.id == to_location.id:
        raise ValidationFailed(_("A movement needs two different locations."),
                               errors={"to_location": [_("Same as the from location.")]})
    if not reason or len(reason) > 40:
        raise ValidationFailed(_("A movement needs a reason."), errors={"reason": [_("Required.")]})
    now = utcnow()
    if at is None:
        at = now
    elif at.tzinfo is None:
        raise ValidationFailed(_("The time needs a time zone."), errors={"at": [_("Give a time zone.")]})
    elif at > now + CLOCK_SKEW:
        raise ValidationFailed(_("A movement cannot be dated in the future."), errors={"at": [_("In the future.")]})
    elif at < now - CLOCK_SKEW:
        _refuse_before_accepted_count(at, from_location, to_location)
    # The ledger's door: whoever calls, an office user never touches another office's or HQ's stock;
    # nobody (None) posts nothing (internal postings act as core.authz.SYSTEM).
    access.ensure_movement_allowed(actor, from_location, to_location)
    for loc in (from_location, to_location):
        if not loc.active:
            raise ValidationFailed(_("Location %(code)s is closed.", code=loc.code), errors={"location": [loc.code]})
    pos = _check_serial(part, serial, quantity, from_location)
    if pos is not None:
        last_at = db.session.scalar(select(Movement.at).where(Movement.id == pos.movement_id))
        if last_at is not None and at < last_at:
            # A unit's history must stay in time order, or "where was it at T" has no answer.
            raise ValidationFailed(_("Serial %(serial)s last moved at %(last)s; a movement cannot be dated before that.",
                                     serial=serial, last=last_at.isoformat(timespec="seconds")),
                                   errors={"at": [_("Before the unit's last movement.")]})
    _lock_balances(part.id, from_location.id, to_location.id)
    # The first write: if it refuses, nothing has been written.
    _take(from_location, part, quantity)
    _upsert_balance(to_location.id, part.id, quantity)
    movement = Movement(at=at, part_id=part.id, from_location_id=from_location.id, to_location_id=to_location.id,
                        quantity=quantity, serial=serial, reason=reason, ref_type=ref_type, ref_id=ref_id,
                        actor_id=getattr(actor, "id", None), note=note or "", reverses_id=reverses_id,
                        recorded_at=now)
    db.session.add(movement)
    db.session.flush()
    if part.serialized:
        table = SerialPosition.__table__
        if pos is None:
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(table).values(part_id=part.id, serial=serial,
                                                            location_id=to_location.id, movement_id=movement.id))
            except IntegrityError:
                # A request committed meanwhile registered the same new serial.
                raise Conflict(_("Serial %(serial)s was registered by someone else just now.", serial=serial),
                               code="serial_registered") from None
        else:
            moved = db.session.execute(
                update(table).where(table.c.id == pos.id, table.c.location_id == pos.location_id)
                .values(location_id=to_location.id, movement_id=movement.id))
            if moved.rowcount != 1:
                raise Conflict(_("Serial %(serial)s was moved by someone else just now; try again.", serial=serial))
    return movement


def reverse_movement(actor, movement: Movement, *, note: str = "") -> Movement:
    """Undo a movement with a reversing one that references it; nothing is edited or deleted."""
    if movement.reverses_id is not None:
        raise Conflict(_("Movement %(id)s is itself a reversal; post the movement again instead.", id=movement.id))
    if db.session.scalar(select(Movement.id).where(Movement.reverses_id == movement.id)):
        raise Conflict(_("Movement %(id)s has already been reversed.", id=movement.id))
    # The movement's own row is held first, so of two reversals at once the second finds the first.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Movement.id).where(Movement.id == movement.id).with_for_update())
        if db.session.scalar(select(Movement.id).where(Movement.reverses_id == movement.id)):
            raise Conflict(_("Movement %(id)s has already been reversed.", id=movement.id))
    try:
        with db.session.begin_nested():
            return post_movement(actor=actor, part=movement.part, from_location=movement.to_location,
                                 to_location=movement.from_location, quantity=movement.quantity,
                                 serial=movement.serial, reason="reversal", ref_type=movement.ref_type,
                                 ref_id=movement.ref_id, note=note or _("Reversal of movement %(id)s", id=movement.id),
                                 reverses_id=movement.id)
    except IntegrityError:
        raise Conflict(_("Movement %(id)s has already been reversed.", id=movement.id)) from None


def get_movement(actor, movement_id: int) -> Movement:
    movement = by_id(Movement, movement_id)
    if movement is None:
        raise NotFound(_("No movement %(id)s.", id=movement_id))
    if not any(can_see_office(actor, loc.office_id) for loc in (movement.from_location, movement.to_location)):
        raise Forbidden(_("This movement belongs to another office."))
    return movement


def record_movement(actor, *, sku: str, from_code: str, to_code: str, quantity: int = 1, serial: str | None = None,
                    reason: str, note: str = "", ref_type: str | None = None, ref_id: int | None = None,
                    at: datetime | None = None) -> Movement:
    """A manual movement by HQ staff (receipts, transfers, scrapping), by SKU and location codes."""
    require(actor, Role.CLERK, Role.SUPERVISOR)
    return post_movement(actor=actor, part=part_by_sku(sku), from_location=location_by_code(from_code),
                         to_location=location_by_code(to_code), quantity=quantity, serial=serial, reason=reason,
                         note=note, ref_type=ref_type, ref_id=ref_id, at=at)


def reverse_by_id(actor, movement_id: int, note: str = "") -> Movement:
    require(actor, Role.CLERK, Role.SUPERVISOR)
    return reverse_movement(actor, get_movement(actor, movement_id), note=note)


# --- reading -------------------------------------------------------------------------------

def balance_of(location_id: int, part_id: int) -> int:
    """The quantity of one part at one location: one primary-key read, never a ledger sum."""
    return db.session.scalar(
        select(Balance.quantity).where(Balance.location_id == location_id, Balance.part_id == part_id)
    ) or 0


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


__all__ = [
    "system_location", "office_location", "defective_location", "location_by_code", "part_by_sku",
    "post_movement", "reverse_movement", "balance_of", "ensure_office_access",
]
