"""Repair rules: parcels, intake inspection, dealer tasks, factory legs, lookups.

Every state change goes through ``repairs.states.WORKFLOW.apply`` (the workflow core,
:mod:`core.workflow`), which applies the table in :mod:`repairs.states` with a guarded
UPDATE (``... WHERE state = :expected``) so two clients acting on the same unit at once
cause exactly one transition on SQLite and PostgreSQL, and appends a :class:`RepairEvent` in the same
transaction. Services only flush; the request or command commits.
"""
from __future__ import annotations

import functools
import hmac
import re
from datetime import date, datetime

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, literal_column, or_, select, union_all, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.routing import BuildError

from core import authz, open_records, sheets
from core.accounts.roles import Role
from core.calendar import local_day, local_today
from core.codes import normalise_code, normalise_serial
from core.directory.models import Dealer, RepairRoute
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.queries import inline_states, starts_with
from core.sequences import next_number
from core.tasks import registry as task_registry
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from repairs import clocks, code_shapes, outcomes, prices
from repairs import states as st
from repairs.card import UnitCard
from repairs.models import RepairEvent, RepairUnit, ReturnParcel
from shipments import service as shipments_service
from shipments.models import Shipment, ShipmentLine
from shipments.receiving import receive_shipment

# Who may do what in repairs; the pages and the API check the same roles through these functions.
HANDS = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)                  # physical steps
DESK = (Role.SERVICE, Role.SUPERVISOR)                               # dealer answers, overdue report
PARCEL_DESK = (Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)           # registering parcels, task lists
READERS = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
# Parcels started at the scan station (ARRIVAL_SOURCE) or from a DOA hold: HQ's hands start them.
STARTED_BY_SCAN = ("arrival", "doa")

MAX_LINES = 500
PAID_FINDINGS = ("human_damage", "out_of_warranty")
FINDINGS = ("human_damage", "no_stock", "out_of_warranty")
OUTCOMES = ("repaired", "replaced", "unrepairable")


def _check_access(actor, office_id) -> None:
    """Office users touch only their own office's parcels; the CLI and demo act as SYSTEM."""
    authz.require_office(actor, office_id)


def _who(actor) -> tuple[int | None, str]:
    authz.signed_in(actor)
    return actor.id, actor.username


# --------------------------------------------------------------------------- lookups

def parcel_by_rma(number: str) -> ReturnParcel:
    """The parcel with this RMA number (case-insensitive); NotFound otherwise."""
    number = (number or "").strip().upper()
    parcel = db.session.scalar(select(ReturnParcel).where(ReturnParcel.rma_number == number))
    if parcel is None:
        raise NotFound(_("No parcel with RMA number %(n)s.", n=number or "—"))
    return parcel


def find_unit_by_serial(serial: str) -> RepairUnit | None:
    """The unit a serial refers to now: the newest one still in the process, else the newest."""
    serial = normalise_serial(serial)
    if not serial:
        return None
    rows = list(db.session.scalars(
        select(RepairUnit).where(RepairUnit.serial == serial).order_by(RepairUnit.id.desc()).limit(20)
    ))
    for unit in rows:
        if unit.state not in st.TERMINAL:
            return unit
    return rows[0] if rows else None


OPEN_ELSEWHERE = "open_elsewhere"


def _case_url(endpoint: str, **number) -> str | None:
    """The page of a parcel or another process's case, when a request is there to build it."""
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **number)
    except BuildError:  # a blueprint not registered: no link, the number still says where
        return None


def open_elsewhere(serials, *, parcel_id: int | None = None, unit_id: int | None = None,
                   others: bool = True) -> dict[str, dict]:
    """Serials still open on another parcel or DOA case -> that record (the first found).

    Open means a repair unit not finished (any state but shipped, scrapped,
    credited or missing) on a parcel other than ``parcel_id`` (and other than
    ``unit_id``), or a DOA case not finished. Each record says where:
    ``kind`` (repair / doa), ``rma_number`` (the parcel's, or the DOA case
    number), ``state``, ``state_label``, ``arrived`` and ``url``. ``others=False``
    leaves out the records of other processes (DOA cases; see :mod:`core.open_records`).
    """
    serials = sorted({normalise_serial(s) for s in serials if normalise_serial(s)})
    if not serials:
        return {}
    out: dict[str, dict] = {}
    # Ids never used (0) stand for "no parcel / unit to leave out": one statement for every call.
    params = {"not_parcel": parcel_id or 0, "not_unit": unit_id or 0}
    params.update({"serials": serials} if len(serials) > 1 else {"serial": serials[0]})
    # Repair records come first (kind "repair" sorts after "doa"), the newest first.
    for kind, serial, state, other_id, number in db.session.connection().execute(
            _open_records(len(serials) > 1, others), params):
        if serial in out:
            continue
        if kind == "repair":
            out[serial] = {"kind": "repair", "serial": serial, "rma_number": number, "unit_id": other_id,
                           "state": state, "state_label": st.state_label(state),
                           "arrived": state != st.DECLARED, "url": _case_url("repairs.parcel", rma_number=number)}
        else:
            source = open_records.open_record_source(kind)
            out[serial] = {"kind": kind, "serial": serial, "rma_number": number, "unit_id": None,
                           "state": state, "state_label": source.state_label(state),
                           "arrived": True, "url": _case_url(source.endpoint, **{source.number_arg: number})}
    return out


