"""Shipment rules: create, ship, look up, list, and the factory's reporting deadline.

Every leg a unit or a spare travels is a :class:`~shipments.models.Shipment`
(packed -> shipped -> received). Parts on a shipment are stock: shipping moves
them from the origin to the in-transit location and receiving moves what
arrived on to the destination (``shipments.receiving``); units are repair units
tracked by the repairs package, so they never post stock movements here.

Factory legs (``FACTORY_LEGS``) must be reported, i.e. the waybill entered, no
later than the next working day after the factory shipped (DOMAIN.md D.4);
:func:`late_reports` lists those that were not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from core.accounts.roles import Role
from core.authz import require_office, scope_to_office
from core.calendar import SHANGHAI, add_working_days, local_day, local_today
from core.codes import normalise_code
from core.directory.models import Dealer, Office, Vendor
from core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from core.queries import contains
from core.sequences import next_number
from core.types import utcnow
from inventory import access
from inventory import service as inv
from inventory.models import Location, Part
from inventory.service import location_by_code
from shipments.models import (
    DEALER_LEGS,
    FACTORY_LEGS,
    LEGS,
    OFFICE_LEGS,
    PAYING_ACCOUNTS,
    SHIPMENT_WORKFLOW,
    STATUSES,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)

__all__ = [
    "create_shipment", "add_unit_lines", "mark_shipped", "on_departure", "update_shipment", "shipment_by_number", "shipment_by_waybill",
    "find_shipment", "get_shipment", "shipments_query", "late_reports", "report_due_for", "LateReport",
    "normalise_code", "LEG_ENDPOINTS",
]

# Where each leg's parts leave from and arrive at (inventory location kinds);
# "office" is the shipment's office's location.
LEG_ENDPOINTS = {
    "dealer_hq": ("dealer", "hq_store"),
    "hq_factory": ("hq_store", "factory_shipping"),
    "factory_hq": ("factory_shipping", "hq_store"),
    "factory_dealer": ("factory_shipping", "dealer"),
    "hq_office": ("hq_store", "office"),
    "office_hq": ("office", "hq_store"),
    "hq_vendor": ("hq_store", "vendor"),
    "vendor_factory": ("vendor", "factory_shipping"),
    "fg_dealer": ("finished_goods", "dealer"),
}

MAX_LINES = 500
MAX_QUANTITY = 100000


# --- validation helpers ---------------------------------------------------------------

def _int_field(errors, name, value, *, minimum=0, maximum=None, required=False):
    if value is None or value == "":
        if required:
            errors.setdefault(name, []).append(_("Required."))
        return None
    if isinstance(value, bool):
        errors.setdefault(name, []).append(_("Must be a whole number."))
        return None
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
        if isinstance(value, str) and value.strip() != str(number):
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault(name, []).append(_("Must be a whole number."))
        return None
    if number < minimum or (maximum is not None and number > maximum):
        if maximum is None:
            errors.setdefault(name, []).append(_("Must be at least %(n)s.", n=minimum))
        else:
            errors.setdefault(name, []).append(_("Must be between %(a)s and %(b)s.", a=minimum, b=maximum))
        return None
    return number


def _money_field(errors, name, value, *, maximum=Decimal("9999999999")):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.setdefault(name, []).append(_("Must be a number."))
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append(_("Must be a number."))
        return None
    if not amount.is_finite() or amount < 0 or amount > maximum:
        errors.setdefault(name, []).append(_("Must be a number from 0 up."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(name, []).append(_("At most two decimal places."))
        return None
    return amount.quantize(Decimal("0.01"))


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _check_free(parsed: list[dict], waybill: str | None) -> None:
    """409 when a declared unit is on a shipment not yet received, or the waybill names another parcel."""
    busy = _unit_serials_in_transit([line["serial"] for line in parsed if line["kind"] == "unit"])
    if busy:
        first = sorted(busy)[0]
        raise Conflict(
            _("Unit %(s)s is already on shipment %(n)s, which has not been received.", s=first, n=busy[first]),
            errors={"lines": [_("%(s)s is on %(n)s.", s=s, n=n) for s, n in sorted(busy.items())]},
        )
    if waybill:
        _check_waybill_free(waybill)


def _reserve_waybill(waybill: str, exclude_id: int | None) -> None:
    """Check the waybill is free, with other requests giving a waybill to a shipment waiting their turn.

    SQLite: the caller has already written (the status claim), so it holds the write lock. PostgreSQL:
    a transaction-scoped advisory lock on the waybill.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("waybill:" + waybill))))
    _check_waybill_free(waybill, exclude_id=exclude_id)


