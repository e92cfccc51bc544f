"""The receive path: a unit scanned in (declared or not), a parcel started at arrival, completing a parcel's receipt."""
from __future__ import annotations

import functools
import re
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, or_, select, update

from core import authz, open_records
from core.calendar import local_day
from core.codes import normalise_serial
from core.direct import DirectStatement
from core.directory.models import Dealer, RepairRoute
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import N_, message
from core.queries import inline_states
from core.types import utcnow
from repairs import clocks, code_shapes
from repairs import states as st
from repairs.card import UnitCard
from repairs.dealer_tasks import _open_task
from repairs.intake import create_parcel
from repairs.models import RepairUnit, ReturnParcel
from repairs.service import (
    HANDS,
    _check_access,
    _event,
    _invalid,
    _refuse_open_elsewhere,
    _sync_loaded,
    default_route,
    open_elsewhere,
)

# The source of a parcel started by scanning the dealer's code: it has no declared list.
ARRIVAL_SOURCE = "arrival"
# The receive step was given a dealer's code (the scan station starts that dealer's parcel).
DEALER_CODE = "dealer_code"
# The source of a parcel made from a held DOA unit (doa.service.convert_hold_to_repair, through core.handover).
DOA_SOURCE = "doa"


def open_received_repair(actor, *, dealer_id: int, serial: str, model: str, fault: str, note: str, source: str,
                         at: datetime) -> ReturnParcel:
    """A parcel of one unit, received and its receipt complete: another process hands the unit
    over to the repair process (registered with :mod:`core.handover`)."""
    parcel = create_parcel(actor, dealer_id=dealer_id, lines=[{"serial": serial, "model": model, "fault": fault}],
                           note=note, source=source)
    receive_unit(actor, serial, parcel, at=at)
    complete_receipt(actor, parcel, at=at)
    return parcel


def start_parcel_at_arrival(actor, dealer_code: str, waybill: str | None = None) -> ReturnParcel:
    """A clerk starts a parcel that arrived without a list (scan the dealer's code)."""
    authz.require(actor, *HANDS)
    parcel = create_parcel(actor, dealer_code=dealer_code, inbound_waybill=waybill, source=ARRIVAL_SOURCE)
    parcel.arrived_at = utcnow()
    db.session.flush()
    return parcel


_MARK_ARRIVED = DirectStatement(update(ReturnParcel.__table__)
                                .where(ReturnParcel.__table__.c.id == bindparam("parcel_id"),
                                       ReturnParcel.__table__.c.arrived_at.is_(None))
                                .values(arrived_at=bindparam("arrived_at")))


def mark_parcel_arrived(actor, parcel: ReturnParcel) -> ReturnParcel:
    """Record the parcel's arrival once (its first scan); the ``arrive`` event is its history."""
    authz.require(actor, *HANDS)
    if parcel.arrived_at is None and not _mark_arrived(actor, parcel.id, utcnow()):
        db.session.refresh(parcel, ["arrived_at"])
    return parcel


def _mark_arrived(actor, parcel_id: int, now: datetime) -> bool:
    # Guarded like a transition: of two clerks scanning a parcel's first units at
    # once, one records the arrival.
    if _MARK_ARRIVED.execute(db.session.connection(), {"parcel_id": parcel_id, "arrived_at": now}).rowcount != 1:
        return False
    _sync_loaded(ReturnParcel, parcel_id, {"arrived_at": now})
    _event(actor, parcel_id, None, "arrive", at=now)
    return True


def _dispatch_days(route_id: int | None) -> int:
    """A route's dispatch days as stored now (an edit counts from the next unit on)."""
    route = db.session.get(RepairRoute, route_id) if route_id is not None else None
    return clocks.dispatch_days(route)


def _dispatch_due(unit: RepairUnit, received: datetime) -> date:
    return clocks.dispatch_due(local_day(received), _dispatch_days(unit.route_id))