# Built once, as the scan path's other statements (see _receivable_card): the receive step asks
# about one serial on every scan (one round trip for both kinds of record); a declared list asks
# about all of its serials at once.
@functools.cache
def _open_records(many: bool, others: bool):
    u, p = RepairUnit.__table__, ReturnParcel.__table__

    def serial_is(column):
        return column.in_(bindparam("serials", expanding=True)) if many else column == bindparam("serial")

    repair = (select(literal_column("'repair'").label("kind"), u.c.serial.label("serial"), u.c.state.label("state"),
                     u.c.id.label("unit_id"), p.c.rma_number.label("number"), u.c.id.label("newest"))
              .select_from(u.join(p, p.c.id == u.c.parcel_id))
              .where(serial_is(u.c.serial), u.c.state.not_in(inline_states(st.TERMINAL)),
                     u.c.parcel_id != bindparam("not_parcel"), u.c.id != bindparam("not_unit")))
    # Other processes' open records (DOA cases), each a select of the same columns; "repair" sorts
    # after their kinds, so repair records come first.
    cases = [source.rows(serial_is) for source in open_records.open_record_sources()] if others else []
    rows = (union_all(repair, *cases) if cases else repair).subquery()
    return (select(rows.c.kind, rows.c.serial, rows.c.state, rows.c.unit_id, rows.c.number)
            .order_by(rows.c.kind.desc(), rows.c.newest.desc()))


def open_elsewhere_message(found: dict) -> str:
    """The clerk's sentence for a serial open elsewhere (names the serial and where)."""
    if found["kind"] != "repair":
        return open_records.open_record_source(found["kind"]).message(found)
    return _("%(s)s is still open on parcel %(n)s (%(state)s).", s=found["serial"], n=found["rma_number"],
             state=found["state_label"])


def _refuse_open_elsewhere(found: dict, advice: str) -> Conflict:
    return Conflict(open_elsewhere_message(found) + " " + advice, code=OPEN_ELSEWHERE, open_elsewhere=found,
                    serial=found["serial"])


def parcel_warnings(parcel: ReturnParcel) -> list[dict]:
    """The parcel's unfinished units whose serial is still open on another parcel or DOA case, in words."""
    serials = [u.serial for u in parcel.units if u.state not in st.TERMINAL]
    found = open_elsewhere(serials, parcel_id=parcel.id)
    return [{"code": OPEN_ELSEWHERE, "serial": s, "message": open_elsewhere_message(found[s]),
             "open_elsewhere": found[s]} for s in serials if s in found]


def unit_by_serial(serial: str) -> RepairUnit:
    """The current repair unit for ``serial``; NotFound if it was never returned to us."""
    unit = find_unit_by_serial(serial)
    if unit is None:
        raise NotFound(_("No repair unit with serial %(s)s.", s=(serial or "").strip() or "—"))
    return unit


def get_parcel(actor, parcel_id: int) -> ReturnParcel:
    parcel = db.session.get(ReturnParcel, parcel_id)
    if parcel is None:
        raise NotFound(_("No such parcel."))
    _check_access(actor, parcel.office_id)
    return parcel


def get_unit(actor, unit_id: int) -> RepairUnit:
    unit = db.session.get(RepairUnit, unit_id)
    if unit is None:
        raise NotFound(_("No such repair unit."))
    _check_access(actor, unit.parcel.office_id)
    return unit


def get_task(actor, task_id: int) -> Task:
    """The repairs task ``task_id`` if ``actor`` may see it."""
    return task_service.get_task(actor, task_id, process=PROCESS)


def default_route() -> RepairRoute | None:
    """The factory route (the one with a promise), used when a line names none."""
    return db.session.scalar(
        select(RepairRoute).where(RepairRoute.active.is_(True))
        .order_by(RepairRoute.promise_days.is_(None), RepairRoute.id).limit(1)
    )


def _route(code: str | None) -> RepairRoute | None:
    if not code:
        return default_route()
    route = db.session.scalar(select(RepairRoute).where(RepairRoute.code == code.strip().upper()))
    if route is None:
        route = db.session.scalar(select(RepairRoute).where(RepairRoute.code == code.strip()))
    if route is None:
        raise ValidationFailed(_("Unknown repair route %(c)s.", c=code), errors={"route": [_("Unknown route.")]})
    return route


# --------------------------------------------------------------------------- transitions

def _event(actor, parcel_id, unit_id, action, from_state=None, to_state=None, note="", data=None, at=None):
    """A history row that is not a transition of the unit (declared, arrived, packed...)."""
    st.WORKFLOW.event(actor, action, from_state, to_state, note=note, data=data, at=at,
                      parcel_id=parcel_id, unit_id=unit_id)


