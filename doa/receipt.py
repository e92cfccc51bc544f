"""Receiving DOA units (B.2, B.3): arrival, holds for units that came without approval, and
the scan station's DOA receive mode.

Other packages call :func:`scan_doa_arrival` and, through :mod:`core.scan_modes`,
:func:`scan_station_mode`.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from core import handover
from core.calendar import add_working_days, local_day
from core.codes import normalise_serial
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from core.i18n import N_, message, message_list
from core.types import utcnow
from doa import states as st
from doa.applications import MAX_UNITS
from doa.lookup import application_by_number, application_view, get_application
from doa.models import DoaApplication, DoaHold, DoaUnit
from doa.service import (
    NUMBER_RE,
    REPLACEMENT_DAYS,
    SERIAL_RE,
    _claim,
    _dealer,
    _event,
    _invalid,
    _money,
    _open_task,
    _transition,
    _who,
    ensure_access,
    require_role,
    row_by_id,
    serialise_on,
    visible_office,
)
from shipments import receiving
from shipments import service as shipments

HOLD_REASONS = {"not_approved", "refused", "closed", "no_application"}


def _hold_reason(app: DoaApplication | None) -> str:
    if app is None:
        return "no_application"
    if app.state in st.PENDING_APPROVAL:
        return "not_approved"
    if app.state == st.REFUSED:
        return "refused"
    return "closed"


def _latest_application_with(serial: str) -> DoaApplication | None:
    """The application a serial belongs to now: an open one first, else the newest."""
    rows = list(db.session.scalars(
        select(DoaApplication).join(DoaUnit, DoaUnit.application_id == DoaApplication.id)
        .where(DoaUnit.serial == serial, DoaUnit.declared.is_(True)).order_by(DoaApplication.id.desc()).limit(20)
    ))
    for app in rows:
        if app.state not in st.FINISHED:
            return app
    return rows[0] if rows else None


def hold_unit(actor, serial: str, *, app: DoaApplication | None = None, dealer_code: str | None = None,
              model: str = "", at: datetime | None = None) -> DoaHold:
    """Record a unit that arrived as DOA without an approved application.

    It is NOT accepted as a DOA (先申请后发货): it is kept as a hold with a
    same-day dealer-contact task, for the clerk to turn into an ordinary
    repair or set aside. The same serial scanned again returns the open hold.
    """
    return _hold_unit(actor, serial, app=app, dealer_code=dealer_code, model=model, at=at)[0]


def _hold_unit(actor, serial: str, *, app: DoaApplication | None, dealer_code: str | None, model: str,
               at: datetime | None) -> tuple[DoaHold, bool]:
    """:func:`hold_unit`, and whether the unit was held already."""
    require_role(actor, *st.HANDS)
    serial = normalise_serial(serial)
    if not SERIAL_RE.match(serial):
        raise ValidationFailed(_("%(s)s is not a valid serial.", s=serial[:64] or "—"),
                               errors={"serial": [_("Not a valid serial.")]})
    dealer = None
    if app is not None:
        dealer = app.dealer
    elif dealer_code:
        dealer = _dealer(dealer_code=dealer_code)
    serialise_on(f"doa-hold:{serial}")
    # Read after the lock: the same unit scanned twice at once is held once.
    existing = db.session.scalar(select(DoaHold).where(DoaHold.serial == serial, DoaHold.status == "held")
                                 .order_by(DoaHold.id.desc()).limit(1).execution_options(populate_existing=True))
    if existing is not None:
        ensure_access(actor, existing.office_id)
        return existing, True
    office_id = dealer.office_id if dealer else None
    ensure_access(actor, office_id)
    now = at or utcnow()
    unit_model = model or next((u.model for u in (app.units if app else []) if u.serial == serial), "")
    reason = _hold_reason(app)
    hold = DoaHold(serial=serial, model=(unit_model or "")[:80], application_id=app.id if app else None,
                   dealer_id=dealer.id if dealer else None, office_id=office_id, reason=reason, status="held",
                   arrived_at=now, arrived_by=_who(actor)[1])
    db.session.add(hold)
    db.session.flush()
    if app is not None:
        _event(actor, app.id, "arrived_unapproved", app.state, app.state, at=now,
               note=_("Unit %(s)s arrived before approval: not accepted as DOA.", s=serial),
               data={"hold": hold.id, "serial": serial})
    who = app.number if app else (dealer.name if dealer else message(N_("an unknown dealer")))
    # Message ids, not words: the task is read later, in the reader's language.
    detail = {
        "not_approved": message(N_("Unit %(s)s (%(w)s) arrived before the DOA was approved: not accepted as DOA. "
                                   "Tell the dealer: apply first, ship after."), s=serial, w=who),
        "refused": message(N_("Unit %(s)s (%(w)s) arrived although the DOA was refused: not accepted as DOA."),
                           s=serial, w=who),
        "closed": message(N_("Unit %(s)s (%(w)s) arrived for a closed DOA application: not accepted as DOA."),
                          s=serial, w=who),
        "no_application": message(N_("Unit %(s)s arrived as DOA without any application: not accepted as DOA; "
                                     "find the dealer."), s=serial),
    }[reason]
    _open_task(app, "unapproved_arrival", detail, hold=hold, dealer_id=dealer.id if dealer else None,
               office_id=office_id, at=now)
    return hold, False


def get_hold(actor, hold_id: int) -> DoaHold:
    """The held unit ``hold_id`` if ``actor`` may see it."""
    hold = row_by_id(DoaHold, hold_id)
    if hold is None:
        raise NotFound(_("No such held unit."))
    ensure_access(actor, hold.office_id)
    return hold


# Oldest arrival first, then the id (both NOT NULL): the order of the list before it had cursors.
# doa_hold's indexes (status, arrived_at, id) and (office_id, status, arrived_at, id) make a page
# of one status (and of an office's own held units) one range read.
HOLD_KEYS = (Key(DoaHold.arrived_at, "datetime"), Key(DoaHold.id, "int"))
HOLDS_PER_PAGE = 50


def holds_page(actor, *, status: str | None = "held", after=None, per_page=HOLDS_PER_PAGE) -> KeysetPage:
    """One page of :func:`holds` (oldest arrival first) after the cursor ``after`` (a forged one is a 422)."""
    return keyset(holds(actor, status=status), HOLD_KEYS, after, per_page, default_per_page=HOLDS_PER_PAGE)


def holds(actor, *, status: str | None = "held"):
    """Select statement of held units ``actor`` may see, oldest first."""
    stmt = select(DoaHold).order_by(DoaHold.arrived_at, DoaHold.id)
    if status:
        stmt = stmt.where(DoaHold.status == status)
    limit = visible_office(actor)
    if limit is not None:
        stmt = stmt.where(DoaHold.office_id == limit)
    return stmt


def _claim_hold(hold: DoaHold, status: str, now, actor, **values) -> None:
    """Move a held unit once (guarded UPDATE); a second decision is a 409."""
    table = DoaHold.__table__
    result = db.session.execute(update(table).where(table.c.id == hold.id, table.c.status == "held").values(
        status=status, decided_at=now, decided_by=_who(actor)[1], **values))
    if result.rowcount != 1:
        db.session.refresh(hold)
        raise InvalidTransition(_("Unit %(s)s was already decided (%(st)s).", s=hold.serial, st=hold.status),
                                current=hold.status, allowed=[])
    db.session.refresh(hold)


def _lock_held(hold: DoaHold) -> None:
    """Lock a hold still "held" before deciding it (a second decision at once is a 409)."""
    db.session.flush()
    table = DoaHold.__table__
    result = db.session.execute(update(table).where(table.c.id == hold.id, table.c.status == "held")
                                .values(status=table.c.status))
    if result.rowcount != 1:
        db.session.refresh(hold)
        raise InvalidTransition(_("Unit %(s)s was already decided (%(st)s).", s=hold.serial, st=hold.status),
                                current=hold.status, allowed=[])


def convert_hold_to_repair(actor, hold: DoaHold, *, dealer_code: str | None = None, model: str | None = None,
                           fault: str = "", at: datetime | None = None):
    """Turn a held unit into an ordinary repair: an RMA parcel with the unit received.

    Hands the unit to the repair process (:mod:`core.handover`), so from here the unit follows the repair process
    (inspection, factory, 7-working-day promise). Returns the parcel.
    """
    require_role(actor, *st.HANDS)
    ensure_access(actor, hold.office_id)
    _lock_held(hold)
    dealer = hold.dealer if hold.dealer is not None else (_dealer(dealer_code=dealer_code) if dealer_code else None)
    if dealer is None:
        raise ValidationFailed(_("Name the dealer who sent the unit."), errors={"dealer_code": [_("Required.")]})
    ensure_access(actor, dealer.office_id)
    model = (model or hold.model or "").strip()
    if not model:
        raise ValidationFailed(_("Give the unit's model."), errors={"model": [_("Required.")]})
    now = at or utcnow()
    note = _("From DOA hold: arrived without an approved DOA application.")
    if hold.application is not None:
        note = _("From %(n)s: arrived without DOA approval.", n=hold.application.number)
    parcel = handover.start_repair(actor, dealer_id=dealer.id, serial=hold.serial, model=model,
                                   fault=(fault or "").strip()[:300] or (hold.application.fault[:300]
                                                                          if hold.application else ""),
                                   note=note, source="doa", at=now)
    _claim_hold(hold, "repair", now, actor, parcel_id=parcel.id, dealer_id=dealer.id, office_id=dealer.office_id,
                model=model[:80])
    if hold.application_id is not None:
        _event(actor, hold.application_id, "hold_to_repair", note=parcel.rma_number, at=now,
               data={"hold": hold.id, "serial": hold.serial, "rma": parcel.rma_number})
    return parcel


def set_hold_aside(actor, hold: DoaHold, note: str) -> DoaHold:
    """Keep a held unit aside (e.g. to send back or until the dealer applies); a note says why."""
    require_role(actor, *st.HANDS)
    ensure_access(actor, hold.office_id)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Say why and where the unit is set aside."), errors={"note": [_("Required.")]})
    now = utcnow()
    _claim_hold(hold, "set_aside", now, actor, note=note[:500])
    if hold.application_id is not None:
        _event(actor, hold.application_id, "hold_set_aside", note=note, at=now,
               data={"hold": hold.id, "serial": hold.serial})
    return hold


def mark_arrived(actor, app: DoaApplication, serial: str, *, human_damage: bool = False,
                 at: datetime | None = None) -> tuple[DoaUnit, bool]:
    """Scan one unit of an approved application in (before the receipt is completed).

    An undeclared serial becomes an extra unit (a mismatch at completion).
    Returns the unit and whether it was already scanned.
    """
    require_role(actor, *st.HANDS)
    ensure_access(actor, app.office_id)
    if app.state != st.APPROVED:
        raise _invalid(app, "receive_ok")
    serial = normalise_serial(serial)
    if not SERIAL_RE.match(serial):
        raise ValidationFailed(_("%(s)s is not a valid serial.", s=serial[:64] or "—"),
                               errors={"serial": [_("Not a valid serial.")]})
    now = at or utcnow()
    # Scans of one application's units are applied one at a time: the same unit scanned
    # twice at once arrives once (the second sees it arrived).
    _claim(app, "receive_ok")
    unit = db.session.scalar(select(DoaUnit).where(DoaUnit.application_id == app.id, DoaUnit.serial == serial)
                             .execution_options(populate_existing=True))
    if unit is not None and unit.arrived_at is not None:
        if human_damage and not unit.human_damage:
            unit.human_damage = True
            _event(actor, app.id, "human_damage", unit_id=unit.id, at=now, data={"serial": serial})
            db.session.flush()
        return unit, True
    if unit is None:
        if len(app.units) >= MAX_UNITS:
            raise ValidationFailed(_("Too many units."), errors={"serial": [_("At most %(n)s.", n=MAX_UNITS)]})
        unit = DoaUnit(application_id=app.id, line_no=max((u.line_no for u in app.units), default=0) + 1,
                       serial=serial, model="", declared=False)
        db.session.add(unit)
        db.session.flush()
        app.units.append(unit)
    unit.arrived_at = now
    unit.human_damage = bool(human_damage)
    db.session.flush()
    _event(actor, app.id, "unit_arrived", unit_id=unit.id, at=now,
           data={"serial": serial, "declared": unit.declared, "human_damage": unit.human_damage})
    return unit, False


def complete_receipt(actor, app: DoaApplication, *, waybill: str | None = None, carrier: str = "",
                     freight_cost=None, note: str = "", at: datetime | None = None) -> DoaApplication:
    """Check what arrived against the application (B.2) and record the inbound freight (B.3).

    Missing or extra units and human damage hold the receipt with a same-day
    dealer task. The inbound leg is a dealer_hq shipment paid by the sales
    account, received with the scanned serials. For a replacement the 7
    working days run from this receipt.
    """
    require_role(actor, *st.HANDS)
    ensure_access(actor, app.office_id)
    if app.state != st.APPROVED:
        raise _invalid(app, "receive_ok")
    cost = _money(freight_cost, "freight_cost")
    _claim(app, "receive_ok")
    arrived = [u for u in app.units if u.arrived_at is not None]
    if not arrived:
        raise ValidationFailed(_("Scan the units that arrived first."), errors={"serials": [_("Nothing scanned.")]})
    now = at or utcnow()
    findings = []
    for unit in app.units:
        if unit.declared and unit.arrived_at is None:
            findings.append({"kind": "missing", "serial": unit.serial, "model": unit.model})
        elif not unit.declared:
            findings.append({"kind": "extra", "serial": unit.serial})
        if unit.arrived_at is not None and unit.human_damage:
            findings.append({"kind": "human_damage", "serial": unit.serial, "model": unit.model})
    shipment = shipments.create_shipment(
        actor, leg="dealer_hq", paying_account="sales", dealer_id=app.dealer_id, waybill=waybill or None,
        carrier=carrier or None, freight_cost=cost,
        lines=[{"kind": "unit", "serial": u.serial, "model": u.model, "ref_type": "doa_unit", "ref_id": u.id}
               for u in app.declared_units],
        note=_("DOA %(n)s: inbound, freight to the sales account", n=app.number),
    )
    receiving.receive_shipment(actor, shipment, [u.serial for u in arrived], note=(note or "")[:2000])
    action = "receive_problem" if findings else "receive_ok"
    values = {"received_at": now, "received_by": _who(actor)[1], "receipt_findings": findings,
              "inbound_shipment_id": shipment.id}
    if app.request == "replacement":
        values["replacement_due"] = add_working_days(local_day(now), REPLACEMENT_DAYS)
    _transition(actor, app, action, note=note, at=now, data={"findings": findings, "shipment": shipment.number},
                **values)
    if findings:
        labels = {"missing": N_("missing"), "extra": N_("not on the application"),
                  "human_damage": N_("human damage (人为损坏)")}
        detail = message_list([message_list([f["serial"], message(labels[f["kind"]])], sep=": ") for f in findings],
                              sep="; ")
        kind = "human_damage" if any(f["kind"] == "human_damage" for f in findings) else "mismatch"
        _open_task(app, kind, message(N_("%(n)s arrived not as applied: %(d)s. Talk to the dealer today."),
                                      n=app.number, d=detail), at=now)
    return app


def receive(actor, app: DoaApplication, serials, *, human_damage=(), waybill: str | None = None, carrier: str = "",
            freight_cost=None, note: str = "", at: datetime | None = None) -> dict:
    """Receive an application's parcel in one go (the receipt form and the API).

    For an approved application the scanned serials are checked and the
    receipt completed. For any other application nothing is accepted as a DOA:
    each scanned unit is recorded as held with a dealer task, so nothing is lost.
    Returns ``{"accepted": bool, "application", "holds"}``.
    """
    require_role(actor, *st.HANDS)
    ensure_access(actor, app.office_id)
    clean = []
    for raw in serials or []:
        serial = normalise_serial(raw)
        if serial and serial not in clean:
            clean.append(serial)
    if not clean:
        raise ValidationFailed(_("Scan the units that arrived."), errors={"serials": [_("Nothing scanned.")]})
    bad = [s for s in clean if not SERIAL_RE.match(s)]
    if bad:
        raise ValidationFailed(_("%(s)s is not a valid serial.", s=bad[0][:64]), errors={"serials": bad})
    damaged = {normalise_serial(s) for s in human_damage or []}
    unknown_damage = damaged - set(clean)
    if unknown_damage:
        raise ValidationFailed(_("Human damage can only be marked on a unit that arrived."),
                               errors={"human_damage": sorted(unknown_damage)})
    now = at or utcnow()
    if app.state in st.PENDING_APPROVAL or app.state in (st.REFUSED, st.CANCELLED):
        held = [hold_unit(actor, serial, app=app, at=now) for serial in clean]
        return {"accepted": False, "application": app, "holds": held,
                "message": _("%(n)s is %(s)s: not accepted as DOA. %(c)s unit(s) held with a dealer task.",
                             n=app.number, s=st.state_label(app.state), c=len(held))}
    if app.state != st.APPROVED:
        raise _invalid(app, "receive_ok")
    for serial in clean:
        mark_arrived(actor, app, serial, human_damage=serial in damaged, at=now)
    complete_receipt(actor, app, waybill=waybill, carrier=carrier, freight_cost=freight_cost, note=note, at=now)
    message = _("Received.") if app.state == st.RECEIVED else _("Received with a problem: dealer task opened.")
    return {"accepted": True, "application": app, "holds": [], "message": message}


# Scan answers that refuse the unit as a DOA (the receive station shows them as bad news).
REFUSED_SCANS = frozenset({"refused", "not_approved"})


def _scan_result(status: str, message: str, *, app=None, unit=None, hold=None, context=None, **extra) -> dict:
    out = {"ok": True, "status": status, "message": message, "context": context,
           "application": application_view(app) if app is not None else None,
           "unit": {"serial": unit.serial, "model": unit.model, "declared": unit.declared,
                    "human_damage": unit.human_damage} if unit is not None else None,
           "hold": {"id": hold.id, "serial": hold.serial, "reason": hold.reason, "status": hold.status}
           if hold is not None else None}
    out.update(extra)
    return out


def scan_doa_arrival(actor, code: str, context: str | None = None, *, human_damage: bool = False,
                     dealer_code: str | None = None, waybill: str | None = None, carrier: str = "") -> dict:
    """The scan station's DOA receive mode: one scanned code, one step.

    - a DOA number: start that application's receipt (the context); scanned
      again as the context, it completes the receipt (checked against the
      application); an application not approved is announced as such;
    - a serial of an approved application: that unit arrived;
    - a serial without an approved application: NOT accepted as a DOA; it is
      held with a same-day dealer task (convert to a repair or set aside).
    """
    require_role(actor, *st.HANDS)
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise ValidationFailed(_("Nothing readable was scanned."), errors={"code": [_("Empty or too long.")]})
    # A context that is not a DOA number (an RMA parcel left from another mode) is ignored.
    ctx = application_by_number(context) if context and NUMBER_RE.match(context.strip()) else None
    if ctx is not None:
        ensure_access(actor, ctx.office_id)
    if NUMBER_RE.match(code):
        app = get_application(actor, code)
        if ctx is not None and ctx.id == app.id and app.state == st.APPROVED and \
                any(u.arrived_at is not None for u in app.units):
            complete_receipt(actor, app, waybill=waybill, carrier=carrier)
            if app.state == st.RECEIVED:
                msg = _("Receipt of %(n)s complete.", n=app.number)
                if app.replacement_due:
                    msg += " " + _("Replacement due %(d)s.", d=app.replacement_due.isoformat())
            else:
                msg = _("%(n)s received with a problem: dealer task opened.", n=app.number)
            return _scan_result("done", msg, app=app, context=None)
        if app.state == st.APPROVED:
            return _scan_result("context", _("%(n)s: scan its units; scan the DOA label again when done.",
                                             n=app.number), app=app, context=app.number)
        if app.state in st.PENDING_APPROVAL or app.state in (st.REFUSED, st.CANCELLED):
            return _scan_result("not_approved", _("%(n)s is %(s)s: NOT accepted as DOA. Scan its units to hold them.",
                                                  n=app.number, s=st.state_label(app.state)),
                                app=app, context=app.number)
        raise _invalid(app, "receive_ok")
    serial = normalise_serial(code)
    app = ctx
    if app is None or serial not in {u.serial for u in app.units}:
        found = _latest_application_with(serial)
        if found is not None and (app is None or found.state == st.APPROVED):
            app = found
    if app is not None:
        ensure_access(actor, app.office_id)
    if app is not None and app.state == st.APPROVED:
        unit, repeat = mark_arrived(actor, app, serial, human_damage=human_damage)
        if repeat:
            return _scan_result("already_done", _("Already scanned."), app=app, unit=unit, context=app.number)
        msg = _("Arrived.") if unit.declared else _("Not on %(n)s: recorded as extra.", n=app.number)
        if unit.human_damage:
            msg += " " + _("Human damage noted.")
        return _scan_result("done", msg, app=app, unit=unit, context=app.number)
    if app is not None and app.state not in st.PENDING_APPROVAL and app.state not in (st.REFUSED, st.CANCELLED):
        unit = next((u for u in app.units if u.serial == serial), None)
        if unit is not None and unit.arrived_at is not None:
            # A unit of a case already received, scanned again: nothing to do.
            return _scan_result("already_done", _("%(n)s already received this unit.", n=app.number),
                                app=app, unit=unit, context=context)
    hold, known = _hold_unit(actor, serial, app=app, dealer_code=dealer_code, model="", at=None)
    if known:
        return _scan_result("already_done", _("Already held: not accepted as DOA."), app=app, hold=hold,
                            context=context)
    return _scan_result("refused", _("NOT accepted as DOA: no approved application. Held with a dealer task; "
                                     "turn it into a repair or set it aside."), app=app, hold=hold, context=context,
                        options=["repair", "set_aside"])


def scan_station_mode(actor, code: str, context: str | None, findings) -> dict:
    """The scan station's "DOA receive" mode (registered with :mod:`core.scan_modes`)."""
    return scan_station_view(scan_doa_arrival(actor, code, context, human_damage="human_damage" in set(findings or ())))


def scan_station_view(result: dict) -> dict:
    """A :func:`scan_doa_arrival` result in the shape the repairs scan station shows.

    The station prints ``unit`` as serial · model · number · dealer · state and
    the due date; a DOA case's number stands where a repair's RMA number would.
    """
    app = result.get("application") or {}
    unit = result.get("unit") or {}
    hold = result.get("hold") or {}
    serial = unit.get("serial") or hold.get("serial")
    shown = None
    if app or serial:
        shown = {"serial": serial, "model": unit.get("model", ""), "rma_number": app.get("number"),
                 "dealer": app.get("dealer", ""), "state_label": app.get("state_label", ""),
                 "next_due": app.get("next_due"), "overdue": app.get("overdue", False)}
    return {"ok": True, "status": result["status"], "message": result["message"], "unit": shown, "parcel": None,
            "context": result.get("context")}
