"""Posting and reversing movements: every balance (and serial position) updated in the caller's transaction.

Taking stock out of a physical location is a guarded UPDATE (``quantity >= :q``), so two concurrent
movements can never take it below zero, on PostgreSQL as on SQLite. Services only flush.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.authz import can_see_office, require
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.types import utcnow
from inventory import access
from inventory.models import (
    PHYSICAL_KINDS,
    Balance,
    Location,
    Movement,
    Part,
    SerialPosition,
    StockCount,
)
from inventory.parts import by_id, part_by_sku
from inventory.locations import CLOCK_SKEW, location_by_code


def balance_of(location_id: int, part_id: int) -> int:
    """The quantity of one part at one location: one primary-key read, never a ledger sum."""
    return db.session.scalar(
        select(Balance.quantity).where(Balance.location_id == location_id, Balance.part_id == part_id)
    ) or 0




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