def _check_waybill_free(waybill: str, *, exclude_id: int | None = None) -> None:
    stmt = select(Shipment.number).where(Shipment.waybill == waybill)
    if exclude_id is not None:
        stmt = stmt.where(Shipment.id != exclude_id)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        raise Conflict(
            _("Waybill %(w)s is already on shipment %(n)s.", w=waybill, n=other),
            errors={"waybill": [_("Already used by %(n)s.", n=other)]},
        )


def _resolve_location(value, field: str, errors: dict):
    """A Location from a Location, an id or a scannable code (None stays None)."""
    if value is None or value == "":
        return None

    if isinstance(value, Location):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        location = db.session.get(Location, value)
    else:
        try:
            location = location_by_code(str(value).strip())
        except NotFound:
            location = None
    if location is None:
        errors.setdefault(field, []).append(_("No such location."))
    return location


def _default_location(kind: str, shipment_office_id: int | None):
    if kind == "office":
        # By the office's id, never its code: a renamed office keeps its stock.
        return access.office_location(shipment_office_id)
    return inv.system_location(kind)


def _check_leg_locations(actor, leg: str, office_id: int | None, origin, destination) -> None:
    """The leg's locations lie where the leg runs, and inside the actor's scope.

    Scope first (403): a departure from stock outside the offices is HQ staff's
    (``access.ensure_hq_departure``); an office location, at either end, only its
    own office's or HQ staff's. Then the leg (422): the office end of an office
    leg is that office's location, the other ends are not any office's.
    """
    if origin is not None:
        access.ensure_hq_departure(actor, origin)
    if destination is not None and destination.office_id is not None:
        access.ensure_location_writable(actor, destination)
    start_kind, end_kind = LEG_ENDPOINTS[leg]
    errors: dict = {}
    for location, kind, field in ((origin, start_kind, "from_location"), (destination, end_kind, "to_location")):
        if location is None:
            continue
        if kind == "office" and location.office_id != office_id:
            errors[field] = [_("%(code)s is not a location of this shipment's office.", code=location.code)]
        elif kind != "office" and location.office_id is not None:
            errors[field] = [_("%(code)s is an office's location; this leg does not run through an office there.",
                               code=location.code)]
    if errors:
        raise ValidationFailed(_("The shipment's locations do not fit its leg."), errors=errors)


def _part_id_for_sku(sku) -> int | None:
    code = str(sku or "").strip().upper()
    return db.session.scalar(select(Part.id).where(func.upper(Part.sku) == code)) if code else None


