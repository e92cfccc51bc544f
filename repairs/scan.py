"""The scan station's one step: a scanned code in a mode does that mode's step.

Mode barcodes (``MODE-RECEIVE`` ...) and finding / outcome barcodes are
handled by the page; the server gets the mode, the code and the pending
options, performs one service call and answers what the clerk needs to see.
A scan of a unit already where this mode's step put it (a double trigger, or
a re-check an hour later, by anyone) is answered "already done" and changes
nothing.

Every answer carries ``level`` (how the page shows it: success, warning,
error, done, input), ``code`` (as scanned) and a ``message`` naming that code;
error bodies carry ``level`` and ``scanned_code``. The fields are described on
:class:`repairs.schemas.RepairScanResultSchema`.
"""
from __future__ import annotations

import functools

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, null, select, union_all

from core import scan_modes
from core.calendar import SHANGHAI, local_today
from core.codes import normalise_serial
from core.direct import DirectStatement
from core.directory.models import Dealer
from core.errors import Conflict, DomainError, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.queries import inline_states
from repairs import boxes, code_shapes, factory, inspection, receiving, service
from repairs import states as st
from repairs.card import UnitCard
from repairs.models import RepairUnit, ReturnParcel

# The station's own modes; other processes add theirs (DOA receive) through core.scan_modes.
OWN_MODES = ("receive", "inspect", "to_factory", "from_factory", "ship")
MODES = scan_modes.ModeNames(OWN_MODES)
MODE_ACTIONS = {
    "receive": {"receive"},
    "inspect": {"inspect_ok", "inspect_problem"},
    "to_factory": {"dispatch"},
    "from_factory": {"factory_repaired", "factory_replaced", "factory_unrepairable", "factory_scrapped"},
    "ship": {"ship"},
}
# Which mode performs an allowed next action: used to tell the clerk where to go.
ACTION_MODE = {a: m for m, acts in MODE_ACTIONS.items() for a in acts}
MODE_LABELS = {
    "receive": _l("Receive"), "inspect": _l("Inspect"), "to_factory": _l("To factory"),
    "from_factory": _l("From factory"), "ship": _l("Ship to dealer"),
}
FINDING_LABELS = {"human_damage": _l("human damage (人为损坏)"), "no_stock": _l("model no longer stocked (已无库存)"),
                  "out_of_warranty": _l("out of warranty")}

# How the page shows an answer: green, amber, red, blue (already done), or asking for more.
SUCCESS, WARNING, ERROR, DONE, INPUT = "success", "warning", "error", "done", "input"
LEVELS = (SUCCESS, WARNING, ERROR, DONE, INPUT)
_STATUS_LEVEL = {"done": SUCCESS, "context": SUCCESS, "already_done": DONE, "needs_input": INPUT,
                 "refused": ERROR, "not_approved": ERROR}


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


# Serials still expected listed in an answer; ``expected`` and ``scanned`` say how many in all.
EXPECTED_SHOWN = 50


def parcel_view(parcel) -> dict:
    """The parcel's progress as the station shows it: "12 of 20 scanned" and the serials still expected.

    ``parcel`` is the parcel or its id. ``expected`` counts the units on the
    list (for a parcel started without a list, what was scanned into it),
    ``scanned`` those of them that arrived, ``expected_serials`` the first
    ``EXPECTED_SHOWN`` still awaited, ``extra`` the units that arrived without
    being on the list. Counted by the database (a parcel has up to 500 units,
    and this is on every receive scan), fresh: the receive step writes units
    without loading the parcel.
    """
    parcel_id = parcel if isinstance(parcel, int) else parcel.id
    db.session.flush()
    connection = db.session.connection()
    rows = _progress().execute(connection, {"parcel_id": parcel_id}).all()
    groups = [row for row in rows if row.serial is None]
    expected = [row.serial for row in rows if row.serial is not None]
    head = groups[0]
    counts: dict[str, int] = {}
    listed = scanned = received = extra = 0
    for row in groups:
        if row.state is None:  # a parcel without units yet
            continue
        counts[row.state] = counts.get(row.state, 0) + row.n
        received += row.n if row.arrived else 0
        if row.declared:
            listed += row.n
            scanned += row.n if row.arrived else 0
        else:
            extra += row.n
    return {"id": parcel_id, "rma_number": head.rma_number, "dealer": head.dealer or "",
            "declared": listed, "received": received, "scanned": scanned, "expected": listed,
            "expected_serials": expected, "extra": extra,
            "progress": _("%(n)s of %(m)s scanned", n=scanned, m=listed),
            "receipt_complete": head.receipt_completed_at is not None, "states": counts,
            "state_labels": {state: st.state_label(state) for state in counts}}