def _invalid(unit: RepairUnit, action: str) -> InvalidTransition:
    return st.WORKFLOW.invalid(unit, action)


def _sync_loaded(model, ident: int, values: dict) -> None:
    """Show values written with a plain UPDATE on the session's copy of that row, if it has one."""
    loaded = db.session.identity_map.get(db.session.identity_key(model, ident))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


def last_event(unit_id: int) -> RepairEvent | None:
    return db.session.scalar(
        select(RepairEvent).where(RepairEvent.unit_id == unit_id).order_by(RepairEvent.id.desc()).limit(1)
    )


def is_repeat(unit: RepairUnit, actions) -> RepairEvent | None:
    """The step already done, if ``unit`` is where one of ``actions`` put it (a repeat scan).

    Whoever scans it again, and however long after, the unit is already in
    that step's target state: the answer is "already done", never an error.
    The step's event is returned, so the answer can say who did it and when.
    """
    event = db.session.scalar(
        select(RepairEvent).where(RepairEvent.unit_id == unit.id, RepairEvent.to_state.is_not(None))
        .order_by(RepairEvent.id.desc()).limit(1))
    if event is None or event.action not in actions or event.to_state != unit.state:
        return None
    return event


def timeline(unit: RepairUnit) -> list[RepairEvent]:
    """The unit's whole history, oldest first."""
    return list(db.session.scalars(
        select(RepairEvent).where(RepairEvent.unit_id == unit.id).order_by(RepairEvent.id)
    ))


def parcel_events(parcel: ReturnParcel) -> list[RepairEvent]:
    return list(db.session.scalars(
        select(RepairEvent).where(RepairEvent.parcel_id == parcel.id).order_by(RepairEvent.id)
    ))


# --------------------------------------------------------------------------- parcels

def _clean_line(raw: dict, index: int, errors: dict) -> dict | None:
    serial = normalise_serial(raw.get("serial"))
    model = str(raw.get("model") or "").strip()
    problems = []
    if not serial:
        problems.append(_("Serial is required."))
    elif len(serial) > 64 or not re.fullmatch(r"[A-Za-z0-9._/\-]+", serial):
        problems.append(_("Serial %(s)s has characters a barcode cannot carry.", s=serial[:64]))
    if not model:
        problems.append(_("Model is required."))
    elif len(model) > 80:
        problems.append(_("Model is too long."))
    if serial and not problems:
        try:  # a product barcode or waybill pasted in the serial column; a serial not fitting the model's pattern
            code_shapes.ensure_serial(serial, model)
        except ValidationFailed as err:
            problems.append(err.message)
    warranty = raw.get("warranty_claimed", True)
    if isinstance(warranty, str):
        warranty = warranty.strip().lower() not in {"0", "no", "n", "false", "否", "过保", "out"}
    if problems:
        errors[f"lines.{index}"] = problems
        return None
    return {"serial": serial, "model": model, "fault": str(raw.get("fault") or "").strip()[:300],
            "warranty_claimed": bool(warranty), "route": (raw.get("route") or "").strip() or None}


def create_parcel(actor, *, dealer_id: int | None = None, dealer_code: str | None = None,
                  inbound_waybill: str | None = None, inbound_carrier: str = "", lines=(),
                  note: str = "", source: str = "form", at: datetime | None = None) -> ReturnParcel:
    """Register a dealer's return parcel with its declared lines; gives it an RMA number.

    A line whose serial is a product barcode, a waybill or one of our numbers
    (:mod:`repairs.code_shapes`) is refused. A serial still open on another
    parcel or DOA case is declared all the same: :func:`parcel_warnings` names it.
    """
    # A parcel that arrived without a list, or a DOA hold handed over, is started by whoever scans it.
    authz.require(actor, *(HANDS if source in STARTED_BY_SCAN else PARCEL_DESK))
    dealer = None
    if dealer_id is not None:
        dealer = db.session.get(Dealer, dealer_id)
    elif dealer_code:
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == dealer_code.strip()))
    if dealer is None:
        raise ValidationFailed(_("Choose a known dealer."), errors={"dealer": [_("Unknown dealer.")]})
    _check_access(actor, dealer.office_id)
    lines = list(lines or [])
    if len(lines) > MAX_LINES:
        raise ValidationFailed(_("At most %(n)s lines per parcel.", n=MAX_LINES), errors={"lines": [_("Too many.")]})
    errors: dict = {}
    clean = [c for i, raw in enumerate(lines) if (c := _clean_line(raw, i, errors)) is not None]
    seen: set[str] = set()
    for i, line in enumerate(clean):
        if line["serial"] in seen:
            errors.setdefault(f"lines.{i}", []).append(_("Serial %(s)s is listed twice.", s=line["serial"]))
        seen.add(line["serial"])
    routes = {}
    for i, line in enumerate(clean):
        try:
            routes[i] = _route(line["route"])
        except ValidationFailed:
            errors.setdefault(f"lines.{i}", []).append(_("Unknown repair route %(c)s.", c=line["route"]))
    if errors:
        raise ValidationFailed(_("Some declared lines are not valid."), errors=errors)
    waybill = (inbound_waybill or "").strip() or None
    now = at or utcnow()
    parcel = ReturnParcel(
        rma_number=next_number("RMA", local_day(now).strftime("%y%m")), dealer_id=dealer.id,
        office_id=dealer.office_id, inbound_waybill=waybill, inbound_carrier=(inbound_carrier or "").strip()[:60],
        source=source, note=(note or "").strip(), created_by=_who(actor)[1], created_at=now,
    )
    db.session.add(parcel)
    db.session.flush()
    for i, line in enumerate(clean):
        route = routes[i]
        unit = RepairUnit(parcel_id=parcel.id, line_no=i + 1, serial=line["serial"], model=line["model"],
                          fault=line["fault"], warranty_claimed=line["warranty_claimed"], declared=True,
                          state=st.DECLARED, route_id=route.id if route else None, updated_at=now)
        db.session.add(unit)
        db.session.flush()
        _event(actor, parcel.id, unit.id, "declare", None, st.DECLARED, at=now)
    _event(actor, parcel.id, None, "create_parcel", note=source, at=now)
    db.session.flush()
    db.session.refresh(parcel)
    return parcel


