"""Boxes at the scan station: units scanned "To factory" or "Ship to dealer" fill one open box per destination.

A box is a shipment (:class:`shipments.models.Shipment`) still packed whose
``box_key`` names its destination: the repair route's factory (leg hq_factory)
or the dealer (leg factory_dealer). Each scan adds its unit to that
destination's open box, opening one when there is none; the units keep their
state (accepted, ready to ship) while the box is open, so nothing claims they
left. The clerk closes the box with the carrier's waybill and the carrier: the
shipment is shipped (waybill, carrier, date) and its units are dispatched to
the factory or shipped to the dealer at that moment. A box shipped from the
shipments pages does the same (the departure hook below).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from core.authz import scope_to_office
from core.codes import normalise_code
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from repairs import factory
from shipments import service as shipments
from shipments.lookup import ensure_shipment_access
from shipments.models import Shipment

# Scan mode -> the leg its box travels.
MODE_LEG = {"to_factory": "hq_factory", "ship": "factory_dealer"}
BOX_LEGS = tuple(MODE_LEG.values())
# A carrier's waybill: letters, digits and dashes (SF1234567890123, JDVA01234567890, 773012345678).
WAYBILL_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")
# Depot's own labels, which a clerk may scan into the waybill field by mistake.
SHIPMENT_NUMBER_RE = re.compile(r"^SH\d{4}-\d+$")
RMA_NUMBER_RE = re.compile(r"^RMA\d{4}-\d+$")
CARRIER_MAX = 60
# Box lists the API answers: only open boxes; a closed box is a shipment (/api/v1/shipments).
LIST_STATES = ("open",)


@dataclass(frozen=True)
class Packed:
    """The answer of one scan into a box: the box, and whether this scan added the unit."""

    box: Shipment
    added: bool


def box_key(leg: str, unit) -> str:
    """The destination a unit's box on ``leg`` goes to, as stored on the open box."""
    if leg == "hq_factory":
        return f"hq_factory:factory:{unit.route.factory_id}"
    return f"factory_dealer:dealer:{unit.parcel.dealer_id}"


def _hold_destination(key: str) -> None:
    """Serialise the requests filling or closing one destination's box.

    PostgreSQL: a transaction-scoped advisory lock on the destination, so two
    scans opening its first box at once make one box, and a close waits for a
    scan adding to it. SQLite: the request's first write (the unit's claim or
    the box's status) already holds the database's write lock.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("box:" + key))))


def open_box_for(key: str) -> Shipment | None:
    """The destination's open box, if there is one."""
    return db.session.scalar(select(Shipment).where(Shipment.box_key == key, Shipment.status == "packed")
                             .execution_options(populate_existing=True))


def open_boxes(actor, *, leg: str | None = None) -> list[Shipment]:
    """Open boxes the actor may see, oldest first."""
    stmt = select(Shipment).where(Shipment.box_key.is_not(None), Shipment.status == "packed")
    if leg:
        stmt = stmt.where(Shipment.leg == leg)
    stmt = scope_to_office(stmt, actor, Shipment.office_id)
    return list(db.session.scalars(stmt.order_by(Shipment.id)))


def get_box(actor, box_id: int) -> Shipment:
    """A box (a unit shipment to the factory or to a dealer) the actor may see; NotFound otherwise."""
    box = db.session.get(Shipment, box_id)
    if box is None or box.leg not in BOX_LEGS:
        raise NotFound(_("No such box."))
    ensure_shipment_access(actor, box)
    return box


def destination(box: Shipment) -> str:
    """Where the box goes, for people: the factory's or the dealer's name."""
    if box.leg == "hq_factory":
        return box.factory.name if box.factory is not None else "—"
    return box.dealer.name if box.dealer is not None else "—"


def box_summary(box: Shipment) -> dict:
    """The box in a scan's answer: which box the unit went into and how many units it holds."""
    return {"id": box.id, "number": box.number, "leg": box.leg, "destination": destination(box),
            "count": box.unit_count, "state": "open" if box.status == "packed" else "closed"}


def box_view(box: Shipment) -> dict:
    """The box as the scan station, the open-box list and the API show it."""
    return {"id": box.id, "number": box.number, "leg": box.leg, "destination": destination(box),
            "count": box.unit_count, "state": "open" if box.status == "packed" else "closed",
            "status": box.status, "waybill": box.waybill, "carrier": box.carrier or None,
            "shipped_at": box.shipped_at.isoformat() if box.shipped_at else None,
            "serials": [line.serial for line in box.lines if line.kind == "unit"]}