@functools.cache
def _progress():
    # One round trip (this runs on every receive scan): the parcel with its dealer and its units
    # counted by state, listed or not, arrived or not (rows without a serial), then the first
    # serials still expected, in list order (rows with one).
    p, d, u = ReturnParcel.__table__, Dealer.__table__, RepairUnit.__table__
    arrived = u.c.received_at.is_not(None)
    counts = (select(p.c.rma_number, p.c.receipt_completed_at, d.c.name.label("dealer"), u.c.state, u.c.declared,
                     arrived.label("arrived"), func.count(u.c.id).label("n"), null().label("serial"),
                     literal(0).label("line_no"), literal(0).label("unit_id"))
              .select_from(p.outerjoin(d, d.c.id == p.c.dealer_id).outerjoin(u, u.c.parcel_id == p.c.id))
              .where(p.c.id == bindparam("parcel_id"))
              .group_by(p.c.rma_number, p.c.receipt_completed_at, d.c.name, u.c.state, u.c.declared, arrived))
    waiting = (select(u.c.serial, u.c.line_no, u.c.id)
               .where(u.c.parcel_id == bindparam("parcel_id"), u.c.state == st.DECLARED)
               .order_by(u.c.line_no, u.c.id).limit(EXPECTED_SHOWN).subquery())
    expected = select(null(), null(), null(), null(), null(), null(), null(), waiting.c.serial, waiting.c.line_no,
                      waiting.c.id)
    both = union_all(counts, expected).subquery()
    return DirectStatement(select(both).order_by(both.c.line_no, both.c.unit_id))


def _result(status: str, message: str, *, unit=None, parcel=None, level: str | None = None, **extra) -> dict:
    out = {"ok": True, "status": status, "level": level or _STATUS_LEVEL.get(status, SUCCESS), "message": message,
           "unit": unit_view(unit) if unit is not None else None,
           "parcel": parcel_view(parcel) if parcel is not None else None}
    out.update(extra)
    return out


def _modes_in_words(modes) -> str:
    return ", ".join(str(MODE_LABELS.get(m, m)) for m in modes)


def _already_done(unit, event) -> dict:
    """The answer to a repeat scan, in words: where the unit is, who put it there and when."""
    when = event.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return _result("already_done", _("%(s)s: already %(state)s (%(who)s, %(when)s); nothing changed.",
                                     s=unit.serial, state=st.state_label(unit.state), who=event.actor_name,
                                     when=when), unit=unit)


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
    err.extra["mode_labels"] = [str(MODE_LABELS[m]) for m in modes]
    if modes and mode not in modes:
        err.code = "wrong_mode"
        err.message += " " + _("Scan it in: %(modes)s.", modes=_modes_in_words(modes))
    return err


def _named(code: str, message: str) -> str:
    """The message as the clerk reads it in a log of many scans: it names the code it is about."""
    if not code or code.upper() in (message or "").upper():
        return message
    return f"{code}: {message}"


def scan(actor, *, mode: str, code: str, parcel: str | None = None, findings=(), outcome: str | None = None,
         replacement_serial: str | None = None, scrap: bool = False, confirm_missing: bool = False) -> dict:
    """Perform the step of ``mode`` for the scanned ``code``; see the module docstring.

    ``confirm_missing`` completes a parcel's receipt (its RMA label scanned
    again) although units are still expected: they become missing.
    """
    scanned = (code or "").strip()[:64]
    try:
        answer = _scan(actor, mode=mode, code=code, parcel=parcel, findings=findings, outcome=outcome,
                       replacement_serial=replacement_serial, scrap=scrap, confirm_missing=confirm_missing)
    except DomainError as err:
        err.extra.setdefault("level", ERROR)
        err.extra["scanned_code"] = scanned
        err.message = _named(scanned, err.message)
        raise
    if answer.get("level") not in LEVELS:
        answer["level"] = _STATUS_LEVEL.get(answer.get("status"), SUCCESS)
    answer["code"] = scanned
    answer["scanned_code"] = scanned
    answer["message"] = _named(scanned, answer.get("message") or "")
    return answer