def _parse_lines(raw_lines, errors: dict) -> list[dict]:
    """Validate the declared contents; errors are keyed ``lines.<n>.<field>``."""
    if not isinstance(raw_lines, (list, tuple)) or not raw_lines:
        errors.setdefault("lines", []).append(_("A shipment needs at least one unit or part."))
        return []
    if len(raw_lines) > MAX_LINES:
        errors.setdefault("lines", []).append(_("At most %(n)s lines per shipment.", n=MAX_LINES))
        return []
    parsed: list[dict] = []
    seen_serials: set[str] = set()
    seen_parts: set[int] = set()
    part_ids: set[int] = set()
    for index, raw in enumerate(raw_lines):
        key = f"lines.{index}"
        if not isinstance(raw, dict):
            errors.setdefault(key, []).append(_("Each line must be an object."))
            continue
        kind = raw.get("kind")
        if kind not in ("unit", "part"):
            errors.setdefault(f"{key}.kind", []).append(_("Must be unit or part."))
            continue
        serial = normalise_code(raw.get("serial")) or None
        if serial is not None and len(serial) > 80:
            errors.setdefault(f"{key}.serial", []).append(_("At most 80 characters."))
            continue
        ref_type = _text(raw.get("ref_type"), 40) or None
        ref_id = _int_field(errors, f"{key}.ref_id", raw.get("ref_id"), minimum=1)
        line = {"kind": kind, "serial": serial, "ref_type": ref_type, "ref_id": ref_id,
                "model": _text(raw.get("model"), 80)}
        if kind == "unit":
            if not serial:
                errors.setdefault(f"{key}.serial", []).append(_("A unit needs its serial number."))
                continue
            if raw.get("quantity") not in (None, "", 1, "1"):
                errors.setdefault(f"{key}.quantity", []).append(_("A unit line is always one unit."))
                continue
            line["quantity"] = 1
            line["part_id"] = None
        else:
            part_id = raw.get("part_id")
            if part_id in (None, "") and raw.get("sku"):
                # The API and the form may name a part by its SKU instead of its id.
                part_id = _part_id_for_sku(raw.get("sku"))
                if part_id is None:
                    errors.setdefault(f"{key}.sku", []).append(_("No part with SKU %(s)s.", s=raw.get("sku")))
                    continue
            part_id = _int_field(errors, f"{key}.part_id", part_id, minimum=1, required=True)
            quantity = _int_field(errors, f"{key}.quantity", raw.get("quantity", 1), minimum=1,
                                  maximum=MAX_QUANTITY, required=True)
            if part_id is None or quantity is None:
                continue
            if serial and quantity != 1:
                errors.setdefault(f"{key}.quantity", []).append(_("A serialised part line is one piece."))
                continue
            if not serial:
                if part_id in seen_parts:
                    errors.setdefault(f"{key}.part_id", []).append(_("This part is already on another line."))
                    continue
                seen_parts.add(part_id)
            line["part_id"] = part_id
            line["quantity"] = quantity
            part_ids.add(part_id)
        if serial:
            if serial in seen_serials:
                errors.setdefault(f"{key}.serial", []).append(_("Serial %(s)s is listed twice.", s=serial))
                continue
            seen_serials.add(serial)
        line["_index"] = index
        parsed.append(line)
    if part_ids and not errors:
        parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_(part_ids)))}
        for line in parsed:
            if line["kind"] != "part":
                continue
            part = parts.get(line["part_id"])
            if part is None:
                errors.setdefault(f"lines.{line['_index']}.part_id", []).append(_("No such part."))
                continue
            line["model"] = line["model"] or (part.model or "")[:80]
            if part.serialized and not line["serial"]:
                errors.setdefault(f"lines.{line['_index']}.serial", []).append(
                    _("Part %(sku)s is serialised: list each piece with its serial.", sku=part.sku))
    return parsed


def _unit_serials_in_transit(serials: list[str]) -> dict[str, str]:
    """Serials of units already on a shipment not yet received -> that shipment's number."""
    if not serials:
        return {}
    rows = db.session.execute(
        select(ShipmentLine.serial, Shipment.number)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(ShipmentLine.kind == "unit", ShipmentLine.serial.in_(serials), Shipment.status != "received")
    )
    return {serial: number for serial, number in rows}


def _check_actor_may_ship(actor, leg: str, office_id: int | None) -> None:
    """Who may create, edit and ship a leg: HQ staff any; an office user only its own office's stock to HQ.

    Sending stock from HQ to an office is an HQ departure: HQ staff only (an
    office asks for spares with a spare request).
    """
    if actor is None:
        raise Forbidden(_("Sign in first."))
    if actor.has_role(Role.CLERK, Role.SERVICE, Role.SUPERVISOR):
        return
    if actor.has_role(Role.OFFICE) and actor.office_id is not None:
        if leg in OFFICE_LEGS and leg != "office_hq" and office_id == actor.office_id:
            raise Forbidden(_("Only HQ staff send stock from HQ to an office; ask for spares with a spare request."))
        if leg != "office_hq" or office_id != actor.office_id:
            raise Forbidden(_("An office may only create shipments to or from its own office."))
        return
    raise Forbidden(_("Your role does not allow this."))


# --- create / ship ----------------------------------------------------------------------

