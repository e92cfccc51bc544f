"""What the repairs modules share: who may act (role groups, office access), look-ups of one parcel or unit, open records elsewhere, and the event log.

Every state change goes through ``repairs.states.WORKFLOW.apply`` (the workflow core,
:mod:`core.workflow`), which applies the table in :mod:`repairs.states` with a guarded
UPDATE (``... WHERE state = :expected``) so two clients acting on the same unit at once
cause exactly one transition on SQLite and PostgreSQL, and appends a :class:`RepairEvent` in the same
transaction. Services only flush; the request or command commits.

The rules live beside it: :mod:`repairs.intake` (registering parcels, declared lists),
:mod:`repairs.receiving` (the receive path, completing a receipt), :mod:`repairs.inspection`,
:mod:`repairs.dealer_tasks` (the dealer's tasks and their decisions), :mod:`repairs.factory`
(factory legs, dispatch, shipping back), :mod:`repairs.search` (look-ups and lists),
:mod:`repairs.overdue` and :mod:`repairs.dealer_status` (what the dealer sees).
"""
from __future__ import annotations

import functools

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, literal_column, select, union_all
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.routing import BuildError

from core import authz, open_records
from core.accounts.roles import Role
from core.codes import normalise_serial
from core.directory.models import RepairRoute
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.queries import inline_states
from repairs import states as st
from repairs.models import RepairEvent, RepairUnit, ReturnParcel

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
    identity_map = db.session.identity_map
    if not identity_map:  # the scan path loads no rows: nothing to show the values on
        return
    loaded = identity_map.get(db.session.identity_key(model, ident))
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