HEADER_ALIASES = {
    "serial": {"serial", "sn", "s/n", "serial number", "序列号", "条码", "机身号"},
    "model": {"model", "型号", "产品型号"},
    "fault": {"fault", "problem", "故障", "故障描述", "不良现象"},
    "warranty_claimed": {"warranty", "in warranty", "warranty claimed", "保修", "保固"},
    "route": {"route", "路线", "维修路线"},
}


DECLARED_COLUMNS = sheets.Columns(aliases=HEADER_ALIASES, required=("serial",),
                                  positional=("model", "serial", "fault", "warranty_claimed"),
                                  codes=("serial",))


def parse_declared_rows(data: bytes | str, filename: str = "") -> list[dict]:
    """Turn pasted CSV/TSV text or an uploaded CSV/XLSX file into declared lines.

    A header row naming the columns (English or Chinese) is used when present;
    otherwise the columns are model, serial, fault, warranty. Files are read by
    :mod:`core.sheets` (GBK and UTF-8 CSV, XLSX); each line carries its file
    ``line`` number. Pasted text that is empty gives no lines.
    """
    if isinstance(data, str) and not data.strip():
        return []
    out = []
    for row in sheets.read_table(data, filename, DECLARED_COLUMNS).rows:
        line = row.as_dict()
        if line.get("warranty_claimed", "") == "":
            line.pop("warranty_claimed", None)
        line["line"] = row.line
        out.append(line)
    return out


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


_MARK_ARRIVED = (update(ReturnParcel.__table__)
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
    if db.session.connection().execute(_MARK_ARRIVED, {"parcel_id": parcel_id, "arrived_at": now}).rowcount != 1:
        return False
    _sync_loaded(ReturnParcel, parcel_id, {"arrived_at": now})
    _event(actor, parcel_id, None, "arrive", at=now)
    return True


PROCESS = "repairs"
PARCEL, UNIT = "return_parcel", "repair_unit"


def _open_task(parcel: ReturnParcel, unit: RepairUnit | None, kind: str, detail: str, now=None) -> Task:
    """A "contact the dealer today" task about ``unit`` of ``parcel``."""
    return task_service.open_task(PROCESS, kind, detail[:300], case=(PARCEL, parcel.id),
                                  subject=(UNIT, unit.id) if unit else None, dealer_id=parcel.dealer_id,
                                  office_id=parcel.office_id, at=now)


def task_parcel(task: Task) -> ReturnParcel:
    """The return parcel a repairs task belongs to."""
    return db.session.get(ReturnParcel, task.case_id)


def task_unit(task: Task) -> RepairUnit | None:
    """The unit a repairs task is about (None for a task about the parcel as a whole)."""
    return db.session.get(RepairUnit, task.subject_id) if task.subject_type == UNIT else None


def parcel_tasks(parcel: ReturnParcel) -> list[Task]:
    """Every task of one parcel, oldest first."""
    return task_service.about(case=(PARCEL, parcel.id))


def unit_tasks(unit: RepairUnit) -> list[Task]:
    """Every task about one unit, oldest first."""
    return task_service.about(subject=(UNIT, unit.id))


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
    stmt = (select(u.c.id, u.c.serial, u.c.model, u.c.state, u.c.declared, u.c.parcel_id, u.c.route_id,
                   u.c.dispatch_due, u.c.ship_due, u.c.replacement_serial, u.c.quote_amount,
                   p.c.rma_number, p.c.office_id, p.c.arrived_at, p.c.source, d.c.name.label("dealer"),
                   r.c.dispatch_days, maybe_elsewhere.label("maybe_elsewhere"))
            .select_from(u.join(p, p.c.id == u.c.parcel_id).outerjoin(d, d.c.id == p.c.dealer_id)
                         .outerjoin(r, r.c.id == u.c.route_id))
            # Two plain comparisons, not IN: an IN list is expanded again on every execution.
            .where(u.c.serial == bindparam("serial"), or_(u.c.state == st.DECLARED, u.c.state == st.MISSING))
            .order_by(u.c.id.desc()).limit(1))
    return stmt.where(u.c.parcel_id == bindparam("parcel_id")) if in_parcel else stmt


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
    row = db.session.connection().execute(_receivable_card(parcel is not None), params).first()
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
                                {"parcel_id": row.parcel_id, "unit_id": row.id}, at=now,
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
        _open_task(parcel, unit, "extra", _("Unit %(s)s arrived but is not on the dealer's list.", s=serial), now)
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
                       _("Unit %(s)s (%(m)s) is on the dealer's list but not in the parcel.", s=unit.serial, m=unit.model), now)
    parcel.receipt_completed_at = now
    if parcel.arrived_at is None:
        parcel.arrived_at = now
    _event(actor, parcel.id, None, "complete_receipt", at=now)
    db.session.flush()
    return parcel