def create_shipment(actor, *, leg, lines, carrier=None, waybill=None, paying_account="cs", dealer_id=None,
                    office_id=None, vendor_id=None, pieces=None, weight_kg=None, freight_cost=None,
                    from_location=None, to_location=None, note="") -> Shipment:
    """Pack a new shipment on ``leg`` with the declared ``lines`` (status "packed").

    ``lines`` are dicts: ``{"kind": "unit", "serial", "model", "ref_type", "ref_id"}``
    or ``{"kind": "part", "part_id", "quantity", "serial"?}``. Dealer legs need
    ``dealer_id``, office legs ``office_id``. Locations (Location, id or code)
    default to the leg's usual origin and destination when parts travel. A
    waybill given now counts as the shipment's report. Raises ValidationFailed
    (nothing written) on any bad field.
    """
    errors: dict = {}
    if leg not in LEGS:
        errors["leg"] = [_("Unknown leg; one of: %(legs)s.", legs=", ".join(LEGS))]
    if paying_account not in PAYING_ACCOUNTS:
        errors["paying_account"] = [_("Must be cs or sales.")]
    dealer_id = _int_field(errors, "dealer_id", dealer_id, minimum=1)
    office_id = _int_field(errors, "office_id", office_id, minimum=1)
    vendor_id = _int_field(errors, "vendor_id", vendor_id, minimum=1)
    pieces = _int_field(errors, "pieces", pieces, minimum=1, maximum=10000)
    weight = _money_field(errors, "weight_kg", weight_kg, maximum=Decimal("99999999"))
    cost = _money_field(errors, "freight_cost", freight_cost)
    carrier = _text(carrier, 60)
    waybill = normalise_code(waybill) or None
    if waybill and len(waybill) > 60:
        errors["waybill"] = [_("At most 60 characters.")]
    if leg in DEALER_LEGS and dealer_id is None and "dealer_id" not in errors:
        errors["dealer_id"] = [_("This leg needs the dealer.")]
    if leg in OFFICE_LEGS and office_id is None and "office_id" not in errors:
        errors["office_id"] = [_("This leg needs the office.")]
    if dealer_id is not None and db.session.get(Dealer, dealer_id) is None:
        errors["dealer_id"] = [_("No such dealer.")]
    if office_id is not None and db.session.get(Office, office_id) is None:
        errors["office_id"] = [_("No such office.")]
    if vendor_id is not None and db.session.get(Vendor, vendor_id) is None:
        errors["vendor_id"] = [_("No such vendor.")]
    if office_id is None and dealer_id is not None and leg in DEALER_LEGS:
        # A dealer's parcels are visible to the dealer's regional office.
        dealer = db.session.get(Dealer, dealer_id)
        office_id = dealer.office_id if dealer is not None else None
    parsed = _parse_lines(lines, errors)
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    _check_actor_may_ship(actor, leg, office_id)

    _check_free(parsed, waybill)
    loc_errors: dict = {}
    origin = _resolve_location(from_location, "from_location", loc_errors)
    destination = _resolve_location(to_location, "to_location", loc_errors)
    if loc_errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=loc_errors)
    has_parts = any(line["kind"] == "part" for line in parsed)
    if has_parts:
        start_kind, end_kind = LEG_ENDPOINTS[leg]
        origin = origin or _default_location(start_kind, office_id)
        destination = destination or _default_location(end_kind, office_id)
    _check_leg_locations(actor, leg, office_id, origin, destination)
    if has_parts:
        if origin.id == destination.id:
            raise ValidationFailed(_("Origin and destination are the same location."),
                                   errors={"to_location": [_("Same as the origin.")]})

    now = utcnow()
    # The number's counter row is the first write: it serialises shipments being packed (row lock on
    # PostgreSQL, the write lock on SQLite), so the units and the waybill are checked again after it,
    # against whatever a concurrent request committed meanwhile.
    number = next_number("SH", local_day(now).strftime("%y%m"), width=5)
    _check_free(parsed, None)
    if waybill:
        _reserve_waybill(waybill, None)
    shipment = Shipment(
        number=number,
        leg=leg, carrier=carrier, waybill=waybill, pieces=pieces, weight_kg=weight, freight_cost=cost,
        paying_account=paying_account, status="packed", dealer_id=dealer_id, office_id=office_id,
        vendor_id=vendor_id, from_location_id=origin.id if origin else None,
        to_location_id=destination.id if destination else None, note=_text(note, 2000),
        created_at=now, reported_at=now if waybill else None, created_by_id=actor.id,
    )
    for line in parsed:
        shipment.lines.append(ShipmentLine(
            kind=line["kind"], serial=line["serial"], model=line["model"], part_id=line["part_id"],
            quantity=line["quantity"], ref_type=line["ref_type"], ref_id=line["ref_id"],
            received_quantity=0, receive_state="pending",
        ))
    db.session.add(shipment)
    db.session.flush()
    return shipment


