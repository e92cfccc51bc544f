"""What a shipment carries and between where: each leg's endpoints, who may ship it, its lines
(parts by SKU and quantity, units by serial) and the checks on every typed field.

The rules that create and ship a shipment (:mod:`shipments.service`) read their input through here,
so the page, the API and the receive station refuse the same things with the same words.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.accounts.roles import Role
from core.codes import normalise_code
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from inventory import access
from inventory import service as inv
from inventory.models import Location, Part
from inventory.service import location_by_code
from shipments.models import OFFICE_LEGS, Shipment, ShipmentLine

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




def int_field(errors, name, value, *, minimum=0, maximum=None, required=False):
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


def money_field(errors, name, value, *, maximum=Decimal("9999999999")):
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


def clean_text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def check_free(parsed: list[dict], waybill: str | None) -> None:
    """409 when a declared unit is on a shipment not yet received, or the waybill names another parcel."""
    busy = unit_serials_in_transit([line["serial"] for line in parsed if line["kind"] == "unit"])
    if busy:
        first = sorted(busy)[0]
        raise Conflict(
            _("Unit %(s)s is already on shipment %(n)s, which has not been received.", s=first, n=busy[first]),
            errors={"lines": [_("%(s)s is on %(n)s.", s=s, n=n) for s, n in sorted(busy.items())]},
        )
    if waybill:
        check_waybill_free(waybill)


def reserve_waybill(waybill: str, exclude_id: int | None) -> None:
    """Check the waybill is free, with other requests giving a waybill to a shipment waiting their turn.

    SQLite: the caller has already written (the status claim), so it holds the write lock. PostgreSQL:
    a transaction-scoped advisory lock on the waybill.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("waybill:" + waybill))))
    check_waybill_free(waybill, exclude_id=exclude_id)


def check_waybill_free(waybill: str, *, exclude_id: int | None = None) -> None:
    stmt = select(Shipment.number).where(Shipment.waybill == waybill)
    if exclude_id is not None:
        stmt = stmt.where(Shipment.id != exclude_id)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        raise Conflict(
            _("Waybill %(w)s is already on shipment %(n)s.", w=waybill, n=other),
            errors={"waybill": [_("Already used by %(n)s.", n=other)]},
        )


def resolve_location(value, field: str, errors: dict):
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


def default_location(kind: str, shipment_office_id: int | None):
    if kind == "office":
        # By the office's id, never its code: a renamed office keeps its stock.
        return access.office_location(shipment_office_id)
    return inv.system_location(kind)


def check_leg_locations(actor, leg: str, office_id: int | None, origin, destination) -> None:
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


def parse_lines(raw_lines, errors: dict) -> list[dict]:
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
        ref_type = clean_text(raw.get("ref_type"), 40) or None
        ref_id = int_field(errors, f"{key}.ref_id", raw.get("ref_id"), minimum=1)
        line = {"kind": kind, "serial": serial, "ref_type": ref_type, "ref_id": ref_id,
                "model": clean_text(raw.get("model"), 80)}
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
            part_id = int_field(errors, f"{key}.part_id", part_id, minimum=1, required=True)
            quantity = int_field(errors, f"{key}.quantity", raw.get("quantity", 1), minimum=1,
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


def unit_serials_in_transit(serials: list[str]) -> dict[str, str]:
    """Serials of units already on a shipment not yet received -> that shipment's number."""
    if not serials:
        return {}
    rows = db.session.execute(
        select(ShipmentLine.serial, Shipment.number)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(ShipmentLine.kind == "unit", ShipmentLine.serial.in_(serials), Shipment.status != "received")
    )
    return {serial: number for serial, number in rows}


def check_actor_may_ship(actor, leg: str, office_id: int | None) -> None:
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
