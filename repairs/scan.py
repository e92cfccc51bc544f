"""The scan station's one step: a scanned code in a mode does that mode's step.

Mode barcodes (``MODE-RECEIVE`` ...) and finding / outcome barcodes are
handled by the page; the server gets the mode, the code and the pending
options, performs one service call and answers what the clerk needs to see.
A repeated scan (double trigger) by the same user, of the same code, in the
same mode within a few seconds is answered "already done" and changes nothing.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from core.calendar import local_today
from core.codes import normalise_serial
from core.directory.models import Dealer
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from repairs import boxes, service
from repairs import states as st
from repairs.card import UnitCard
from repairs.models import RepairUnit

MODES = ("receive", "inspect", "to_factory", "from_factory", "ship", "doa_receive")
MODE_ACTIONS = {
    "receive": {"receive"},
    "inspect": {"inspect_ok", "inspect_problem"},
    "to_factory": {"dispatch"},
    "from_factory": {"factory_repaired", "factory_replaced", "factory_unrepairable", "factory_scrapped"},
    "ship": {"ship"},
    "doa_receive": set(),  # DOA arrivals: repairs.doa.service.scan_doa_arrival
}
# Which mode performs an allowed next action: used to tell the clerk where to go.
ACTION_MODE = {a: m for m, acts in MODE_ACTIONS.items() for a in acts}
RMA_RE = re.compile(r"^RMA\d{4}-\d{3,}$", re.IGNORECASE)


def unit_view(unit: RepairUnit | UnitCard) -> dict:
    """The unit (or its card) as the scan station and the lookup show it."""
    card = unit if isinstance(unit, UnitCard) else UnitCard.of(unit)
    due = card.next_due
    return {
        "id": card.id, "serial": card.serial, "model": card.model, "state": card.state,
        "state_label": st.state_label(card.state), "rma_number": card.rma_number, "dealer": card.dealer,
        "next_due": due.isoformat() if due else None, "overdue": card.is_overdue(local_today()),
        "dispatch_due": card.dispatch_due.isoformat() if card.dispatch_due else None,
        "ship_due": card.ship_due.isoformat() if card.ship_due else None,
        "replacement_serial": card.replacement_serial,
        "quote_amount": str(card.quote_amount) if card.quote_amount is not None else None,
    }


def parcel_view(parcel) -> dict:
    counts: dict[str, int] = {}
    for unit in parcel.units:
        counts[unit.state] = counts.get(unit.state, 0) + 1
    return {"id": parcel.id, "rma_number": parcel.rma_number, "dealer": parcel.dealer.name,
            "declared": sum(1 for u in parcel.units if u.declared),
            "received": sum(1 for u in parcel.units if u.received_at is not None),
            "receipt_complete": parcel.receipt_completed_at is not None, "states": counts}


def _result(status: str, message: str, *, unit=None, parcel=None, **extra) -> dict:
    out = {"ok": True, "status": status, "message": message,
           "unit": unit_view(unit) if unit is not None else None,
           "parcel": parcel_view(parcel) if parcel is not None else None}
    out.update(extra)
    return out


def _packed(actor, unit: RepairUnit, mode: str) -> dict:
    """"To factory" and "Ship to dealer" pack the unit into its destination's open box (repairs.boxes);
    the units leave when the clerk closes the box with its waybill."""
    packed = boxes.add_to_box(actor, unit, mode)
    return _result("done" if packed.added else "already_done", boxes.packed_message(unit, packed), unit=unit,
                   shipment=packed.box.number, box=boxes.box_summary(packed.box))


def _wrong_state(err: InvalidTransition, unit: RepairUnit, mode: str) -> InvalidTransition:
    modes = sorted({ACTION_MODE[a] for a in st.allowed_actions(unit.state) if a in ACTION_MODE})
    err.extra["unit"] = unit_view(unit)
    err.extra["modes"] = modes
    if modes and mode not in modes:
        err.code = "wrong_mode"
    return err


def scan(actor, *, mode: str, code: str, parcel: str | None = None, findings=(), outcome: str | None = None,
         replacement_serial: str | None = None, scrap: bool = False) -> dict:
    """Perform the step of ``mode`` for the scanned ``code``; see the module docstring."""
    if mode not in MODES:
        raise ValidationFailed(_("Unknown scan mode."), errors={"mode": [_("One of: %(m)s.", m=", ".join(MODES))]})
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed(_("Nothing readable was scanned."), errors={"code": [_("Empty or too long.")]})
    if mode == "doa_receive":
        # DOA new units: apply first, ship after (DOMAIN.md B); the DOA package decides.
        from repairs.doa.service import scan_doa_arrival, scan_station_view

        return scan_station_view(scan_doa_arrival(actor, code, parcel,
                                                  human_damage="human_damage" in set(findings or ())))
    context = service.parcel_by_rma(parcel) if parcel else None

    if RMA_RE.match(code):
        found = service.parcel_by_rma(code)
        if mode != "receive":
            return _result("context", _("Parcel %(rma)s.", rma=found.rma_number), parcel=found)
        if context is not None and context.id == found.id and found.receipt_completed_at is None:
            service.complete_receipt(actor, found)
            missing = sum(1 for u in found.units if u.state == st.MISSING)
            msg = _("Receipt of %(rma)s complete.", rma=found.rma_number)
            if missing:
                msg += " " + _("%(n)s declared unit(s) missing: dealer task opened.", n=missing)
            return _result("done", msg, parcel=found, context=None)
        service.mark_parcel_arrived(actor, found)
        return _result("context", _("Parcel %(rma)s: scan its units; scan the RMA label again when done.",
                                    rma=found.rma_number), parcel=found, context=found.rma_number)

    if mode == "receive":
        try:
            card = service.receive_card(actor, code, context)
        except NotFound:
            # Not a declared serial: a dealer's code starts a parcel that came without a list.
            dealer = db.session.scalar(select(Dealer).where(Dealer.code == code))
            if dealer is None:
                raise
            new = service.start_parcel_at_arrival(actor, dealer.code)
            return _result("done", _("New parcel %(rma)s started for %(d)s: scan its units.",
                                     rma=new.rma_number, d=dealer.name), parcel=new, context=new.rma_number,
                           label_rma=new.rma_number)
        except InvalidTransition as err:
            unit = service.find_unit_by_serial(code)
            if unit is not None and service.is_repeat(actor, unit, MODE_ACTIONS[mode]):
                return _result("already_done", _("Already received."), unit=unit)
            raise _wrong_state(err, unit, mode) if unit is not None else err
        extra = "" if card.declared else " " + _("Not on the declared list: dealer task opened.")
        return _result("done", _("Received.") + extra, unit=card)

    unit = service.find_unit_by_serial(code)
    if unit is None and mode == "ship":
        unit = db.session.scalar(select(RepairUnit).where(RepairUnit.replacement_serial == normalise_serial(code))
                                 .order_by(RepairUnit.id.desc()).limit(1))
    if unit is None:
        raise NotFound(_("Unknown code %(c)s: not a serial, RMA or mode barcode.", c=code))
    try:
        if mode == "inspect":
            flags = set(findings or ())
            unknown = flags - set(service.FINDINGS)
            if unknown:
                raise ValidationFailed(_("Unknown finding."), errors={"findings": sorted(unknown)})
            service.inspect_unit(actor, unit, human_damage="human_damage" in flags, no_stock="no_stock" in flags,
                                 out_of_warranty="out_of_warranty" in flags)
            msg = _("Accepted.") if unit.state == st.INSPECTED else _("Held for the dealer: task opened.")
            if unit.quote_amount is not None:
                msg += " " + _("Quote %(a)s RMB.", a=unit.quote_amount)
            return _result("done", msg, unit=unit)
        if mode == "to_factory":
            return _packed(actor, unit, mode)
        if mode == "from_factory":
            outcome = outcome or "repaired"
            if outcome == "replaced" and not replacement_serial:
                if unit.state != st.AT_FACTORY:
                    raise service._invalid(unit, "factory_replaced")
                return _result("needs_input", _("Now scan the replacement unit's serial."), unit=unit,
                               needs="replacement_serial")
            if scrap and not service.can_scrap(unit):
                # A scan cannot say who agreed: the consent must already be on record, never assumed here.
                try:
                    service.ensure_can_scrap(unit)
                except ValidationFailed as err:
                    err.extra["unit"] = unit_view(unit)  # the screen shows which unit stays unscrapped
                    raise
            service.receive_from_factory(actor, unit, outcome, replacement_serial=replacement_serial, scrap=scrap)
            return _result("done", _("Back from the factory: %(o)s.", o=outcome), unit=unit)
        return _packed(actor, unit, mode)
    except InvalidTransition as err:
        if service.is_repeat(actor, unit, MODE_ACTIONS[mode]):
            return _result("already_done", _("Already done."), unit=unit)
        raise _wrong_state(err, unit, mode) from None