def add_unit_lines(actor, shipment: Shipment, lines) -> Shipment:
    """Add unit ``lines`` to ``shipment`` while it is still packed (a box being filled).

    The shipment's row is held first: a close (mark_shipped) running at the same
    moment either finishes first, and this is a 409, or waits and ships these
    lines too. A unit already on a shipment not yet received is a 409.
    """
    _check_actor_may_ship(actor, shipment.leg, shipment.office_id)
    ensure_shipment_access(actor, shipment)
    errors: dict = {}
    parsed = _parse_lines(lines, errors)
    if not errors and any(line["kind"] != "unit" for line in parsed):
        errors["lines"] = [_("Only units are added to a packed shipment.")]
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    if shipment.status != "packed":
        raise InvalidTransition(
            _("Shipment %(n)s is already %(s)s.", n=shipment.number, s=_status_label(shipment.status)),
            current=shipment.status, allowed=["packed"])
    hold_row(shipment)
    if len(shipment.lines) + len(parsed) > MAX_LINES:
        raise ValidationFailed(_("At most %(n)s lines per shipment.", n=MAX_LINES),
                               errors={"lines": [_("Too many.")]})
    _check_free(parsed, None)
    for line in parsed:
        shipment.lines.append(ShipmentLine(
            kind="unit", serial=line["serial"], model=line["model"], part_id=None, quantity=1,
            ref_type=line["ref_type"], ref_id=line["ref_id"], received_quantity=0, receive_state="pending",
        ))
    db.session.flush()
    return shipment


def _as_aware(value, field: str) -> datetime:
    """A shipping moment from an aware datetime, a date (Shanghai noon) or an ISO string."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(_("Not a valid date."), errors={field: [_("Use YYYY-MM-DD.")]}) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value
    if isinstance(value, date):
        # A bare day from the factory's report: its local noon, so the day never
        # shifts; today's date is "now" so nothing is dated in the future.
        moment = datetime.combine(value, time(12, 0), tzinfo=SHANGHAI)
        now = utcnow()
        return min(moment, now) if value == local_day(now) else moment
    raise ValidationFailed(_("Not a valid date."), errors={field: [_("Use YYYY-MM-DD.")]})


def report_due_for(shipped_on: date) -> date:
    """The last day a shipment shipped on ``shipped_on`` may be reported: the next working day."""
    return add_working_days(shipped_on, 1)


def _status_label(status: str) -> str:
    return ShipmentStatus.label_of(status)


def claim_transition(actor, shipment: Shipment, action: str, **values) -> None:
    """Apply ``action`` to ``shipment`` exactly once (:data:`SHIPMENT_WORKFLOW`).

    A guarded UPDATE on the status read: the first write of the step, so it waits
    for the row (PostgreSQL) or the write lock (SQLite) and then finds whether
    someone else moved the shipment meanwhile; if so, 409 naming the status it
    has now, and nothing is posted. The ORM records the same change, so the audit
    trail shows it.
    """
    SHIPMENT_WORKFLOW.apply(actor, shipment, action, **values)


def hold_row(shipment: Shipment) -> None:
    """Lock ``shipment``'s row for an edit (409 if its status changed since it was read)."""
    db.session.flush()
    table = Shipment.__table__
    held = db.session.execute(update(table).where(table.c.id == shipment.id, table.c.status == shipment.status)
                              .values(status=shipment.status))
    if held.rowcount != 1:
        now = db.session.scalar(select(table.c.status).where(table.c.id == shipment.id))
        raise InvalidTransition(
            _("Shipment %(n)s was just changed by someone else: it is %(s)s now.", n=shipment.number,
              s=_status_label(now)), current=now, allowed=[shipment.status])
    db.session.refresh(shipment)


