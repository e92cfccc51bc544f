"""The factory legs: dispatch to the factory, packing boxes, the factory's answer, scrapping, shipping back to the dealer."""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import authz
from core.calendar import local_day
from core.codes import normalise_code, normalise_serial
from core.errors import ValidationFailed
from core.extensions import db
from core.tasks.models import Task
from core.types import utcnow
from repairs import clocks
from repairs import states as st
from repairs.dealer_tasks import UNIT
from repairs.models import RepairUnit
from repairs.service import HANDS, OUTCOMES, _check_access, _event, _invalid
from shipments import service as shipments_service
from shipments.models import Shipment
from shipments.receiving import receive_shipment

# --------------------------------------------------------------------------- factory legs

def _shipments():
    return shipments_service


# The column linking a unit to its shipment on each leg it travels, and the state and
# action that leg's departure needs.
LEG_LINK = {"hq_factory": "factory_shipment_id", "factory_dealer": "return_shipment_id"}
LEG_STEP = {"hq_factory": (st.INSPECTED, "dispatch"), "factory_dealer": (st.READY_TO_SHIP, "ship")}
LEG_LABELS = {"hq_factory": _l("To the factory"), "factory_dealer": _l("Back to the dealer")}


def factory_of(actor, units: list[RepairUnit]) -> int:
    """The one factory accepted ``units`` go to (their routes'); refuses units not ready, without a
    route or bound for different factories."""
    for unit in units:
        _check_access(actor, unit.parcel.office_id)
        st.WORKFLOW.require(unit, "dispatch")
    factories = {u.route.factory_id if u.route else None for u in units}
    if None in factories:
        raise ValidationFailed(_("Every unit needs a repair route."), errors={"route": [_("Missing.")]})
    if len(factories) > 1:
        raise ValidationFailed(_("These units go to different factories; dispatch them separately."),
                               errors={"serials": [_("Mixed repair routes.")]})
    return factories.pop()


def dealer_of(actor, units: list[RepairUnit]) -> int:
    """The one dealer ``units`` ready to ship go back to; refuses units not ready or of several dealers."""
    for unit in units:
        _check_access(actor, unit.parcel.office_id)
        st.WORKFLOW.require(unit, "ship")
    dealers = {u.parcel.dealer_id for u in units}
    if len(dealers) > 1:
        raise ValidationFailed(_("These units belong to different dealers; ship them separately."),
                               errors={"serials": [_("Mixed dealers.")]})
    return dealers.pop()


def shipment_line(unit: RepairUnit, leg: str) -> dict:
    """The shipment line of ``unit`` on ``leg``: back to the dealer goes the unit sent (replacement, substitute)."""
    if leg == "factory_dealer":
        return {"kind": "unit", "serial": unit.replacement_serial or unit.serial,
                "model": unit.substitute_model or unit.model, "ref_type": "repair_unit", "ref_id": unit.id}
    return {"kind": "unit", "serial": unit.serial, "model": unit.model, "ref_type": "repair_unit", "ref_id": unit.id}


def _check_waybill_input(waybill, carrier) -> str | None:
    """A waybill given with a direct dispatch or return ships it at once: the carrier must come with it."""
    waybill = normalise_code(waybill) or None
    if waybill and not (carrier or "").strip():
        raise ValidationFailed(_("Give the carrier with the waybill."), errors={"carrier": [_("Required.")]})
    return waybill


def _ship_now(actor, shipment, waybill: str | None, carrier: str | None, now: datetime) -> None:
    """With a waybill the shipment left now: recorded shipped (waybill, carrier, date), never left packed."""
    if waybill:
        _shipments().mark_shipped(actor, shipment, waybill=waybill, carrier=carrier, shipped_at=now, reported_at=now)


def dispatch_to_factory(actor, units: list[RepairUnit], *, carrier: str | None = None,
                        waybill: str | None = None, at: datetime | None = None):
    """Send accepted units to their repair route's factory in one shipment (leg hq_factory), at once.

    With a waybill (and its carrier) the shipment is recorded as shipped at ``at``;
    without one it stays packed until its waybill is entered. The scan station
    packs units into an open box instead (:mod:`repairs.boxes`), shipped when closed.
    """
    authz.require(actor, *HANDS)
    units = _distinct(units)
    factory_id = factory_of(actor, units)
    waybill = _check_waybill_input(waybill, carrier)
    shipments_service = _shipments()
    _claim(units, st.INSPECTED, "dispatch")
    shipment = shipments_service.create_shipment(
        actor, leg="hq_factory", carrier=carrier or None,
        lines=[shipment_line(u, "hq_factory") for u in units],
        note=_("Repairs: %(n)s unit(s)", n=len(units)),
    )
    shipment.factory_id = factory_id
    now = at or utcnow()
    record_dispatch(actor, units, shipment, now)
    _ship_now(actor, shipment, waybill, carrier, now)
    return shipment