def _scan(actor, *, mode: str, code: str, parcel: str | None, findings, outcome: str | None,
          replacement_serial: str | None, scrap: bool, confirm_missing: bool) -> dict:
    if mode not in MODES:
        raise ValidationFailed(_("Unknown scan mode."), errors={"mode": [_("One of: %(m)s.", m=", ".join(MODES))]})
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed(_("Nothing readable was scanned."), errors={"code": [_("Empty or too long.")]})
    if (other_process := scan_modes.scan_mode(mode)) is not None:
        # A mode another process registered (DOA receive: apply first, ship after, DOMAIN.md B); it decides.
        return other_process.handler(actor, code, parcel, findings)
    context = service.parcel_by_rma(parcel) if parcel else None

    if code_shapes.RMA_NUMBER.fullmatch(code.upper()):
        found = service.parcel_by_rma(code)
        if mode != "receive":
            return _result("context", _("Parcel %(rma)s.", rma=found.rma_number), parcel=found)
        if found.receipt_completed_at is not None:
            return _result("context", _("Receipt of %(rma)s is already complete.", rma=found.rma_number),
                           level=DONE, parcel=found, context=None)
        if context is not None and context.id == found.id:
            return _complete_receipt(actor, found, confirm_missing)
        receiving.mark_parcel_arrived(actor, found)
        view = parcel_view(found)
        return _result("context", _("Parcel %(rma)s (%(progress)s): scan its units; scan the RMA label again when "
                                    "done.", rma=found.rma_number, progress=view["progress"]),
                       parcel=found, context=found.rma_number)

    if mode == "receive":
        try:
            card = receiving.receive_card(actor, code, context)
        except ValidationFailed as err:
            if err.code != receiving.DEALER_CODE:
                raise
            # A dealer's code starts a parcel that came without a list, even while another parcel is open.
            new = receiving.start_parcel_at_arrival(actor, err.extra["dealer_code"])
            return _result("done", _("New parcel %(rma)s started for %(d)s: scan its units.",
                                     rma=new.rma_number, d=new.dealer.name), parcel=new, context=new.rma_number,
                           label_rma=new.rma_number)
        except InvalidTransition as err:
            unit = _unit_for(code, context)
            if unit is not None and (event := service.is_repeat(unit, MODE_ACTIONS[mode])) is not None:
                return _already_done(unit, event)
            raise _wrong_state(err, unit, mode) if unit is not None else err
        return _received(card)

    unit = _unit_for(code, context)
    if unit is None and mode == "ship":
        unit = db.session.scalar(select(RepairUnit).where(RepairUnit.replacement_serial == normalise_serial(code))
                                 .order_by(RepairUnit.id.desc()).limit(1))
    if unit is None:
        code_shapes.ensure_serial(code)  # a product barcode or waybill is named as such
        raise NotFound(_("Unknown code %(c)s: not a serial, RMA or mode barcode.", c=code))
    try:
        if mode == "inspect":
            flags = set(findings or ())
            unknown = flags - set(service.FINDINGS)
            if unknown:
                raise ValidationFailed(_("Unknown finding."), errors={"findings": sorted(unknown)})
            inspection.inspect_unit(actor, unit, human_damage="human_damage" in flags, no_stock="no_stock" in flags,
                                 out_of_warranty="out_of_warranty" in flags)
            if unit.state == st.INSPECTED:
                msg, level = _("%(s)s accepted.", s=unit.serial), SUCCESS
            else:
                found = ", ".join(str(FINDING_LABELS[f]) for f in service.FINDINGS if f in flags)
                msg = _("%(s)s held for the dealer (%(f)s): dealer task opened.", s=unit.serial, f=found)
                level = WARNING
            if unit.quote_amount is not None:
                msg += " " + _("Quote %(a)s RMB.", a=unit.quote_amount)
            return _result("done", msg, unit=unit, level=level)
        if mode == "to_factory":
            return _packed(actor, unit, mode)
        if mode == "from_factory":
            outcome = outcome or "repaired"
            if outcome == "replaced" and not replacement_serial:
                if unit.state != st.AT_FACTORY:
                    raise service._invalid(unit, "factory_replaced")
                return _result("needs_input", _("%(s)s: now scan the replacement unit's serial.", s=unit.serial),
                               unit=unit, needs="replacement_serial")
            if replacement_serial:
                code_shapes.ensure_serial(replacement_serial, unit.model)
            if scrap and not factory.can_scrap(unit):
                # A scan cannot say who agreed: the consent must already be on record, never assumed here.
                try:
                    factory.ensure_can_scrap(unit)
                except ValidationFailed as err:
                    err.extra["unit"] = unit_view(unit)  # the screen shows which unit stays unscrapped
                    raise
            factory.receive_from_factory(actor, unit, outcome, replacement_serial=replacement_serial, scrap=scrap)
            step = "factory_scrapped" if scrap else f"factory_{outcome}"
            return _result("done", _("%(s)s: %(step)s.", s=unit.serial, step=st.ACTION_LABELS[step]), unit=unit)
        return _packed(actor, unit, mode)
    except InvalidTransition as err:
        event = service.is_repeat(unit, MODE_ACTIONS[mode])
        if event is not None:
            return _already_done(unit, event)
        raise _wrong_state(err, unit, mode) from None