def mark_shipped(actor, shipment: Shipment, *, waybill, carrier, shipped_at=None, reported_at=None,
                 freight_cost=None, pieces=None, weight_kg=None) -> Shipment:
    """Record that ``shipment`` left: waybill, carrier and when (packed -> shipped).

    ``shipped_at`` (datetime or date, default now) is when it left; entering
    it now is the report, so for factory legs the report is late if today is
    past the next working day after ``shipped_at``. Parts move from the origin
    to the in-transit location.
    """
    _check_actor_may_ship(actor, shipment.leg, shipment.office_id)
    ensure_shipment_access(actor, shipment)
    errors: dict = {}
    waybill = normalise_code(waybill)
    carrier = _text(carrier, 60)
    if not waybill:
        errors["waybill"] = [_("Required.")]
    elif len(waybill) > 60:
        errors["waybill"] = [_("At most 60 characters.")]
    if not carrier:
        errors["carrier"] = [_("Required.")]
    cost = _money_field(errors, "freight_cost", freight_cost)
    pieces = _int_field(errors, "pieces", pieces, minimum=1, maximum=10000)
    weight = _money_field(errors, "weight_kg", weight_kg, maximum=Decimal("99999999"))
    now = utcnow()
    moment = now
    if shipped_at is not None and shipped_at != "":
        moment = _as_aware(shipped_at, "shipped_at")
        if local_day(moment) > local_day(now):
            errors["shipped_at"] = [_("Cannot be in the future.")]
    reported = now if reported_at is None else _as_aware(reported_at, "reported_at")
    if "shipped_at" not in errors and local_day(reported) < local_day(moment):
        errors["reported_at"] = [_("A report cannot come before the shipment left.")]
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)

    # Refused in words before anything is checked or posted: only a packed shipment leaves.
    SHIPMENT_WORKFLOW.require(shipment, "ship")
    _check_departure(actor, shipment)
    claim_transition(actor, shipment, "ship")
    _reserve_waybill(waybill, shipment.id)
    if reported_at is not None or shipment.waybill != waybill or shipment.reported_at is None:
        shipment.reported_at = reported
    shipment.waybill = waybill
    shipment.carrier = carrier
    shipment.shipped_at = moment
    shipment.shipped_by_id = actor.id
    if cost is not None:
        shipment.freight_cost = cost
    if pieces is not None:
        shipment.pieces = pieces
    if weight is not None:
        shipment.weight_kg = weight
    if shipment.is_factory_leg:
        shipment.report_due = report_due_for(local_day(moment))
    # A box filled at the scan station is closed once it leaves: the next scan opens a new one.
    shipment.box_key = None
    _post_departure(actor, shipment, moment)
    db.session.flush()
    for hook in _DEPARTURE_HOOKS:
        hook(actor, shipment)
    return shipment


# Packages whose records travel on shipments, told in the same transaction that one left
# (repairs: the units packed in a box leave with it). Registered by those packages.
_DEPARTURE_HOOKS: list = []


def on_departure(hook):
    """Register ``hook(actor, shipment)``, called whenever a shipment is marked shipped."""
    _DEPARTURE_HOOKS.append(hook)
    return hook


def _check_departure(actor, shipment: Shipment) -> None:
    """Whoever ships the parts sends them from the origin: the origin must be theirs to send from."""
    if shipment.from_location_id is not None and any(line.kind == "part" for line in shipment.lines):
        access.ensure_hq_departure(actor, db.session.get(Location, shipment.from_location_id))


def _post_departure(actor, shipment: Shipment, moment: datetime) -> None:
    """Move the declared parts from the origin into transit."""
    part_lines = [line for line in shipment.lines if line.kind == "part"]
    if not part_lines:
        return

    origin = db.session.get(Location, shipment.from_location_id)
    transit = inv.system_location("transit")
    for line in part_lines:
        inv.post_movement(
            actor=actor, part=db.session.get(Part, line.part_id), from_location=origin, to_location=transit,
            quantity=line.quantity, serial=line.serial, reason="shipment_out", ref_type="shipment",
            ref_id=shipment.id, at=moment,
        )