@functools.cache
def _receivable_card(in_parcel: bool):
    """A declared (or missing) unit with this serial, newest first, as a card with what
    receiving needs: one plain query, built once."""
    u, p, d, r = RepairUnit.__table__, ReturnParcel.__table__, Dealer.__table__, RepairRoute.__table__
    # Whether the serial may be open on another record rides in the same row (two indexed EXISTS),
    # so the common scan needs no second round trip; :func:`open_elsewhere` then says where.
    other = RepairUnit.__table__.alias("other")
    maybe_elsewhere = or_(
        exists().where(other.c.serial == u.c.serial, other.c.id != u.c.id, other.c.state.not_in(inline_states(st.TERMINAL))),
        *[source.open_on(u.c.serial) for source in open_records.open_record_sources()])
    # The route's dispatch days come in the same row: read as stored now, so an edit counts at once.
    # Every due day rides along too: the workflow derives the unit's chase_due from them.
    stmt = (select(u.c.id, u.c.serial, u.c.model, u.c.state, u.c.declared, u.c.parcel_id, u.c.route_id,
                   u.c.dispatch_due, u.c.ship_due, u.c.factory_due, u.c.replacement_serial, u.c.quote_amount,
                   p.c.rma_number, p.c.office_id, p.c.arrived_at, p.c.source, d.c.name.label("dealer"),
                   r.c.dispatch_days, maybe_elsewhere.label("maybe_elsewhere"))
            .select_from(u.join(p, p.c.id == u.c.parcel_id).outerjoin(d, d.c.id == p.c.dealer_id)
                         .outerjoin(r, r.c.id == u.c.route_id))
            # Two plain comparisons, not IN: an IN list is expanded again on every execution.
            .where(u.c.serial == bindparam("serial"), or_(u.c.state == st.DECLARED, u.c.state == st.MISSING))
            .order_by(u.c.id.desc()).limit(1))
    return DirectStatement(stmt.where(u.c.parcel_id == bindparam("parcel_id")) if in_parcel else stmt)


def receive_unit(actor, serial: str, parcel: ReturnParcel | None = None, *, at: datetime | None = None) -> RepairUnit:
    """Take a unit in: a declared one moves to received; with ``parcel`` given, an
    undeclared serial becomes an extra unit of that parcel (and a dealer task)."""
    authz.require(actor, *HANDS)
    return db.session.get(RepairUnit, receive_card(actor, serial, parcel, at=at).id)


def receive_card(actor, serial: str, parcel: ReturnParcel | None = None, *, at: datetime | None = None) -> UnitCard:
    """:func:`receive_unit`, answered with the unit's card (the scan station's receive step)."""
    authz.require(actor, *HANDS)
    serial = normalise_serial(serial)
    now = at or utcnow()
    db.session.flush()
    params = {"serial": serial} if parcel is None else {"serial": serial, "parcel_id": parcel.id}
    row = _receivable_card(parcel is not None).execute(db.session.connection(), params).first()
    if row is None:
        return UnitCard.of(_receive_undeclared(actor, serial, parcel, now))
    _check_access(actor, row.office_id)
    # A parcel made from a DOA hold takes its unit over from that case.
    other = (open_elsewhere([serial], unit_id=row.id, others=row.source != DOA_SOURCE).get(serial)
             if row.maybe_elsewhere else None)
    # Two records of one unit: never pick one silently. A line only declared elsewhere (not
    # arrived) gives way to the parcel the clerk named; anything that has arrived does not.
    if other is not None and (other["arrived"] or parcel is None):
        raise _refuse_open_elsewhere(other, _("Scan the parcel's RMA label first, or settle the other record."))
    days = row.dispatch_days if row.dispatch_days is not None else clocks.DISPATCH_DAYS
    dispatch_due = clocks.dispatch_due(local_day(now), days)
    # Read without the ORM (the scan path): the guarded write of the core, checked here.
    if st.next_state(row.state, "receive") is None:
        raise _invalid(db.session.get(RepairUnit, row.id, populate_existing=True), "receive")
    written = st.WORKFLOW.write(actor, RepairUnit, row.id, row.state, "receive",
                                {"parcel_id": row.parcel_id, "unit_id": row.id}, at=now, source=row,
                                received_at=now, dispatch_due=dispatch_due)
    if written is None:  # another client received it first
        raise _invalid(db.session.get(RepairUnit, row.id, populate_existing=True), "receive")
    _sync_loaded(RepairUnit, row.id, written)
    if row.arrived_at is None:
        _mark_arrived(actor, row.parcel_id, now)
    return UnitCard(id=row.id, serial=row.serial, model=row.model, state=written["state"], declared=row.declared,
                    rma_number=row.rma_number, dealer=row.dealer or "", dispatch_due=dispatch_due,
                    ship_due=row.ship_due, replacement_serial=row.replacement_serial, quote_amount=row.quote_amount,
                    parcel_id=row.parcel_id, elsewhere=other)