def _unit_for(code: str, context) -> RepairUnit | None:
    """The unit a scanned serial means: the one still open on the parcel in hand, else the one still open.

    Two open records of one serial are never resolved silently: without the
    parcel's RMA label to choose, the scan is refused with a link to the other.
    """
    serial = normalise_serial(code)
    if not serial:
        return None
    open_units = list(db.session.scalars(
        select(RepairUnit).where(RepairUnit.serial == serial, RepairUnit.state.not_in(inline_states(st.TERMINAL)))
        .order_by(RepairUnit.id.desc()).limit(5)))
    if context is not None:
        for unit in open_units:
            if unit.parcel_id == context.id:
                return unit
    if len(open_units) > 1:
        other = service.open_elsewhere([serial], unit_id=open_units[0].id, others=False)[serial]
        raise Conflict(_("%(s)s is open on two parcels: %(a)s (%(sa)s) and %(b)s (%(sb)s). Scan the parcel's RMA "
                         "label first.", s=serial, a=open_units[0].parcel.rma_number,
                         sa=st.state_label(open_units[0].state), b=other["rma_number"], sb=other["state_label"]),
                       code=service.OPEN_ELSEWHERE, open_elsewhere=other, serial=serial)
    if open_units:
        return open_units[0]
    return service.find_unit_by_serial(serial)


def _received(card: UnitCard) -> dict:
    """The receive step's answer: the unit, the parcel's progress, and what needs the desk's attention."""
    view = parcel_view(card.parcel_id)
    extra = {}
    if not card.declared:
        msg = _("%(s)s is not on the declared list of %(rma)s: received as an extra unit; dealer task opened.",
                s=card.serial, rma=card.rma_number)
        level = WARNING
    else:
        msg = _("%(s)s received into %(rma)s (%(progress)s).", s=card.serial, rma=card.rma_number,
                progress=view["progress"])
        level = SUCCESS
    if card.elsewhere is not None:
        msg += " " + service.open_elsewhere_message(card.elsewhere) + " " + _("Tell the desk: it stays expected "
                                                                              "there.")
        level = WARNING
        extra["open_elsewhere"] = card.elsewhere
    out = _result("done", msg, unit=card, level=level, **extra)
    out["parcel"] = view
    return out


def _complete_receipt(actor, parcel: ReturnParcel, confirm_missing: bool) -> dict:
    """The RMA label scanned again: complete the receipt, asking first while units are still expected."""
    expected = receiving.expected_serials(parcel)
    if expected and not confirm_missing:
        shown = ", ".join(expected[:20]) + (" …" if len(expected) > 20 else "")
        return _result("needs_input", _("%(rma)s: %(n)s unit(s) still expected: %(serials)s. Scan them, or scan the "
                                        "RMA label again to confirm the receipt: they become missing, each with a "
                                        "dealer task.", rma=parcel.rma_number, n=len(expected), serials=shown),
                       parcel=parcel, context=parcel.rma_number, needs=receiving.CONFIRM_MISSING,
                       expected_serials=expected)
    receiving.complete_receipt(actor, parcel, confirm_missing=True)
    msg = _("Receipt of %(rma)s complete.", rma=parcel.rma_number)
    if expected:
        msg += " " + _("%(n)s declared unit(s) missing (%(serials)s): dealer task opened.", n=len(expected),
                       serials=", ".join(expected[:20]) + (" …" if len(expected) > 20 else ""))
    return _result("done", msg, parcel=parcel, context=None, level=WARNING if expected else SUCCESS,
                   missing_serials=expected)