def update_shipment(actor, shipment: Shipment, *, carrier=None, pieces=None, weight_kg=None, freight_cost=None,
                    paying_account=None, note=None) -> Shipment:
    """Correct a shipment's freight facts (any status); None leaves a field as it is."""
    _check_actor_may_ship(actor, shipment.leg, shipment.office_id)
    ensure_shipment_access(actor, shipment)
    errors: dict = {}
    pieces = _int_field(errors, "pieces", pieces, minimum=1, maximum=10000)
    weight = _money_field(errors, "weight_kg", weight_kg, maximum=Decimal("99999999"))
    cost = _money_field(errors, "freight_cost", freight_cost)
    if paying_account is not None and paying_account not in PAYING_ACCOUNTS:
        errors["paying_account"] = [_("Must be cs or sales.")]
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    hold_row(shipment)
    if carrier is not None:
        shipment.carrier = _text(carrier, 60)
    if pieces is not None:
        shipment.pieces = pieces
    if weight is not None:
        shipment.weight_kg = weight
    if cost is not None:
        shipment.freight_cost = cost
    if paying_account is not None:
        shipment.paying_account = paying_account
    if note is not None:
        shipment.note = _text(note, 2000)
    db.session.flush()
    return shipment


# --- look-ups ---------------------------------------------------------------------------

def shipment_by_number(number) -> Shipment:
    """The shipment numbered ``number`` (as scanned: case and spaces ignored); NotFound if none."""
    code = normalise_code(number)
    shipment = db.session.scalar(select(Shipment).where(Shipment.number == code)) if code else None
    if shipment is None:
        raise NotFound(_("No shipment numbered %(n)s.", n=code or "-"))
    return shipment


def shipment_by_waybill(waybill) -> Shipment:
    """The shipment carrying ``waybill``; NotFound if none."""
    code = normalise_code(waybill)
    shipment = db.session.scalar(select(Shipment).where(Shipment.waybill == code)) if code else None
    if shipment is None:
        raise NotFound(_("No shipment with waybill %(w)s.", w=code or "-"))
    return shipment


def find_shipment(code) -> Shipment:
    """A scanned shipment label or waybill: tries the number first, then the waybill."""
    code = normalise_code(code)
    if not code:
        raise NotFound(_("Scan a shipment label or waybill."))
    shipment = db.session.scalar(
        select(Shipment).where(or_(Shipment.number == code, Shipment.waybill == code)).order_by(Shipment.id).limit(1)
    )
    if shipment is None:
        raise NotFound(_("No shipment with number or waybill %(c)s.", c=code))
    return shipment


def ensure_shipment_access(actor, shipment: Shipment) -> None:
    """Raise Forbidden unless ``actor`` may see ``shipment`` (offices: only their own)."""
    require_office(actor, shipment.office_id)


def get_shipment(actor, key) -> Shipment:
    """A shipment by id or number that ``actor`` may see (NotFound / Forbidden)."""
    if isinstance(key, int) and not isinstance(key, bool):
        shipment = db.session.get(Shipment, key)
        if shipment is None:
            raise NotFound(_("No such shipment."))
    else:
        shipment = shipment_by_number(key)
    ensure_shipment_access(actor, shipment)
    return shipment


LIST_KEYS = (Key(Shipment.created_at, "datetime", desc=True), Key(Shipment.id, "int", desc=True))
LIST_PER_PAGE = 50


def shipments_page(actor, *, after=None, per_page=LIST_PER_PAGE, **filters) -> KeysetPage:
    """One page of :func:`shipments_query` (newest first) after the cursor ``after``, with each shipment's lines
    (the list counts units and parts) loaded in one statement."""
    stmt = shipments_query(actor, **filters).options(selectinload(Shipment.lines))
    return keyset(stmt, LIST_KEYS, after, per_page, default_per_page=LIST_PER_PAGE)