def record_dispatch(actor, units: list[RepairUnit], shipment, at: datetime) -> None:
    """The units left for the factory on ``shipment`` at ``at``: each moves to the factory."""
    for unit in units:
        # The factory's own clock (calendar days at the factory) starts with the dispatch.
        st.WORKFLOW.apply(actor, unit, "dispatch", at=at, dispatched_at=at, factory_shipment_id=shipment.id,
                    factory_due=clocks.factory_due(local_day(at), unit.route), data={"shipment": shipment.number})


def claim_for_box(actor, unit: RepairUnit, leg: str) -> bool:
    """Hold ``unit`` to pack it for ``leg``: True when it is in the leg's state and on no shipment of
    that leg yet; False when it is packed already (a second scan of it); InvalidTransition otherwise.

    A guarded no-op UPDATE, the request's first write: of two scans of one unit at
    once, the second waits here and then finds it packed.
    """
    expected, action = LEG_STEP[leg]
    _check_access(actor, unit.parcel.office_id)
    db.session.flush()
    table = RepairUnit.__table__
    result = db.session.execute(
        update(table).where(table.c.id == unit.id, table.c.state == expected, table.c[LEG_LINK[leg]].is_(None))
        .values(updated_at=table.c.updated_at))
    if result.rowcount == 1:
        return True
    db.session.refresh(unit)
    if unit.state != expected:
        raise _invalid(unit, action)
    return False


def record_packed(actor, unit: RepairUnit, shipment, leg: str) -> None:
    """``unit`` (held by :func:`claim_for_box`) is packed on ``shipment``: linked, with a "pack" event."""
    column = LEG_LINK[leg]
    table = RepairUnit.__table__
    db.session.execute(update(table).where(table.c.id == unit.id).values({column: shipment.id}))
    set_committed_value(unit, column, shipment.id)
    _event(actor, unit.parcel_id, unit.id, "pack", unit.state, unit.state, data={"shipment": shipment.number})


def packed_units(shipment, leg: str) -> list[RepairUnit]:
    """The units packed on ``shipment`` still waiting for it to leave (in the leg's state, linked to it)."""
    expected, _action = LEG_STEP[leg]
    column = getattr(RepairUnit, LEG_LINK[leg])
    return list(db.session.scalars(
        select(RepairUnit).where(column == shipment.id, RepairUnit.state == expected)
        .order_by(RepairUnit.id).execution_options(populate_existing=True)))


def receive_from_factory(actor, unit: RepairUnit, outcome: str, *, replacement_serial: str | None = None,
                         scrap: bool = False, note: str = "", at: datetime | None = None) -> RepairUnit:
    """Record the factory's outcome: repaired, replaced (with the new serial), or unrepairable.

    An unrepairable unit goes back to the dealer as is, or is scrapped when the
    dealer consented (``scrap=True``).
    """
    authz.require(actor, *HANDS)
    _check_access(actor, unit.parcel.office_id)
    if outcome not in OUTCOMES:
        raise ValidationFailed(_("Outcome must be repaired, replaced or unrepairable."),
                               errors={"outcome": [_("Unknown outcome.")]})
    values: dict = {"outcome": outcome, "returned_at": at or utcnow()}
    data: dict = {"outcome": outcome}
    if outcome == "replaced":
        replacement_serial = normalise_serial(replacement_serial)
        if not replacement_serial or not re.fullmatch(r"[A-Za-z0-9._/\-]{1,64}", replacement_serial):
            raise ValidationFailed(_("A replaced unit needs the replacement's serial."),
                                   errors={"replacement_serial": [_("Required.")]})
        if replacement_serial == unit.serial:
            raise ValidationFailed(_("The replacement serial must differ from the faulty unit's."),
                                   errors={"replacement_serial": [_("Same as the faulty serial.")]})
        values["replacement_serial"] = replacement_serial
        data["replacement_serial"] = replacement_serial
    elif replacement_serial:
        raise ValidationFailed(_("Only a replaced unit has a replacement serial."),
                               errors={"replacement_serial": [_("Not expected.")]})
    if scrap and outcome != "unrepairable":
        raise ValidationFailed(_("Only an unrepairable unit can be scrapped."), errors={"scrap": [_("Not allowed.")]})
    if scrap:
        ensure_can_scrap(unit, note)
    action = "factory_scrapped" if scrap else f"factory_{outcome}"
    st.WORKFLOW.require(unit, action)
    # Lock the unit first: a second report of the same outcome waits here, then is a 409,
    # instead of receiving the factory's box a second time.
    _claim([unit], unit.state, action)
    _factory_box_arrived(actor, unit)
    return st.WORKFLOW.apply(actor, unit, action, at=values["returned_at"], note=note, data=data, **values)