# --------------------------------------------------------------------------- inspection and tasks

def inspect_unit(actor, unit: RepairUnit, *, human_damage: bool = False, no_stock: bool = False,
                 out_of_warranty: bool = False, note: str = "", route_code: str | None = None,
                 at: datetime | None = None) -> RepairUnit:
    """CS acceptance (验收) of a received unit.

    Findings (human damage 人为损坏, model no longer stocked 已无库存, out of
    warranty) hold the unit for the dealer's decision and open a dealer-contact
    task due today; paid repairs get a quote from the price in force on the
    day the parcel arrived (:func:`repairs.prices.quote_for`).
    The dealer promise (route.promise_days working days) runs from this
    acceptance; a finding pauses it until the dealer (or the supervisor) decides
    (:mod:`repairs.clocks`).
    """
    authz.require(actor, *HANDS)
    _check_access(actor, unit.parcel.office_id)
    now = at or utcnow()
    day = local_day(now)
    route = _route(route_code) if route_code else unit.route
    findings = [name for name, flag in (("human_damage", human_damage), ("no_stock", no_stock),
                                        ("out_of_warranty", out_of_warranty)) if flag]
    values = {"inspected_at": now, "human_damage": bool(human_damage), "no_stock": bool(no_stock),
              "out_of_warranty": bool(out_of_warranty), "inspection_note": (note or "").strip()[:300],
              "route_id": route.id if route else None,
              "ship_due": clocks.promise_due(day, route),
              "promise_paused_on": day if findings else None}
    quote = None
    if any(f in PAID_FINDINGS for f in findings):
        quote = prices.quote_for(unit)
        values["quote_amount"] = quote.amount if quote else None
        values["quote_price_id"] = quote.id if quote else None
    action = "inspect_problem" if findings else "inspect_ok"
    st.WORKFLOW.apply(actor, unit, action, at=now, note=note, data={"findings": findings}, **values)
    set_committed_value(unit, "route", route)
    if findings:
        labels = {"human_damage": _("human damage (人为损坏)"), "no_stock": _("model no longer stocked (已无库存)"),
                  "out_of_warranty": _("out of warranty")}
        detail = ", ".join(labels[f] for f in findings)
        if quote is not None:
            detail += " · " + _("paid repair quote %(a)s RMB", a=quote.amount)
        elif any(f in PAID_FINDINGS for f in findings):
            detail += " · " + _("no price on the list for this model")
        kind = findings[0]
        _open_task(unit.parcel, unit, kind, _("Unit %(s)s: %(d)s.", s=unit.serial, d=detail), now)
    return unit


TASK_DECISIONS = outcomes.TASK_DECISIONS
SETTLEMENTS = outcomes.SETTLEMENTS