def add_to_box(actor, unit, mode: str) -> Packed:
    """Pack ``unit`` into its destination's open box for ``mode`` ("to_factory" or "ship").

    The unit must be accepted (to the factory) or ready to ship (to the dealer);
    a unit already packed is answered with its box and not added twice. Raises
    InvalidTransition for a unit in another state (the scan station tells the
    clerk where it belongs).
    """
    leg = MODE_LEG[mode]
    if leg == "hq_factory":
        factory_id, dealer_id = factory.factory_of(actor, [unit]), None
    else:
        factory_id, dealer_id = None, factory.dealer_of(actor, [unit])
    if not factory.claim_for_box(actor, unit, leg):
        return Packed(db.session.get(Shipment, getattr(unit, factory.LEG_LINK[leg])), False)
    key = box_key(leg, unit)
    _hold_destination(key)
    box = open_box_for(key)
    line = factory.shipment_line(unit, leg)
    if box is None:
        box = shipments.create_shipment(
            actor, leg=leg, lines=[line], dealer_id=dealer_id,
            office_id=unit.parcel.office_id if dealer_id is not None else None,
            note=_("Box packed at the scan station"))
        box.box_key = key
        box.factory_id = factory_id
        db.session.flush()
    else:
        shipments.add_unit_lines(actor, box, [line])
    factory.record_packed(actor, unit, box, leg)
    return Packed(box, True)


def _closing_input(box: Shipment, waybill, carrier) -> tuple[str, str]:
    """The waybill and carrier of a close, checked: 422 naming the field for anything that is not one."""
    code = normalise_code(waybill)
    name = " ".join(str(carrier or "").split())
    errors: dict = {}
    if not code:
        errors["waybill"] = [_("Scan or type the carrier's waybill.")]
    elif SHIPMENT_NUMBER_RE.match(code):
        errors["waybill"] = [_("%(w)s is a Depot shipment number, not the carrier's waybill.", w=code)]
    elif RMA_NUMBER_RE.match(code):
        errors["waybill"] = [_("%(w)s is an RMA number, not the carrier's waybill.", w=code)]
    elif code in {line.serial for line in box.lines}:
        errors["waybill"] = [_("%(w)s is the serial of a unit in this box, not the carrier's waybill.", w=code)]
    elif not WAYBILL_RE.match(code):
        errors["waybill"] = [_("%(w)s is not a waybill: 6 to 40 letters, digits or dashes.", w=code[:60])]
    if not name:
        errors["carrier"] = [_("Give the carrier (e.g. 顺丰).")]
    elif len(name) > CARRIER_MAX:
        errors["carrier"] = [_("At most %(n)s characters.", n=CARRIER_MAX)]
    elif normalise_code(name) == code or not any(ch.isalpha() for ch in name):
        errors["carrier"] = [_("%(c)s is not a carrier's name.", c=name)]
    if errors:
        raise ValidationFailed(_("Box %(n)s was not closed: check the waybill and the carrier.", n=box.number),
                               errors=errors)
    return code, name


def _already_closed(box: Shipment) -> Conflict:
    return Conflict(_("Box %(n)s is already closed (waybill %(w)s).", n=box.number, w=box.waybill or "—"),
                    current_state=box.status)


def close_box(actor, box: Shipment, *, waybill, carrier) -> Shipment:
    """Close ``box`` with the carrier's waybill: the shipment is shipped now and its units leave with it.

    409 when the box is already closed; 422 (nothing changed) for an empty box or
    a waybill or carrier that is not one.
    """
    if box.leg not in BOX_LEGS:
        raise NotFound(_("No such box."))
    ensure_shipment_access(actor, box)
    if box.status != "packed":
        raise _already_closed(box)
    code, name = _closing_input(box, waybill, carrier)
    if box.box_key:
        _hold_destination(box.box_key)
        db.session.refresh(box)
        if box.status != "packed":
            raise _already_closed(box)
    if not box.unit_count:
        raise ValidationFailed(_("Box %(n)s is empty: scan units into it before closing it.", n=box.number),
                               errors={"box": [_("Empty.")]})
    shipments.mark_shipped(actor, box, waybill=code, carrier=name)
    return box


@shipments.on_departure
def _box_left(actor, shipment: Shipment) -> None:
    """Units packed in a box leave when it does: dispatched to the factory, or shipped to the dealer."""
    if shipment.leg not in BOX_LEGS:
        return
    units = factory.packed_units(shipment, shipment.leg)
    if not units:
        return
    if shipment.leg == "hq_factory":
        factory.record_dispatch(actor, units, shipment, shipment.shipped_at)
    else:
        factory.record_ship(actor, units, shipment, shipment.shipped_at)


def packed_message(unit, packed: Packed) -> str:
    """What the scan station says for a unit scanned into a box (naming the unit and the box)."""
    box = packed.box
    count = box.unit_count
    if packed.added:
        return ngettext("%(s)s packed in box %(n)s for %(d)s (%(num)d unit).",
                        "%(s)s packed in box %(n)s for %(d)s (%(num)d units).", count,
                        s=unit.serial, n=box.number, d=destination(box))
    return ngettext("%(s)s is already in box %(n)s for %(d)s (%(num)d unit).",
                    "%(s)s is already in box %(n)s for %(d)s (%(num)d units).", count,
                    s=unit.serial, n=box.number, d=destination(box))