SCRAP_CONSENT_MISSING = "scrap_consent_missing"


def scrap_consent(unit: RepairUnit, note: str = "") -> str | None:
    """How the dealer's consent to scrap ``unit`` is recorded: "answer", "note", or None without consent.

    The consent is the dealer's answer "scrap" to a dealer task about the unit
    (or the supervisor's settlement of one), or an explicit note of who agreed
    given with the request. Every path that scraps asks here: the unit page,
    the API and the scan station.
    """
    if unit.dealer_decision == "scrap":
        return "answer"
    if unit.id is not None and db.session.scalar(
            select(Task.id).where(Task.subject_type == UNIT, Task.subject_id == unit.id, Task.resolution == "scrap",
                                  Task.status.in_(("agreed", "resolved"))).limit(1)) is not None:
        return "answer"
    if (note or "").strip():
        return "note"
    return None


def can_scrap(unit: RepairUnit, note: str = "") -> bool:
    """True when the dealer's consent to scrap ``unit`` is recorded (see :func:`scrap_consent`)."""
    return scrap_consent(unit, note) is not None


def ensure_can_scrap(unit: RepairUnit, note: str = "") -> None:
    """Refuse (422, nothing changed) to scrap ``unit`` without the dealer's recorded consent."""
    if not can_scrap(unit, note):
        raise ValidationFailed(
            _("Not scrapped: no consent from the dealer to scrap %(s)s is recorded. Record the dealer's answer, "
              "or a note of who agreed, on the unit's page first.", s=unit.serial),
            errors={"note": [_("Required to scrap.")]}, code=SCRAP_CONSENT_MISSING)


def _factory_box_arrived(actor, unit: RepairUnit) -> None:
    """An outcome from the factory proves its box arrived: close the hq_factory shipment.

    Without this the unit would stay "in transit" on that shipment and the
    shipments package would refuse to put it on the way back to the dealer.
    """
    if unit.factory_shipment_id is None:
        return
    shipment = db.session.get(Shipment, unit.factory_shipment_id)
    if shipment is None or shipment.status == "received":
        return
    codes = [line.serial for line in shipment.lines if line.kind == "unit" and line.serial]
    if codes:
        receive_shipment(actor, shipment, codes, note=_("Received at the factory (reported with a repair outcome)."))


def ship_to_dealer(actor, units: list[RepairUnit], *, carrier: str | None = None, waybill: str | None = None,
                   at: datetime | None = None):
    """Ship units back to their dealer in one shipment (leg factory_dealer), at once.

    With a waybill (and its carrier) the shipment is recorded as shipped at ``at``;
    without one it stays packed until the factory reports its waybill. The scan
    station packs units into an open box instead (:mod:`repairs.boxes`).
    """
    authz.require(actor, *HANDS)
    units = _distinct(units)
    dealer_of(actor, units)
    waybill = _check_waybill_input(waybill, carrier)
    first = units[0]
    shipments_service = _shipments()
    _claim(units, st.READY_TO_SHIP, "ship")
    shipment = shipments_service.create_shipment(
        actor, leg="factory_dealer", carrier=carrier or None, lines=[shipment_line(u, "factory_dealer") for u in units],
        dealer_id=first.parcel.dealer_id, office_id=first.parcel.office_id,
        note=", ".join(sorted({u.parcel.rma_number for u in units})),
    )
    now = at or utcnow()
    record_ship(actor, units, shipment, now)
    _ship_now(actor, shipment, waybill, carrier, now)
    return shipment


def record_ship(actor, units: list[RepairUnit], shipment, at: datetime) -> None:
    """The units left for their dealer on ``shipment`` at ``at``: each is shipped."""
    for unit in units:
        st.WORKFLOW.apply(actor, unit, "ship", at=at, shipped_at=at, return_shipment_id=shipment.id,
                    data={"shipment": shipment.number})


def _claim(units: list[RepairUnit], expected: str, action: str) -> None:
    """Lock the units in ``expected`` state before a shipment is made for them.

    The guarded no-op UPDATE takes the row locks (PostgreSQL) or the write lock
    (SQLite) first, so a competing client waits and then finds the units moved,
    and no shipment is created for a step that will not happen.
    """
    table = RepairUnit.__table__
    ids = [u.id for u in units]
    result = db.session.execute(
        update(table).where(table.c.id.in_(ids), table.c.state == expected).values(updated_at=table.c.updated_at)
    )
    if result.rowcount != len(ids):
        for unit in units:
            db.session.refresh(unit)
            if unit.state != expected:
                raise _invalid(unit, action)


def _distinct(units) -> list[RepairUnit]:
    out, seen = [], set()
    for unit in units:
        if unit.id not in seen:
            seen.add(unit.id)
            out.append(unit)
    if not out:
        raise ValidationFailed(_("No units given."), errors={"serials": [_("Required.")]})
    return out