def _decide_task(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """What the dealer's answer (or the supervisor's settlement) does to the unit the task holds.

    Answers for a held unit: ``repair`` (paid repair accepted), ``return`` (send it
    back as is), ``scrap`` (dealer consents), or ``dispute`` (to the supervisor); a
    unit whose model is no longer stocked offers ``substitute`` (``terms``:
    substitute_model, price_difference) and ``credit`` (credit_amount) instead of
    scrap (:mod:`repairs.outcomes`). For missing / extra units: ``agreed`` or
    ``dispute``. Settling ``repair`` of a quoted unit waives the charge
    (``repair_paid`` keeps it). The answer (or settlement) ends the pause of the
    unit's clocks: their due days move on by the working days the case waited
    (a dispute keeps them paused).
    """
    unit = task_unit(task)
    if settling:
        held = unit is not None and unit.state == st.DISPUTED
        if held == (decision == "agreed"):
            raise ValidationFailed(_("Choose repair, return or scrap for a held unit, agreed otherwise."),
                                   errors={"decision": [_("Not valid for this task.")]})
        if held:
            values, data = outcomes.unit_values(unit, decision, settled=True, note=note, **terms)
        elif any(terms.get(t) not in (None, "") for t in outcomes.TERMS):
            raise ValidationFailed(_("This task has no unit waiting for a decision."),
                                   errors={"decision": [_("Agreed or dispute.")]})
        action = SETTLEMENTS[decision]
    else:
        held = unit is not None and unit.state == st.AWAITING_DEALER
        if held and decision == "agreed":
            raise ValidationFailed(_("Say what the dealer wants: %(c)s.",
                                     c=", ".join(outcomes.decision_label(d) for d in outcomes.choices(unit))),
                                   errors={"decision": [_("Choose one of: %(c)s.",
                                                          c=", ".join(outcomes.choices(unit) + ("dispute",)))]})
        if not held and decision not in ("agreed", "dispute"):
            raise ValidationFailed(_("This task has no unit waiting for a decision."),
                                   errors={"decision": [_("Agreed or dispute.")]})
        if (not held or decision == "dispute") and any(terms.get(t) not in (None, "") for t in outcomes.TERMS):
            raise ValidationFailed(_("A substitute model or a credit amount goes with that decision only."),
                                   errors={t: [_("Not expected.")] for t in outcomes.TERMS if terms.get(t)})
        if held and decision == "dispute":
            values, data = {"dealer_decision": None}, {"decision": decision}
        elif held:
            values, data = outcomes.unit_values(unit, decision, note=note, **terms)
        action = TASK_DECISIONS[decision]
    if not held:
        return None

    def effect(now: datetime) -> None:
        resumed = values if decision == "dispute" else {**values, **_resume_clocks(unit, local_day(now))}
        st.WORKFLOW.apply(actor, unit, action, note=note, at=now, data=data, **resumed)
    return effect


def _task_choices(task: Task, settling: bool) -> task_registry.Choices:
    """The decisions the tasks page offers for a repairs task now."""
    unit = task_unit(task)
    held = unit is not None and unit.state == (st.DISPUTED if settling else st.AWAITING_DEALER)
    options = outcomes.choice_labels(unit, settling) if held else [("agreed", outcomes.decision_label("agreed"))]
    if not settling:
        options = [*options, ("dispute", outcomes.decision_label("dispute"))]
    return task_registry.Choices(options, outcomes.TERMS if held and unit.no_stock else ())


def _describe_task(task: Task) -> task_registry.Subject:
    parcel = task_parcel(task)
    unit = task_unit(task)
    label = parcel.rma_number + (f" · {unit.serial}" if unit is not None else "")
    return task_registry.Subject(label, f"/repairs/parcels/{parcel.rma_number}")


def _resume_clocks(unit: RepairUnit, day: date) -> dict:
    """Values ending the unit's pause on ``day``: CS's due days pushed by the working days paused."""
    if unit.promise_paused_on is None:
        return {}
    paused = clocks.paused_working_days(unit.promise_paused_on, day)
    return {"promise_paused_on": None, "paused_days": (unit.paused_days or 0) + paused,
            "ship_due": clocks.resumed(unit.ship_due, paused),
            "dispatch_due": clocks.resumed(unit.dispatch_due, paused)}


TASK_KIND_LABELS = {
    "missing": _l("unit on the list but not in the parcel"),
    "extra": _l("unit in the parcel but not on the list"),
    "human_damage": _l("human damage"),
    "no_stock": _l("model no longer stocked"),
    "out_of_warranty": _l("out of warranty"),
}
# A missing or extra unit is only agreed (or disputed); a finding holds the unit for the dealer's decision.
_LIST_KINDS = ("missing", "extra")

task_registry.register_process(task_registry.TaskProcess(
    name=PROCESS, label=_l("Repairs"),
    kinds={kind: task_registry.TaskKind(label, ("agreed", "dispute"), ("agreed",)) if kind in _LIST_KINDS
           else task_registry.TaskKind(label, tuple(TASK_DECISIONS), tuple(SETTLEMENTS))
           for kind, label in TASK_KIND_LABELS.items()},
    resolution_labels=outcomes.DECISION_LABELS, decide=_decide_task, choices=_task_choices, describe=_describe_task,
    term_labels={"substitute_model": _l("Substitute model"),
                 "price_difference": _l("Price difference (RMB; empty: from the price list)"),
                 "credit_amount": _l("Credit amount (RMB)")},
))


def tasks(actor, *, status: str | None = "open"):
    """Select statement of repairs tasks the actor may see, earliest due first."""
    return task_service.tasks(actor, process=PROCESS, status=status)


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
        if unit.state != st.INSPECTED:
            raise _invalid(unit, "dispatch")
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
        if unit.state != st.READY_TO_SHIP:
            raise _invalid(unit, "ship")
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
    if st.next_state(unit.state, action) is None:
        raise _invalid(unit, action)
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


def units_by_serials(actor, serials) -> list[RepairUnit]:
    """Resolve a list of scanned serials; unknown ones are a 422 naming them."""
    units, unknown = [], []
    for serial in serials:
        unit = find_unit_by_serial(serial)
        if unit is None:
            unknown.append(serial)
        else:
            units.append(unit)
    if unknown:
        raise ValidationFailed(_("Unknown serials: %(s)s.", s=", ".join(unknown)), errors={"serials": unknown})
    return units


# --------------------------------------------------------------------------- status lookup

def _scoped_units(actor):
    stmt = select(RepairUnit).join(ReturnParcel, RepairUnit.parcel_id == ReturnParcel.id)
    return authz.scope_to_office(stmt, actor, ReturnParcel.office_id)


def search(actor, query: str, *, limit: int = 25) -> list[RepairUnit]:
    """Units matching a serial, replacement serial, RMA number, waybill, dealer name or phone.

    Every branch is an equality or prefix match on an indexed column so the
    lookup stays fast at a million units.
    """
    q = (query or "").strip()
    if not q:
        return []
    if len(q) > 100:
        raise ValidationFailed(_("The search text is too long."), errors={"q": [_("At most 100 characters.")]})
    base = (_scoped_units(actor).options(selectinload(RepairUnit.parcel), selectinload(RepairUnit.route))
            .order_by(RepairUnit.id.desc()).limit(limit))
    code = normalise_serial(q)
    found = list(db.session.scalars(base.where(or_(RepairUnit.serial == code, RepairUnit.replacement_serial == code))))
    if found:
        return found
    upper = q.upper()
    parcel_ids = list(db.session.scalars(
        select(ReturnParcel.id).where(or_(ReturnParcel.rma_number == upper, ReturnParcel.inbound_waybill == q)).limit(limit)
    ))
    if not parcel_ids:
        # An outbound waybill or a shipment number: the units that travel (or are packed) on it.
        shipped = _units_on_shipment(base, normalise_code(q), limit)
        if shipped:
            return shipped
        digits = re.sub(r"\D", "", q)
        dealer_q = select(Dealer.id)
        if digits and len(digits) >= 7 and len(digits) == len(re.sub(r"[\s\-+()]", "", q)):
            dealer_q = dealer_q.where(Dealer.phone == q)
        else:
            dealer_q = dealer_q.where(or_(Dealer.name == q, starts_with(Dealer.name, q), Dealer.code == q))
        dealer_ids = list(db.session.scalars(dealer_q.limit(20)))
        if not dealer_ids:
            return []
        parcel_ids = list(db.session.scalars(
            select(ReturnParcel.id).where(ReturnParcel.dealer_id.in_(dealer_ids))
            .order_by(ReturnParcel.id.desc()).limit(limit)
        ))
    if not parcel_ids:
        return []
    return list(db.session.scalars(base.where(RepairUnit.parcel_id.in_(parcel_ids))))


def _units_on_shipment(base, code: str, limit: int) -> list[RepairUnit]:
    """Units on the shipments numbered ``code`` or carrying waybill ``code`` (indexed columns only)."""
    if not code:
        return []
    shipment_ids = list(db.session.scalars(
        select(Shipment.id).where(or_(Shipment.number == code, Shipment.waybill == code)).limit(limit)))
    if not shipment_ids:
        return []
    unit_ids = (select(ShipmentLine.ref_id)
                .where(ShipmentLine.shipment_id.in_(shipment_ids), ShipmentLine.ref_type == "repair_unit"))
    return list(db.session.scalars(base.where(RepairUnit.id.in_(unit_ids))))


def unit_shipments(unit: RepairUnit) -> list[dict]:
    """The unit's legs with their shipment: to the factory, back to the dealer (number, state, waybill,
    carrier, ship date); a shipment still packed is an open box or waits for its waybill."""
    out = []
    for leg, shipment_id in (("hq_factory", unit.factory_shipment_id), ("factory_dealer", unit.return_shipment_id)):
        shipment = db.session.get(Shipment, shipment_id) if shipment_id is not None else None
        if shipment is not None:
            out.append({"leg": leg, "leg_label": LEG_LABELS[leg], "shipment": shipment,
                        "open_box": shipment.box_key is not None})
    return out


def parcels(actor, *, q: str | None = None):
    """Select statement of parcels the actor may see, newest first."""
    stmt = select(ReturnParcel).options(selectinload(ReturnParcel.units)).order_by(ReturnParcel.id.desc())
    stmt = authz.scope_to_office(stmt, actor, ReturnParcel.office_id)
    if q:
        q = q.strip()
        stmt = stmt.where(or_(ReturnParcel.rma_number == q.upper(), ReturnParcel.inbound_waybill == q))
    return stmt


# --------------------------------------------------------------------------- overdue

def overdue_units(actor, *, today: date | None = None) -> list[RepairUnit]:
    """Units with some clock run out (repairs.clocks), including long-outstanding units at a
    promise-free repairer; the clock that ran out first first."""
    today = today or local_today()
    stmt = (select(RepairUnit).options(selectinload(RepairUnit.parcel), selectinload(RepairUnit.route))
            .join(ReturnParcel, RepairUnit.parcel_id == ReturnParcel.id)
            .where(clocks.overdue_condition(RepairUnit, today)))
    stmt = authz.scope_to_office(stmt, actor, ReturnParcel.office_id)
    late = [(clocks.late_clock(unit, today), unit) for unit in db.session.scalars(stmt)]
    late = [(clock, unit) for clock, unit in late if clock is not None]
    late.sort(key=lambda pair: (pair[0].due, pair[1].id))
    return [unit for _clock, unit in late]


AGE_BUCKETS = ("1-2", "3-5", "6-10", "10+")


def age_bucket(days_late: int) -> str:
    if days_late <= 2:
        return "1-2"
    if days_late <= 5:
        return "3-5"
    if days_late <= 10:
        return "6-10"
    return "10+"


def overdue_report(actor, today: date | None = None) -> dict:
    """Overdue units grouped by route and by age, each saying whose clock ran out.

    A row's ``late`` is in working days for the CS clocks (dispatch, dealer
    promise) and in calendar days for the factory's and long-outstanding clocks.
    """
    authz.require(actor, *DESK)
    today = today or local_today()
    rows = []
    for unit in overdue_units(actor, today=today):
        clock = clocks.late_clock(unit, today)
        rows.append({"unit": unit, "late": clock.days_late, "bucket": age_bucket(clock.days_late),
                     "clock": clock.kind, "clock_label": clock.label, "owner": clock.owner,
                     "owner_label": clock.owner_label, "due": clock.due,
                     "working_days": clock.working_days, "late_clock": clock})
    by_route: dict[str, list] = {}
    for row in rows:
        by_route.setdefault(row["unit"].route.name if row["unit"].route else "—", []).append(row)
    buckets = {b: sum(1 for r in rows if r["bucket"] == b) for b in AGE_BUCKETS}
    by_owner = [{"owner": owner, "label": clocks.owner_label(owner),
                 "units": sum(1 for r in rows if r["owner"] == owner)}
                for owner in (clocks.CS, clocks.FACTORY, clocks.REPAIRER)]
    return {"today": today, "rows": rows, "by_route": by_route, "buckets": buckets, "by_owner": by_owner}


# --------------------------------------------------------------------------- dealer status (public)

def public_status(rma_number: str, phone_last4: str) -> ReturnParcel | None:
    """The parcel if the RMA number and the dealer phone's last four digits match; else None.

    Callers give every failure the same neutral answer so the page does not
    reveal which RMA numbers exist.
    """
    rma = (rma_number or "").strip().upper()
    last4 = (phone_last4 or "").strip()
    if not rma or not re.fullmatch(r"\d{4}", last4):
        return None
    parcel = db.session.scalar(select(ReturnParcel).where(ReturnParcel.rma_number == rma))
    if parcel is None or parcel.dealer is None or len(parcel.dealer.phone_last4) != 4:
        return None

    if not hmac.compare_digest(parcel.dealer.phone_last4, last4):
        return None
    return parcel


# While a unit waits for an answer no ship-back date is promised; the dealer sees who is to answer.
_WAITING = {st.AWAITING_DEALER: "dealer", st.DISPUTED: "supervisor"}
_NOTHING_COMES_BACK = frozenset({st.SCRAPPED, st.CREDITED, st.MISSING})


def dealer_summary(unit: RepairUnit) -> dict:
    """What a dealer may see about one unit: model, serial, state, dates, the decision and its money.

    No internals. While the unit waits for the dealer's decision (or the
    supervisor's) there is no "expected back" date, only who is to answer.
    """
    waiting = _WAITING.get(unit.state)
    labels = {"dealer": _("awaiting your decision"), "supervisor": _("awaiting our supervisor's decision")}
    no_date = waiting is not None or unit.state in _NOTHING_COMES_BACK
    # A unit on its way back: when it left, with which courier and waybill, instead of a promise.
    sent = (db.session.get(Shipment, unit.return_shipment_id)
            if unit.state == st.SHIPPED and unit.return_shipment_id is not None else None)
    if sent is not None and sent.status == "packed":
        sent = None
    return {"serial": unit.serial, "model": unit.model, "state": unit.state,
            "state_label": st.state_label(unit.state), "replacement_serial": unit.replacement_serial,
            "ship_due": None if no_date or unit.state == st.SHIPPED else unit.ship_due,
            "shipped_at": unit.shipped_at,
            "shipped_on": (local_day(sent.shipped_at) if sent is not None and sent.shipped_at
                           else local_day(unit.shipped_at) if unit.state == st.SHIPPED and unit.shipped_at else None),
            "carrier": sent.carrier if sent is not None else None,
            "waybill": sent.waybill if sent is not None else None,
            "waiting_on": waiting, "waiting_label": labels[waiting] if waiting else None,
            # The promise's clock stands still while the case waits: since when (repairs.clocks).
            "paused_since": unit.promise_paused_on if unit.state in clocks.PAUSED_STATES else None,
            "decision": unit.dealer_decision,
            "decision_label": outcomes.decision_label(unit.dealer_decision) if unit.dealer_decision else None,
            "substitute_model": unit.substitute_model, "price_difference": unit.price_difference,
            "credit_amount": unit.credit_amount, "quote_amount": unit.quote_amount,
            "quote_waived_reason": unit.quote_waived_reason}
