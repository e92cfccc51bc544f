"""Shipment rules: create a shipment, add units, ship it, correct it.

Every leg a unit or a spare travels is a :class:`~shipments.models.Shipment`
(packed -> shipped -> received). Parts on a shipment are stock: shipping moves
them from the origin to the in-transit location and receiving moves what
arrived on to the destination (``shipments.receiving``); units are repair units
tracked by the repairs package, so they never post stock movements here.
What a shipment may carry is checked in :mod:`shipments.lines`; finding and
listing shipments is :mod:`shipments.lookup`; the factory's reporting deadline
is :mod:`shipments.late_reports`.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from core.calendar import SHANGHAI, add_working_days, local_day
from core.codes import normalise_code
from core.directory.models import Dealer, Office, Vendor
from core.errors import InvalidTransition, ValidationFailed
from core.extensions import db
from core.sequences import next_number
from core.types import utcnow
from inventory import access
from inventory import service as inv
from inventory.models import Location, Part
from shipments.lines import (
    LEG_ENDPOINTS,
    MAX_LINES,
    check_actor_may_ship,
    check_free,
    check_leg_locations,
    clean_text,
    default_location,
    int_field,
    money_field,
    parse_lines,
    reserve_waybill,
    resolve_location,
)
from shipments.lookup import ensure_shipment_access
from shipments.models import (
    DEALER_LEGS,
    LEGS,
    OFFICE_LEGS,
    PAYING_ACCOUNTS,
    SHIPMENT_WORKFLOW,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)

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
    dealer_id = int_field(errors, "dealer_id", dealer_id, minimum=1)
    office_id = int_field(errors, "office_id", office_id, minimum=1)
    vendor_id = int_field(errors, "vendor_id", vendor_id, minimum=1)
    pieces = int_field(errors, "pieces", pieces, minimum=1, maximum=10000)
    weight = money_field(errors, "weight_kg", weight_kg, maximum=Decimal("99999999"))
    cost = money_field(errors, "freight_cost", freight_cost)
    carrier = clean_text(carrier, 60)
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
    parsed = parse_lines(lines, errors)
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    check_actor_may_ship(actor, leg, office_id)

    check_free(parsed, waybill)
    loc_errors: dict = {}
    origin = resolve_location(from_location, "from_location", loc_errors)
    destination = resolve_location(to_location, "to_location", loc_errors)
    if loc_errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=loc_errors)
    has_parts = any(line["kind"] == "part" for line in parsed)
    if has_parts:
        start_kind, end_kind = LEG_ENDPOINTS[leg]
        origin = origin or default_location(start_kind, office_id)
        destination = destination or default_location(end_kind, office_id)
    check_leg_locations(actor, leg, office_id, origin, destination)
    if has_parts:
        if origin.id == destination.id:
            raise ValidationFailed(_("Origin and destination are the same location."),
                                   errors={"to_location": [_("Same as the origin.")]})

    now = utcnow()
    # The number's counter row is the first write: it serialises shipments being packed (row lock on
    # PostgreSQL, the write lock on SQLite), so the units and the waybill are checked again after it,
    # against whatever a concurrent request committed meanwhile.
    number = next_number("SH", local_day(now).strftime("%y%m"), width=5)
    check_free(parsed, None)
    if waybill:
        reserve_waybill(waybill, None)
    shipment = Shipment(
        number=number,
        leg=leg, carrier=carrier, waybill=waybill, pieces=pieces, weight_kg=weight, freight_cost=cost,
        paying_account=paying_account, status="packed", dealer_id=dealer_id, office_id=office_id,
        vendor_id=vendor_id, from_location_id=origin.id if origin else None,
        to_location_id=destination.id if destination else None, note=clean_text(note, 2000),
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
    check_actor_may_ship(actor, shipment.leg, shipment.office_id)
    ensure_shipment_access(actor, shipment)
    errors: dict = {}
    parsed = parse_lines(lines, errors)
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
    check_free(parsed, None)
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
    check_actor_may_ship(actor, shipment.leg, shipment.office_id)
    ensure_shipment_access(actor, shipment)
    errors: dict = {}
    waybill = normalise_code(waybill)
    carrier = clean_text(carrier, 60)
    if not waybill:
        errors["waybill"] = [_("Required.")]
    elif len(waybill) > 60:
        errors["waybill"] = [_("At most 60 characters.")]
    if not carrier:
        errors["carrier"] = [_("Required.")]
    cost = money_field(errors, "freight_cost", freight_cost)
    pieces = int_field(errors, "pieces", pieces, minimum=1, maximum=10000)
    weight = money_field(errors, "weight_kg", weight_kg, maximum=Decimal("99999999"))
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
    reserve_waybill(waybill, shipment.id)
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
    check_actor_may_ship(actor, shipment.leg, shipment.office_id)
    ensure_shipment_access(actor, shipment)
    errors: dict = {}
    pieces = int_field(errors, "pieces", pieces, minimum=1, maximum=10000)
    weight = money_field(errors, "weight_kg", weight_kg, maximum=Decimal("99999999"))
    cost = money_field(errors, "freight_cost", freight_cost)
    if paying_account is not None and paying_account not in PAYING_ACCOUNTS:
        errors["paying_account"] = [_("Must be cs or sales.")]
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    hold_row(shipment)
    if carrier is not None:
        shipment.carrier = clean_text(carrier, 60)
    if pieces is not None:
        shipment.pieces = pieces
    if weight is not None:
        shipment.weight_kg = weight
    if cost is not None:
        shipment.freight_cost = cost
    if paying_account is not None:
        shipment.paying_account = paying_account
    if note is not None:
        shipment.note = clean_text(note, 2000)
    db.session.flush()
    return shipment