def shipments_query(actor, *, q=None, leg=None, status=None, paying_account=None, office_id=None, dealer_id=None,
                    shipped_from: date | None = None, shipped_to: date | None = None):
    """A SELECT of the shipments ``actor`` may see, newest first, filtered.

    ``q`` matches the number, waybill, carrier or a line's serial.
    """
    errors: dict = {}
    if leg and leg not in LEGS:
        errors["leg"] = [_("Unknown leg.")]
    if status and status not in STATUSES:
        errors["status"] = [_("Unknown status.")]
    if paying_account and paying_account not in PAYING_ACCOUNTS:
        errors["paying_account"] = [_("Must be cs or sales.")]
    if errors:
        raise ValidationFailed(_("The filter has invalid fields."), errors=errors)
    stmt = scope_to_office(select(Shipment), actor, Shipment.office_id)
    if office_id:
        stmt = stmt.where(Shipment.office_id == office_id)
    if dealer_id:
        stmt = stmt.where(Shipment.dealer_id == dealer_id)
    if leg:
        stmt = stmt.where(Shipment.leg == leg)
    if status:
        stmt = stmt.where(Shipment.status == status)
    if paying_account:
        stmt = stmt.where(Shipment.paying_account == paying_account)
    if shipped_from:
        stmt = stmt.where(Shipment.shipped_at >= datetime.combine(shipped_from, time(0), tzinfo=SHANGHAI))
    if shipped_to:
        stmt = stmt.where(Shipment.shipped_at < datetime.combine(shipped_to + timedelta(days=1), time(0), tzinfo=SHANGHAI))
    text = (q or "").strip()
    if text:
        code = normalise_code(text)
        serial_hit = select(ShipmentLine.shipment_id).where(ShipmentLine.serial == code)
        stmt = stmt.where(or_(
            contains(Shipment.number, code), contains(Shipment.waybill, code),
            contains(func.upper(Shipment.carrier), text.upper()), Shipment.id.in_(serial_hit),
        ))
    return stmt.order_by(Shipment.created_at.desc(), Shipment.id.desc())


# --- the factory's reporting deadline (DOMAIN.md D.4) -------------------------------------

@dataclass(frozen=True)
class LateReport:
    """A factory shipment reported after its deadline, or not reported by it yet."""

    shipment: Shipment
    due: date
    reported_on: date | None  # None: not reported yet

    @property
    def pending(self) -> bool:
        return self.reported_on is None

    # Shortcuts for pages that list late reports next to other overdue work.
    @property
    def number(self) -> str:
        return self.shipment.number

    @property
    def waybill(self) -> str | None:
        return self.shipment.waybill

    @property
    def leg(self) -> str:
        return self.shipment.leg

    def __str__(self) -> str:
        return self.shipment.number

    def days_late(self, today: date | None = None) -> int:
        """Calendar days past the due day (until the report, or until today)."""
        end = self.reported_on or today or local_today()
        return (end - self.due).days


def late_reports(actor, *, today: date | None = None, include_pending: bool = True) -> list[LateReport]:
    """Factory-leg shipments whose waybill report missed the next-working-day deadline.

    Reported late: shipped on day S, reported after the next working day after S.
    Pending (``include_pending``): packed on a factory leg and still without a
    report after the next working day after packing. Oldest due first. With
    ``actor``, limited to what that user may see.
    """
    today = today or local_today()
    stmt = select(Shipment).where(Shipment.leg.in_(FACTORY_LEGS))
    stmt = scope_to_office(stmt, actor, Shipment.office_id)
    results: list[LateReport] = []
    reported = stmt.where(Shipment.report_due.is_not(None), Shipment.reported_at.is_not(None))
    for shipment in db.session.scalars(reported):
        reported_on = local_day(shipment.reported_at)
        if reported_on > shipment.report_due:
            results.append(LateReport(shipment, shipment.report_due, reported_on))
    if include_pending:
        # Only packed ones can lack a report: shipping always records the waybill.
        pending = stmt.where(Shipment.status == "packed", Shipment.reported_at.is_(None))
        for shipment in db.session.scalars(pending):
            due = report_due_for(local_day(shipment.created_at))
            if today > due:
                results.append(LateReport(shipment, due, None))
    results.sort(key=lambda r: (r.due, r.shipment.number))
    return results