def _receive_undeclared(actor, serial: str, parcel: ReturnParcel | None, now: datetime) -> RepairUnit:
    """No declared unit has this serial: refuse, or take it in as an extra unit of ``parcel``."""
    if parcel is not None:
        # The parcel's receipt is held open while the extra unit is added: the same serial
        # scanned twice at once becomes one unit, and a receipt completed meanwhile is seen.
        table = ReturnParcel.__table__
        held = db.session.execute(update(table).where(table.c.id == parcel.id, table.c.receipt_completed_at.is_(None))
                                  .values(receipt_completed_at=table.c.receipt_completed_at))
        if held.rowcount != 1:
            raise Conflict(_("Receipt of %(rma)s is already complete.", rma=parcel.rma_number))
    stmt = select(RepairUnit).where(RepairUnit.serial == serial)
    if parcel is not None:
        stmt = stmt.where(RepairUnit.parcel_id == parcel.id)
    existing = db.session.scalar(stmt.order_by(RepairUnit.id.desc()).limit(1).execution_options(populate_existing=True))
    if existing is not None:
        raise _invalid(existing, "receive")
    dealer = db.session.execute(select(Dealer.code, Dealer.name).where(func.upper(Dealer.code) == serial)).first()
    if dealer is not None:  # the label on a box that came without a list is never an extra unit
        raise ValidationFailed(_("%(c)s is the code of dealer %(d)s, not a serial.", c=dealer.code, d=dealer.name),
                               errors={"serial": [_("Not a serial.")]}, code=DEALER_CODE, dealer_code=dealer.code)
    if parcel is None:
        code_shapes.ensure_serial(serial)
        raise NotFound(_("Serial %(s)s is not on any declared list. Scan the parcel's RMA label first to "
                         "take it in as an extra unit.", s=serial or "—"))
    if not serial or not re.fullmatch(r"[A-Za-z0-9._/\-]{1,64}", serial):
        raise ValidationFailed(_("%(s)s is not a valid serial.", s=serial[:64] or "—"),
                               errors={"serial": [_("Not a valid serial.")]})
    # A product barcode or a waybill on the box is not an extra unit.
    code_shapes.ensure_serial(serial)
    _check_access(actor, parcel.office_id)
    if parcel.receipt_completed_at is not None:
        raise Conflict(_("Receipt of %(rma)s is already complete.", rma=parcel.rma_number))
    other = open_elsewhere([serial], parcel_id=parcel.id).get(serial)
    if other is not None:
        raise _refuse_open_elsewhere(other, _("Not taken into %(rma)s: receive it there, or settle that record "
                                              "first.", rma=parcel.rma_number))
    line_no = (db.session.scalar(select(func.max(RepairUnit.line_no)).where(RepairUnit.parcel_id == parcel.id)) or 0) + 1
    route = default_route()
    # A parcel started at arrival has no list: what is scanned into it is its contents, not extras.
    listed_at_arrival = parcel.source == ARRIVAL_SOURCE
    unit = RepairUnit(parcel_id=parcel.id, line_no=line_no, serial=serial, model="", declared=listed_at_arrival,
                      state=st.RECEIVED, route_id=route.id if route else None, received_at=now, updated_at=now)
    db.session.add(unit)
    db.session.flush()
    unit.dispatch_due = _dispatch_due(unit, now)
    if listed_at_arrival:
        _event(actor, parcel.id, unit.id, "receive", None, st.RECEIVED, note=_("listed at arrival (no list sent)"),
               at=now)
    else:
        _event(actor, parcel.id, unit.id, "receive", None, st.RECEIVED, note=_("not on the declared list"),
               data={"extra": True}, at=now)
        _open_task(parcel, unit, "extra", message(N_("Unit %(s)s arrived but is not on the dealer's list."), s=serial),
                   now)
    mark_parcel_arrived(actor, parcel)
    db.session.flush()
    return unit


CONFIRM_MISSING = "confirm_missing"


def expected_serials(parcel: ReturnParcel) -> list[str]:
    """Serials on the parcel's list that have not been scanned in yet (in list order)."""
    return list(db.session.scalars(
        select(RepairUnit.serial).where(RepairUnit.parcel_id == parcel.id, RepairUnit.state == st.DECLARED)
        .order_by(RepairUnit.line_no, RepairUnit.id)))


def ensure_receipt_confirmed(parcel: ReturnParcel, confirm_missing: bool) -> None:
    """Refuse (409, nothing changed) to close a receipt that would mark units missing unasked.

    With units still expected, or a parcel that never arrived, the clerk must
    say so (``confirm_missing``); the answer lists the serials still expected.
    """
    if confirm_missing:
        return
    expected = expected_serials(parcel)
    if not expected and parcel.arrived_at is not None:
        return
    if parcel.arrived_at is None:
        message = _("%(rma)s has not arrived: nothing of it was scanned. Completing its receipt marks all "
                    "%(n)s declared unit(s) missing and opens a dealer task for each; confirm to do so.",
                    rma=parcel.rma_number, n=len(expected))
    else:
        message = _("%(rma)s: %(n)s unit(s) still expected (%(serials)s). Completing the receipt marks them "
                    "missing and opens a dealer task for each; confirm to do so.", rma=parcel.rma_number,
                    n=len(expected), serials=", ".join(expected[:20]) + (" …" if len(expected) > 20 else ""))
    raise Conflict(message, code=CONFIRM_MISSING, rma_number=parcel.rma_number, expected=len(expected),
                   expected_serials=expected, arrived=parcel.arrived_at is not None)


def complete_receipt(actor, parcel: ReturnParcel, *, confirm_missing: bool = True,
                     at: datetime | None = None) -> ReturnParcel:
    """Close the receipt: declared units that did not arrive become missing, each with a task.

    The clerk's paths (page, API, scan station) pass the clerk's own
    ``confirm_missing``: without it, units still expected or a parcel not
    arrived are a 409 listing them (:func:`ensure_receipt_confirmed`). Callers
    that close a receipt as part of their own step (a DOA hold turned into a
    repair, the demo) keep the default.
    """
    authz.require(actor, *HANDS)
    _check_access(actor, parcel.office_id)
    if parcel.receipt_completed_at is not None:
        raise Conflict(_("Receipt of %(rma)s is already complete.", rma=parcel.rma_number))
    ensure_receipt_confirmed(parcel, confirm_missing)
    now = at or utcnow()
    db.session.flush()
    # Claimed first with a guarded no-op UPDATE (the row lock): of two clerks closing the
    # receipt at once, the second finds it closed and nothing (missing units, tasks, event)
    # is written twice. The values are then set on the model, so the audit trail has them.
    table = ReturnParcel.__table__
    claimed = db.session.execute(
        update(table).where(table.c.id == parcel.id, table.c.receipt_completed_at.is_(None))
        .values(receipt_completed_at=table.c.receipt_completed_at)
    )
    if claimed.rowcount != 1:
        db.session.refresh(parcel)
        raise Conflict(_("Receipt of %(rma)s is already complete.", rma=parcel.rma_number))
    db.session.refresh(parcel, ["arrived_at"])
    for unit in list(parcel.units):
        if unit.state == st.DECLARED:
            st.WORKFLOW.apply(actor, unit, "mark_missing", at=now)
            _open_task(parcel, unit, "missing",
                       message(N_("Unit %(s)s (%(m)s) is on the dealer's list but not in the parcel."),
                               s=unit.serial, m=unit.model), now)
    parcel.receipt_completed_at = now
    if parcel.arrived_at is None:
        parcel.arrived_at = now
    _event(actor, parcel.id, None, "complete_receipt", at=now)
    db.session.flush()
    return parcel
