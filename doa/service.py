"""DOA rules (DOMAIN.md B, manual ch. 3 二.3): apply first, ship after; replacement or refund.

Every state change goes through :func:`_transition` and the workflow core's
``WORKFLOW.apply`` (:mod:`core.workflow`): it checks the acting user's department
role (``states.ACTION_ROLES``), applies the table in
:mod:`doa.states` with a guarded UPDATE (``... WHERE state = :expected``)
so two people acting at once cause exactly one transition, and appends a
:class:`DoaEvent` in the same transaction. Services only flush.

Functions other packages call: :func:`scan_doa_arrival` (scan station),
:func:`find_doa` (status lookup), :func:`overdue_doa` (overdue page).
"""
from __future__ import annotations

import hmac
import re
import zlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, false, func, literal_column, null, or_, select, text, update

from core import authz, handover, lookup
from core.accounts.roles import DEPARTMENT_ROLES, HQ_ROLES, Role
from core.calendar import add_working_days, local_day, local_today, working_days_between
from core.codes import normalise_serial
from core.directory.models import Dealer
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.locking import hold_in_state, lock_row
from core.queries import inline_states, starts_with
from core.sequences import next_number
from core.tasks import registry as task_registry
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from doa import states as st
from doa.models import DoaApplication, DoaAttachment, DoaEvent, DoaHold, DoaUnit
from inventory.models import Part
from shipments import receiving
from shipments import service as shipments
from shipments.models import Shipment

REQUESTS = ("replacement", "refund")
MAX_UNITS = 200
APPROVAL_DAYS = 1      # CS's internal approval (B.1, 3.3)
REPLACEMENT_DAYS = 7   # replacement ships within 7 working days of receipt (B.5)
# Calendar days after purchase within which a fault counts as dead on arrival; beyond it the
# application is flagged for the approvers. Config key DOA_WINDOW_DAYS overrides it.
DOA_WINDOW_DAYS = 15
REFUND_CURRENCIES = ("CNY", "HKD", "TWD", "USD")
DEFAULT_CURRENCY = "CNY"
MAX_REFUND = Decimal("9999999999.99")  # what Numeric(12, 2) holds
MAX_KNOWN_MODELS = 500
SERIAL_RE = re.compile(r"^[A-Z0-9._/\-]{1,64}$")
NUMBER_RE = re.compile(r"^DOA\d{4}-\d{3,}$", re.IGNORECASE)
OUTCOMES = ("repaired", "swapped")
TASK_KINDS = ("unapproved_arrival", "refused", "mismatch", "human_damage")
# Roles that read DOA cases at all (office users: only their own office's dealers).
READER_ROLES = tuple(HQ_ROLES | DEPARTMENT_ROLES | {Role.OFFICE})


# --------------------------------------------------------------------------- who and where

def _who(actor) -> tuple[int | None, str]:
    authz.signed_in(actor)
    return actor.id, actor.username


def visible_office(actor) -> int | None:
    """The office an actor is limited to, or None for CS staff and department approvers.

    Department approvers (channel, product, ...) decide on every office's DOA
    cases, unlike office stock, which they do not see.
    """
    return authz.visible_office_id(actor, approvers_see_all=True)


def ensure_access(actor, office_id: int | None) -> None:
    """Raise Forbidden unless ``actor`` may see a DOA case of ``office_id``."""
    authz.require_office(actor, office_id, approvers_see_all=True)


def require_role(actor, *roles) -> None:
    """Raise Forbidden unless ``actor`` holds one of ``roles`` (admins and SYSTEM pass)."""
    authz.require(actor, *roles, message=_("Your role does not allow this step."))


def row_by_id(model, row_id):
    """``db.session.get`` for an id from a URL; ids no database column can hold find nothing."""
    if not is_id(row_id):
        return None
    return db.session.get(model, row_id)


# --------------------------------------------------------------------------- look-ups

def application_by_number(number: str) -> DoaApplication:
    """The application with this DOA number (case-insensitive); NotFound otherwise."""
    number = (number or "").strip().upper()
    app = db.session.scalar(select(DoaApplication).where(DoaApplication.number == number)) if number else None
    if app is None:
        raise NotFound(_("No DOA application numbered %(n)s.", n=number or "—"))
    return app


def get_application(actor, number: str) -> DoaApplication:
    """The application ``number`` if ``actor`` may see it."""
    app = application_by_number(number)
    ensure_access(actor, app.office_id)
    return app


def applications(actor, *, state: str | None = None, q: str | None = None, overdue: bool = False,
                 today: date | None = None):
    """Select statement of applications ``actor`` may see, newest first."""
    stmt = select(DoaApplication).order_by(DoaApplication.id.desc())
    limit = visible_office(actor)
    if limit is not None:
        stmt = stmt.where(DoaApplication.office_id == limit)
    if state:
        if state not in st.STATES:
            raise ValidationFailed(_("Unknown state."), errors={"state": [_("One of: %(s)s.", s=", ".join(st.STATES))]})
        stmt = stmt.where(DoaApplication.state == state)
    if overdue:
        stmt = stmt.where(_overdue_clause(today or local_today()))
    q = (q or "").strip()
    if q:
        if len(q) > 100:
            raise ValidationFailed(_("The search text is too long."), errors={"q": [_("At most 100 characters.")]})
        ids = [a.id for a in find_doa(q, actor=actor)]
        stmt = stmt.where(DoaApplication.id.in_(ids or [-1]))
    return stmt


def find_doa(query: str, actor, *, limit: int = 50) -> list[DoaApplication]:
    """Applications matching a DOA number, a unit or replacement serial, a waybill, or a dealer.

    For the status lookup ("where is my unit?"). Every branch is an equality
    or prefix match on an indexed column. Office scoping applies (SYSTEM sees all).
    """
    authz.visible_office_id(actor, approvers_see_all=True)  # refuses nobody before anything is looked up
    q = (query or "").strip()
    if not q or len(q) > 100:
        return []
    upper = q.upper()
    ids: set[int] = set()
    ids.update(db.session.scalars(select(DoaApplication.id).where(DoaApplication.number == upper)))
    ids.update(db.session.scalars(select(DoaUnit.application_id).where(
        or_(DoaUnit.serial == upper, DoaUnit.replacement_serial == upper)).limit(limit)))
    ids.update(db.session.scalars(select(DoaApplication.id).where(DoaApplication.credit_number == q).limit(limit)))
    if not ids:
        shipment_ids = list(db.session.scalars(select(Shipment.id).where(Shipment.waybill == upper).limit(limit)))
        if shipment_ids:
            ids.update(db.session.scalars(select(DoaApplication.id).where(or_(
                DoaApplication.inbound_shipment_id.in_(shipment_ids),
                DoaApplication.replacement_shipment_id.in_(shipment_ids)))))
    if not ids:
        dealer_ids = list(db.session.scalars(select(Dealer.id).where(or_(
            Dealer.code == q, Dealer.code == upper, Dealer.name == q, starts_with(Dealer.name, q),
            Dealer.phone == q)).limit(20)))
        if dealer_ids:
            ids.update(db.session.scalars(select(DoaApplication.id).where(DoaApplication.dealer_id.in_(dealer_ids))
                                          .order_by(DoaApplication.id.desc()).limit(limit)))
    if not ids:
        return []
    stmt = select(DoaApplication).where(DoaApplication.id.in_(ids)).order_by(DoaApplication.id.desc()).limit(limit)
    stmt = authz.scope_to_office(stmt, actor, DoaApplication.office_id, approvers_see_all=True)
    return list(db.session.scalars(stmt))


def timeline(app: DoaApplication) -> list[DoaEvent]:
    """The application's whole history, oldest first."""
    return list(db.session.scalars(select(DoaEvent).where(DoaEvent.application_id == app.id).order_by(DoaEvent.id)))


def allowed_now(app: DoaApplication) -> list[str]:
    """Actions the table allows from the state whose guard also passes now (any role)."""
    return WORKFLOW.possible(app)


def allowed_for(actor, app: DoaApplication) -> list[str]:
    """Actions the table allows now, whose guard passes, that ``actor``'s roles also allow (for the buttons)."""
    return WORKFLOW.allowed_actions(app, actor)


# --------------------------------------------------------------------------- guarded actions

def closing_papers_missing(app: DoaApplication) -> list[str]:
    """What the case still lacks to close: ``sales_signoff`` (B.3), ``signed_scan`` (B.7)."""
    missing = []
    if app.sales_signed_at is None:
        missing.append("sales_signoff")
    has_scan = db.session.scalar(select(func.count(DoaAttachment.id))
                                 .where(DoaAttachment.application_id == app.id)) if app.id else 0
    if not has_scan:
        missing.append("signed_scan")
    return missing


def can_close(app: DoaApplication) -> bool:
    """Whether the case may close: the papers are complete, or the supervisor waived what is missing."""
    return (st.CLOSED == st.next_state(app.state, "close") and
            (app.closing_waived_at is not None or not closing_papers_missing(app)))


def disputed_refusal(app: DoaApplication) -> Task | None:
    """The dealer's open dispute of this application's refusal (a "refused" task now disputed), if any."""
    if app.id is None:
        return None
    return db.session.scalar(select(Task).where(Task.case_type == APPLICATION, Task.case_id == app.id,
                                                Task.kind == "refused", Task.status == "disputed")
                             .order_by(Task.id.desc()).limit(1))


def can_reopen(app: DoaApplication) -> bool:
    """Whether a refused application may be reopened: the dealer disputes the refusal (to be settled)."""
    return app.state == st.REFUSED and disputed_refusal(app) is not None


def _guard_problem(app: DoaApplication, action: str):
    """Why a table-allowed ``action`` may not happen now (None: it may), with the 409's extras."""
    if action == "close" and not can_close(app):
        missing = closing_papers_missing(app)
        return _("%(n)s cannot close yet: missing %(m)s. The supervisor can waive them with a reason.",
                 n=app.number, m=", ".join(str(st.PAPER_LABELS[m]) for m in missing)), {"missing": missing}
    if action == "reopen" and not can_reopen(app):
        return _("%(n)s can be reopened only when the dealer disputes the refusal and the supervisor settles "
                 "it in the dealer's favour.", n=app.number)
    return None


# Every change of a case goes through this: the table, its roles and the papers guard.
WORKFLOW = st.WORKFLOW.guarded(_guard_problem)


# --------------------------------------------------------------------------- overdue

def _overdue_clause(today: date):
    return or_(
        and_(DoaApplication.state.in_(sorted(st.APPROVAL_CLOCK)), DoaApplication.approval_due < today),
        and_(DoaApplication.state.in_(sorted(st.REPLACEMENT_CLOCK)), DoaApplication.request == "replacement",
             DoaApplication.replacement_due < today),
    )


def overdue_doa(actor, *, today: date | None = None) -> list[DoaApplication]:
    """Applications past their internal-approval or replacement due date, oldest due first."""
    today = today or local_today()
    stmt = select(DoaApplication).where(_overdue_clause(today))
    stmt = authz.scope_to_office(stmt, actor, DoaApplication.office_id, approvers_see_all=True)
    rows = list(db.session.scalars(stmt))
    rows.sort(key=lambda a: (a.next_due, a.id))
    return rows


def overdue_rows(actor, *, today: date | None = None) -> list[dict]:
    """Overdue applications with the clock that runs and the working days late."""
    today = today or local_today()
    out = []
    for app in overdue_doa(actor, today=today):
        clock = "approval" if app.state in st.APPROVAL_CLOCK else "replacement"
        out.append({"application": app, "clock": clock, "due": app.next_due, "state_label": st.state_label(app.state),
                    "late": max(1, working_days_between(app.next_due, today))})
    return out


# --------------------------------------------------------------------------- history and transitions

def _event(actor, app_id: int, action: str, from_state=None, to_state=None, *, unit_id=None, note="", data=None,
           at=None) -> None:
    """A history row of a case (a transition's row is written by ``WORKFLOW.apply``)."""
    st.WORKFLOW.event(actor, action, from_state, to_state, note=note, data=data, at=at,
                      application_id=app_id, unit_id=unit_id)


def _invalid(app: DoaApplication, action: str) -> InvalidTransition:
    # What may happen now: the table's steps whose guard passes (as the buttons show).
    return WORKFLOW.invalid(app, action)


def _transition(actor, app: DoaApplication, action: str, *, note: str = "", data: dict | None = None,
                at: datetime | None = None, **values) -> DoaApplication:
    """Apply ``action`` to ``app`` exactly once (``WORKFLOW.apply``), or raise Forbidden / InvalidTransition.

    The role check comes first: someone without the department's role is told
    so whatever the state; then the office; then the workflow core's checks and
    guarded UPDATE.
    """
    WORKFLOW.check_role(actor, action)
    ensure_access(actor, app.office_id)
    return WORKFLOW.apply(actor, app, action, note=note, data=data, at=at, **values)


def serialise_on(key: str) -> None:
    """Make requests about the same ``key`` (a serial with no row of its own yet) take turns.

    PostgreSQL: a transaction-scoped advisory lock on the key. SQLite: its one write
    lock, taken by an UPDATE that matches nothing. Either is held until the request
    commits, so the second request reads what the first one wrote.
    """
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(key.encode())})
    else:
        table = DoaHold.__table__
        conn.execute(update(table).where(false()).values(status=table.c.status))


def _claim(app: DoaApplication, action: str) -> None:
    """Lock ``app`` in the state we read before a step that writes more than its transition.

    A guarded no-op UPDATE: if someone moved the application first, nothing is
    written and the step is an InvalidTransition (409); else a concurrent
    duplicate of the step waits here and then finds the state moved.
    """
    if not hold_in_state(app, app.state, column="state"):
        raise _invalid(app, action)


# --------------------------------------------------------------------------- tasks (same-day dealer contact)

PROCESS = "doa"
APPLICATION, HOLD = "doa_application", "doa_hold"


def _open_task(app: DoaApplication | None, kind: str, detail: str, *, hold: DoaHold | None = None,
               dealer_id: int | None = None, office_id: int | None = None, at=None) -> Task:
    return task_service.open_task(PROCESS, kind, detail, case=(APPLICATION, app.id) if app else None,
                                  subject=(HOLD, hold.id) if hold else None,
                                  dealer_id=app.dealer_id if app else dealer_id,
                                  office_id=app.office_id if app else office_id, at=at)


def get_task(actor, task_id: int) -> Task:
    """The DOA task ``task_id`` if ``actor`` may see it."""
    return task_service.get_task(actor, task_id, process=PROCESS)


def tasks(actor, *, status: str | None = "open"):
    """Select statement of DOA tasks ``actor`` may see, due first."""
    return task_service.tasks(actor, process=PROCESS, status=status)


def tasks_of(app: DoaApplication) -> list[Task]:
    """Every task of one application, oldest first."""
    return task_service.about(case=(APPLICATION, app.id))


def task_application(task: Task) -> DoaApplication | None:
    """The application a DOA task belongs to (None for a unit that came without one)."""
    return db.session.get(DoaApplication, task.case_id) if task.case_type == APPLICATION else None


def task_hold(task: Task) -> DoaHold | None:
    """The held unit a DOA task is about, if any."""
    return db.session.get(DoaHold, task.subject_id) if task.subject_type == HOLD else None


TASK_DECISIONS = {
    # decision -> application action while the receipt is held (None: no step)
    "proceed": "dealer_accept", "not_doa": "dealer_reject", "dispute": "dispute", "agreed": None,
}
SETTLEMENTS = {"proceed": "settle_accept", "not_doa": "settle_reject", "agreed": None, "reopen": "reopen"}
RECEIPT_KINDS = ("mismatch", "human_damage")


def _holds_application(task: Task, state: str) -> bool:
    app = task_application(task)
    return app is not None and task.kind in RECEIPT_KINDS and app.state == state


def _decide_task(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """What the dealer's answer (or the supervisor's settlement) does to the application.

    For a receipt problem: ``proceed`` (treat as DOA anyway), ``not_doa``, or
    ``dispute`` (to the supervisor). Other tasks: ``agreed`` or ``dispute``. The
    supervisor settles a disputed receipt with ``proceed`` / ``not_doa``, a disputed
    refusal with ``reopen`` (the dealer is right; B.2: 如遇争议 … 客服主管协调) or
    ``agreed``, anything else with ``agreed``.
    """
    app = task_application(task)
    if not settling:
        held = _holds_application(task, st.RECEIPT_PROBLEM)
        if held and decision == "agreed":
            raise ValidationFailed(_("Say what was agreed: proceed as DOA, not a DOA, or dispute."),
                                   errors={"decision": [_("Proceed, not_doa or dispute.")]})
        if not held and decision in ("proceed", "not_doa"):
            raise ValidationFailed(_("This task has no receipt waiting for a decision."),
                                   errors={"decision": [_("Agreed or dispute.")]})
        action = TASK_DECISIONS[decision]
    elif decision == "reopen":
        if task.kind != "refused" or app is None or app.state != st.REFUSED:
            raise ValidationFailed(_("Only a disputed refusal can be settled by reopening the application."),
                                   errors={"decision": [_("Not valid for this task.")]})
        if not (note or "").strip():
            raise ValidationFailed(_("Say why the refusal is set aside."), errors={"note": [_("Required.")]})
        return lambda now: _reopen(actor, app, task, note.strip(), now)
    else:
        held = _holds_application(task, st.DISPUTED)
        if held == (decision == "agreed"):
            raise ValidationFailed(_("Choose proceed or not_doa for a held receipt, agreed otherwise."),
                                   errors={"decision": [_("Not valid for this task.")]})
        action = SETTLEMENTS[decision]
    if not held:
        return None
    return lambda now: _transition(actor, app, action, note=note, at=now, data={"task": task.id})


def _task_choices(task: Task, settling: bool) -> task_registry.Choices:
    """The decisions the tasks page offers for a DOA task now, in the words of the desk."""
    app = task_application(task)
    if not settling:
        if _holds_application(task, st.RECEIPT_PROBLEM):
            options = [("proceed", _("agreed: proceed as DOA")), ("not_doa", _("agreed: not a DOA"))]
        else:
            options = [("agreed", _("agreed"))]
        return task_registry.Choices([*options, ("dispute", _("disputes: to the supervisor"))])
    if _holds_application(task, st.DISPUTED):
        return task_registry.Choices([("proceed", _("accept as DOA")), ("not_doa", _("not a DOA"))])
    if task.kind == "refused" and app is not None and can_reopen(app):
        return task_registry.Choices([("reopen", _("dealer is right: reopen for approval")),
                                      ("agreed", _("the refusal stands"))])
    return task_registry.Choices([("agreed", _("settled"))])


def _describe_task(task: Task) -> task_registry.Subject:
    app = task_application(task)
    hold = task_hold(task)
    if app is not None:
        return task_registry.Subject(app.number + (f" · {hold.serial}" if hold else ""), f"/doa/{app.number}")
    return task_registry.Subject(hold.serial if hold else f"#{task.id}", "/doa/holds" if hold else None)


task_registry.register_process(task_registry.TaskProcess(
    name=PROCESS, label=_l("DOA"),
    kinds={"unapproved_arrival": task_registry.TaskKind(st.TASK_KIND_LABELS["unapproved_arrival"],
                                                        ("agreed", "dispute"), ("agreed",)),
           "refused": task_registry.TaskKind(st.TASK_KIND_LABELS["refused"], ("agreed", "dispute"),
                                             ("agreed", "reopen")),
           **{kind: task_registry.TaskKind(st.TASK_KIND_LABELS[kind], tuple(TASK_DECISIONS),
                                           ("proceed", "not_doa", "agreed")) for kind in RECEIPT_KINDS}},
    resolution_labels=st.TASK_RESOLUTION_LABELS, decide=_decide_task, choices=_task_choices,
    describe=_describe_task,
))


# --------------------------------------------------------------------------- applications

def known_models() -> list[str]:
    """The model names Depot knows, for the pick list: stocked parts and the paid-repair price list.

    A model not in the list is still accepted: the list holds what Depot stocks or
    prices, not every product sold, and CS checks the unit against the application
    on arrival (B.2: a mismatch is talked through with the dealer).
    """
    parts = select(Part.model).where(Part.active.is_(True), Part.model != "")
    # The price list's models come from repairs, registered with core.lookup.
    names = {str(n).strip() for n in db.session.scalars(parts.union(*lookup.model_name_sources()))
             if n and str(n).strip()}
    return sorted(names)[:MAX_KNOWN_MODELS]


def window_days() -> int:
    """The DOA window after purchase in calendar days (config ``DOA_WINDOW_DAYS``, default 15)."""
    value = current_app.config.get("DOA_WINDOW_DAYS", DOA_WINDOW_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = DOA_WINDOW_DAYS
    return max(days, 0)


def purchase_age_days(app: DoaApplication) -> int:
    """Calendar days from the purchase to the application."""
    return (local_day(app.created_at) - app.purchase_date).days


def window_flag(app: DoaApplication) -> str | None:
    """The approvers' warning for a purchase older than the DOA window, in words (None when within it)."""
    if not app.outside_window:
        return None
    return _("Bought %(age)s days before the application, beyond the %(w)s-day DOA window: check before approving.",
             age=purchase_age_days(app), w=app.window_days if app.window_days is not None else window_days())


def _clean_units(raw_units, errors: dict) -> list[dict]:
    units = list(raw_units or [])
    if not units:
        errors["units"] = [_("List at least one unit.")]
        return []
    if len(units) > MAX_UNITS:
        errors["units"] = [_("At most %(n)s units per application.", n=MAX_UNITS)]
        return []
    clean, seen = [], set()
    for index, raw in enumerate(units):
        if not isinstance(raw, dict):
            errors[f"units.{index}"] = [_("Each unit needs a serial and a model.")]
            continue
        serial = normalise_serial(raw.get("serial"))
        model = str(raw.get("model") or "").strip()
        problems = []
        if not serial:
            problems.append(_("Serial is required."))
        elif not SERIAL_RE.match(serial):
            problems.append(_("Serial %(s)s has characters a barcode cannot carry.", s=serial[:64]))
        elif serial in seen:
            problems.append(_("Serial %(s)s is listed twice.", s=serial))
        if not model:
            problems.append(_("Model is required."))
        elif len(model) > 80:
            problems.append(_("Model is too long."))
        if problems:
            errors[f"units.{index}"] = problems
            continue
        seen.add(serial)
        clean.append({"serial": serial, "model": model, "fault": str(raw.get("fault") or "").strip()[:300]})
    return clean


def _validate_application(*, request, purchase_date, fault, units, today: date) -> tuple[dict, list[dict]]:
    """Check the fields every application has; raises ValidationFailed naming each bad field."""
    errors: dict = {}
    if request not in REQUESTS:
        errors["request"] = [_("Choose replacement or refund.")]
    if isinstance(purchase_date, str):
        try:
            purchase_date = date.fromisoformat(purchase_date.strip())
        except ValueError:
            errors["purchase_date"] = [_("Use YYYY-MM-DD.")]
            purchase_date = None
    if purchase_date is None and "purchase_date" not in errors:
        errors["purchase_date"] = [_("The purchase date is required.")]
    elif purchase_date is not None and purchase_date > today:
        errors["purchase_date"] = [_("The purchase date cannot be in the future.")]
    fault = (fault or "").strip()
    if not fault:
        errors["fault"] = [_("Describe the fault.")]
    elif len(fault) > 2000:
        errors["fault"] = [_("At most 2000 characters.")]
    clean = _clean_units(units, errors)
    if errors:
        raise ValidationFailed(_("The application has invalid fields."), errors=errors)
    return {"request": request, "purchase_date": purchase_date, "fault": fault}, clean


def _open_application_with(serials: list[str]) -> dict[str, str]:
    """Serials already on an application still in progress -> its number."""
    rows = db.session.execute(
        select(DoaUnit.serial, DoaApplication.number).join(DoaApplication, DoaUnit.application_id == DoaApplication.id)
        .where(DoaUnit.serial.in_(serials), DoaApplication.state.not_in(sorted(st.FINISHED)))
    )
    return {serial: number for serial, number in rows}


def _create(actor_name: str, actor, dealer: Dealer, fields: dict, units: list[dict], *, contact: str, source: str,
            at: datetime | None) -> DoaApplication:
    # One application at a time per dealer: the same application sent twice at once
    # waits here, then finds its units on the first one (409).
    lock_row(Dealer, dealer.id)
    busy = _open_application_with([u["serial"] for u in units])
    if busy:
        raise Conflict(_("Unit %(s)s is already on DOA application %(n)s.", s=sorted(busy)[0], n=busy[sorted(busy)[0]]),
                       errors={"units": [_("%(s)s is on %(n)s.", s=s, n=n) for s, n in sorted(busy.items())]})
    now = at or utcnow()
    day = local_day(now)
    window = window_days()
    outside = (day - fields["purchase_date"]).days > window
    app = DoaApplication(
        number=next_number("DOA", day.strftime("%y%m")), dealer_id=dealer.id, office_id=dealer.office_id,
        request=fields["request"], purchase_date=fields["purchase_date"], fault=fields["fault"],
        window_days=window, outside_window=outside,
        contact=(contact or "").strip()[:120], source=source, state=st.SUBMITTED, created_at=now,
        created_by=actor_name, approval_due=add_working_days(day, APPROVAL_DAYS), updated_at=now,
    )
    db.session.add(app)
    db.session.flush()
    for i, unit in enumerate(units, start=1):
        db.session.add(DoaUnit(application_id=app.id, line_no=i, serial=unit["serial"], model=unit["model"],
                               fault=unit["fault"], declared=True))
    db.session.flush()
    _event(actor, app.id, "apply", None, st.SUBMITTED, at=now,
           data={"units": [u["serial"] for u in units], "request": app.request, "source": source,
                 "outside_window": outside, "window_days": window})
    db.session.refresh(app)
    return app


def _dealer(dealer_id=None, dealer_code=None) -> Dealer:
    dealer = None
    if dealer_id is not None:
        dealer = row_by_id(Dealer, dealer_id)
    elif dealer_code:
        code = dealer_code.strip()
        dealer = db.session.scalar(select(Dealer).where(or_(Dealer.code == code, Dealer.code == code.upper())))
    if dealer is None or not dealer.active:
        raise ValidationFailed(_("Choose a known dealer."), errors={"dealer": [_("Unknown dealer.")]})
    return dealer


def create_application(actor, *, dealer_id: int | None = None, dealer_code: str | None = None, request: str,
                       purchase_date, fault: str, units, contact: str = "", source: str = "staff",
                       at: datetime | None = None) -> DoaApplication:
    """Service staff enter a dealer's DOA application (number DOAyymm-nnnn).

    The internal approval is due one working day after the application.
    """
    require_role(actor, *st.CS)
    now = at or utcnow()
    fields, clean = _validate_application(request=request, purchase_date=purchase_date, fault=fault, units=units,
                                          today=local_day(now))
    dealer = _dealer(dealer_id, dealer_code)
    ensure_access(actor, dealer.office_id)
    return _create(_who(actor)[1], actor, dealer, fields, clean, contact=contact, source=source, at=now)


def dealer_verified(dealer_code: str, phone_last4: str) -> Dealer | None:
    """The dealer if the code and the last four digits of its phone match; None otherwise.

    Callers give every failure one neutral answer, so nobody learns which
    dealer codes exist.
    """
    code = (dealer_code or "").strip()
    last4 = (phone_last4 or "").strip()
    if not code or len(code) > 20 or not re.fullmatch(r"\d{4}", last4):
        return None
    dealer = db.session.scalar(select(Dealer).where(or_(Dealer.code == code, Dealer.code == code.upper())))
    if dealer is None or not dealer.active or len(dealer.phone_last4) != 4:
        return None
    if not hmac.compare_digest(dealer.phone_last4, last4):
        return None
    return dealer


def public_apply(*, dealer_code: str, phone_last4: str, request: str, purchase_date, fault: str, units,
                 contact: str = "") -> DoaApplication | None:
    """A dealer applies on the no-login page.

    The fields are checked first (the same answer whatever the dealer), then
    the dealer code + phone digits; a wrong pair gives None (one neutral answer).
    """
    now = utcnow()
    fields, clean = _validate_application(request=request, purchase_date=purchase_date, fault=fault, units=units,
                                          today=local_day(now))
    dealer = dealer_verified(dealer_code, phone_last4)
    if dealer is None:
        return None
    # The public form writes on the dealer's behalf: the system acts, created_by names the dealer.
    return _create(f"dealer:{dealer.code}"[:64], authz.SYSTEM, dealer, fields, clean, contact=contact, source="dealer",
                   at=now)


def public_status(number: str, phone_last4: str) -> DoaApplication | None:
    """The application if its number and the dealer phone's last four digits match; else None."""
    number = (number or "").strip().upper()
    last4 = (phone_last4 or "").strip()
    if not NUMBER_RE.match(number) or not re.fullmatch(r"\d{4}", last4):
        return None
    app = db.session.scalar(select(DoaApplication).where(DoaApplication.number == number))
    if app is None or app.dealer is None or len(app.dealer.phone_last4) != 4:
        return None
    if not hmac.compare_digest(app.dealer.phone_last4, last4):
        return None
    return app


def dealer_summary(app: DoaApplication) -> dict:
    """What a dealer may see: number, state, units and their replacements. No internals."""
    shipment = app.replacement_shipment
    return {
        "number": app.number, "state": app.state, "state_label": st.state_label(app.state),
        "request": app.request, "created_at": app.created_at, "replacement_due": app.replacement_due,
        "units": [{"serial": u.serial, "model": u.model, "replacement_serial": u.replacement_serial}
                  for u in app.declared_units],
        # The finished-goods store's separate shipment of the replacement (B.4), once reported.
        "replacement_waybill": shipment.waybill if shipment else None,
        "replacement_carrier": shipment.carrier if shipment else None,
        "replacement_shipped_on": replacement_shipped_on(app),
        "refund_amount": app.refund_amount if app.credit_at else None,
        "refund_currency": app.refund_currency if app.credit_at else None,
    }


def replacement_shipped_on(app: DoaApplication) -> date | None:
    """The local day the replacement shipped (None before)."""
    when = app.replacement_shipped_at or (app.replacement_shipment.shipped_at if app.replacement_shipment else None)
    return local_day(when) if when else None


# --------------------------------------------------------------------------- approvals

DEPARTMENT_STEPS = {"channel": ("channel_approve", "channel_refuse"), "product": ("product_approve", "product_refuse")}


def decide(actor, app: DoaApplication, department: str, decision: str, reason: str = "",
           at: datetime | None = None) -> DoaApplication:
    """Channel or product approves or refuses the application (a refusal needs a reason).

    Both must approve before the dealer ships. A refusal ends the application
    and opens a same-day task: tell the dealer not to send the unit.
    """
    if department not in DEPARTMENT_STEPS:
        raise ValidationFailed(_("Unknown department."), errors={"department": [_("Channel or product.")]})
    if decision not in ("approve", "refuse"):
        raise ValidationFailed(_("Approve or refuse."), errors={"decision": [_("Approve or refuse.")]})
    action = DEPARTMENT_STEPS[department][0 if decision == "approve" else 1]
    require_role(actor, *st.ACTION_ROLES[action])
    reason = (reason or "").strip()
    if decision == "refuse" and not reason:
        raise ValidationFailed(_("Give the reason for the refusal."), errors={"reason": [_("Required to refuse.")]})
    if len(reason) > 500:
        raise ValidationFailed(_("The reason is too long."), errors={"reason": [_("At most 500 characters.")]})
    now = at or utcnow()
    values = {f"{department}_decision": "approved" if decision == "approve" else "refused",
              f"{department}_by": _who(actor)[1], f"{department}_at": now, f"{department}_reason": reason}
    target = st.next_state(app.state, action)
    if target == st.APPROVED:
        values["approved_at"] = now
    if target == st.REFUSED:
        values["closed_reason"] = reason
    _transition(actor, app, action, note=reason, at=now, **values)
    if app.state == st.REFUSED:
        _open_task(app, "refused", _("%(n)s was refused by %(d)s: %(r)s. Tell the dealer not to send the unit.",
                                     n=app.number, d=_("channel") if department == "channel" else _("product"),
                                     r=reason), at=now)
    return app


def cancel(actor, app: DoaApplication, reason: str) -> DoaApplication:
    """CS withdraws an application before the unit arrived (the dealer changed their mind)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the application is cancelled."), errors={"reason": [_("Required.")]})
    return _transition(actor, app, "cancel", note=reason[:500], closed_reason=reason[:500])


# --------------------------------------------------------------------------- arrival and receipt

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
    who = app.number if app else (dealer.name if dealer else _("an unknown dealer"))
    detail = {
        "not_approved": _("Unit %(s)s (%(w)s) arrived before the DOA was approved: not accepted as DOA. "
                          "Tell the dealer: apply first, ship after.", s=serial, w=who),
        "refused": _("Unit %(s)s (%(w)s) arrived although the DOA was refused: not accepted as DOA.", s=serial, w=who),
        "closed": _("Unit %(s)s (%(w)s) arrived for a closed DOA application: not accepted as DOA.", s=serial, w=who),
        "no_application": _("Unit %(s)s arrived as DOA without any application: not accepted as DOA; "
                            "find the dealer.", s=serial),
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


def _money(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Not a valid amount."), errors={field: [_("Not a number.")]}) from None
    if amount < 0 or amount > Decimal("9999999"):
        raise ValidationFailed(_("Not a valid amount."), errors={field: [_("Out of range.")]})
    return amount


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
        labels = {"missing": _("missing"), "extra": _("not on the application"), "human_damage": _("human damage (人为损坏)")}
        detail = "; ".join(f"{f['serial']}: {labels[f['kind']]}" for f in findings)
        kind = "human_damage" if any(f["kind"] == "human_damage" for f in findings) else "mismatch"
        _open_task(app, kind, _("%(n)s arrived not as applied: %(d)s. Talk to the dealer today.",
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


def sales_signoff(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """The sales head signs for the receipt: the freight is the sales department's cost (B.3)."""
    require_role(actor, Role.SALES)
    ensure_access(actor, app.office_id)
    if app.received_at is None:
        raise InvalidTransition(_("%(n)s has not been received yet; the sales head signs for a receipt.", n=app.number),
                                current=app.state, allowed=st.allowed_actions(app.state, app.request))
    if app.sales_signed_at is not None:
        raise Conflict(_("The sales head already signed for %(n)s (%(w)s).", n=app.number, w=app.sales_signed_by),
                       current_state=app.state)
    now = at or utcnow()
    table = DoaApplication.__table__
    result = db.session.execute(update(table).where(table.c.id == app.id, table.c.sales_signed_at.is_(None))
                                .values(sales_signed_by=_who(actor)[1], sales_signed_at=now, updated_at=now))
    if result.rowcount != 1:
        db.session.refresh(app)
        raise Conflict(_("The sales head already signed for %(n)s.", n=app.number), current_state=app.state)
    db.session.refresh(app)
    _event(actor, app.id, "sales_signoff", note=note, at=now)
    return app


# --------------------------------------------------------------------------- replacement

def record_purchasing(actor, app: DoaApplication, outcomes, *, note: str = "",
                      at: datetime | None = None) -> DoaApplication:
    """Purchasing repaired or swapped each unit (B.4); swapped ones name the new serial.

    ``outcomes``: ``[{"serial", "outcome": "repaired"|"swapped", "replacement_serial"?}]``
    covering every unit that arrived. The faulty and replacement serials stay linked.
    """
    require_role(actor, *st.ACTION_ROLES["purchasing_done"])
    ensure_access(actor, app.office_id)
    if "purchasing_done" not in st.allowed_actions(app.state, app.request):
        raise _invalid(app, "purchasing_done")
    arrived = {u.serial: u for u in app.units if u.arrived_at is not None}
    errors: dict = {}
    given: dict[str, dict] = {}
    for index, raw in enumerate(outcomes or []):
        if not isinstance(raw, dict):
            errors[f"units.{index}"] = [_("Each line needs a serial and an outcome.")]
            continue
        serial = normalise_serial(raw.get("serial"))
        outcome = raw.get("outcome")
        replacement = normalise_serial(raw.get("replacement_serial"))
        if serial not in arrived:
            errors[f"units.{index}"] = [_("%(s)s is not a unit received on this application.", s=serial or "—")]
            continue
        if serial in given:
            errors[f"units.{index}"] = [_("%(s)s is listed twice.", s=serial)]
            continue
        if outcome not in OUTCOMES:
            errors[f"units.{index}.outcome"] = [_("Repaired or swapped.")]
            continue
        if outcome == "swapped":
            if not replacement:
                errors[f"units.{index}.replacement_serial"] = [_("A swapped unit needs the replacement's serial.")]
                continue
            if not SERIAL_RE.match(replacement):
                errors[f"units.{index}.replacement_serial"] = [_("Not a valid serial.")]
                continue
            if replacement == serial:
                errors[f"units.{index}.replacement_serial"] = [_("Must differ from the faulty unit's serial.")]
                continue
        elif replacement:
            errors[f"units.{index}.replacement_serial"] = [_("Only a swapped unit has a replacement serial.")]
            continue
        given[serial] = {"outcome": outcome, "replacement_serial": replacement or None}
    missing = sorted(set(arrived) - set(given))
    if missing and not errors:
        errors["units"] = [_("Give the outcome of every received unit; missing: %(s)s.", s=", ".join(missing))]
    replacements = [v["replacement_serial"] for v in given.values() if v["replacement_serial"]]
    if len(replacements) != len(set(replacements)):
        errors.setdefault("units", []).append(_("The same replacement serial is given twice."))
    if errors:
        raise ValidationFailed(_("The purchasing outcome has invalid lines."), errors=errors)
    now = at or utcnow()
    _transition(actor, app, "purchasing_done", note=note, at=now, purchasing_by=_who(actor)[1], purchasing_at=now,
                data={"units": {s: v for s, v in sorted(given.items())}})
    for serial, value in given.items():
        unit = arrived[serial]
        unit.outcome = value["outcome"]
        unit.replacement_serial = value["replacement_serial"]
    db.session.flush()
    return app


def ship_replacement(actor, app: DoaApplication, *, carrier: str, waybill: str, freight_cost=None,
                     shipped_at=None, note: str = "", at: datetime | None = None) -> DoaApplication:
    """The finished-goods store shipped the replacement separately and reported its waybill (B.4).

    Recorded as an fg_dealer shipment paid by the sales account, with the
    outgoing serials (the repaired unit, or the swapped-in new one).
    """
    require_role(actor, *st.ACTION_ROLES["ship_replacement"])
    ensure_access(actor, app.office_id)
    if "ship_replacement" not in st.allowed_actions(app.state, app.request):
        raise _invalid(app, "ship_replacement")
    _claim(app, "ship_replacement")
    errors = {}
    if not (waybill or "").strip():
        errors["waybill"] = [_("The finished-goods store's waybill is required.")]
    if not (carrier or "").strip():
        errors["carrier"] = [_("Required.")]
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    cost = _money(freight_cost, "freight_cost")
    lines = [{"kind": "unit", "serial": u.outgoing_serial, "model": u.model, "ref_type": "doa_unit", "ref_id": u.id}
             for u in app.units if u.outgoing_serial]
    shipment = shipments.create_shipment(
        actor, leg="fg_dealer", paying_account="sales", dealer_id=app.dealer_id, lines=lines, freight_cost=cost,
        note=_("DOA %(n)s: replacement, freight to the sales account", n=app.number),
    )
    shipments.mark_shipped(actor, shipment, waybill=waybill, carrier=carrier, shipped_at=shipped_at)
    now = at or utcnow()
    _transition(actor, app, "ship_replacement", note=note, at=now, replacement_shipment_id=shipment.id,
                replacement_shipped_at=shipment.shipped_at,
                data={"shipment": shipment.number, "waybill": shipment.waybill})
    return app


# --------------------------------------------------------------------------- refund

REFUND_STEPS = {"product": ("refund_product_approve", "refund_product_refuse"),
                "finance": ("refund_finance_approve", "refund_finance_refuse")}


def refund_decide(actor, app: DoaApplication, department: str, decision: str, reason: str = "",
                  at: datetime | None = None) -> DoaApplication:
    """Product, then finance, approve or refuse the refund (B.6); a refusal needs a reason."""
    if department not in REFUND_STEPS:
        raise ValidationFailed(_("Unknown department."), errors={"department": [_("Product or finance.")]})
    if decision not in ("approve", "refuse"):
        raise ValidationFailed(_("Approve or refuse."), errors={"decision": [_("Approve or refuse.")]})
    action = REFUND_STEPS[department][0 if decision == "approve" else 1]
    require_role(actor, *st.ACTION_ROLES[action])
    reason = (reason or "").strip()[:500]
    if decision == "refuse" and not reason:
        raise ValidationFailed(_("Give the reason for the refusal."), errors={"reason": [_("Required to refuse.")]})
    now = at or utcnow()
    values = {}
    if decision == "approve":
        values = {f"refund_{department}_by": _who(actor)[1], f"refund_{department}_at": now}
    else:
        values = {"closed_reason": reason}
    return _transition(actor, app, action, note=reason, at=now, **values)


def refund_money(amount, currency) -> tuple[Decimal, str]:
    """A refund's amount and currency checked: positive, at most 2 decimals; currency default CNY.

    Raises ValidationFailed naming each bad field.
    """
    errors: dict = {}
    value = None
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        errors["amount"] = [_("The refund amount is required.")]
    elif isinstance(amount, bool):
        errors["amount"] = [_("Not a number.")]
    else:
        try:
            value = Decimal(str(amount).strip())
        except (InvalidOperation, ValueError):
            errors["amount"] = [_("Not a number.")]
        else:
            if not value.is_finite():
                errors["amount"] = [_("Not a number.")]
            elif value <= 0:
                errors["amount"] = [_("The refund amount must be more than 0.")]
            elif value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
                errors["amount"] = [_("At most 2 decimals.")]
            elif value > MAX_REFUND:
                errors["amount"] = [_("Out of range.")]
    code = (str(currency).strip().upper() if currency is not None else "") or DEFAULT_CURRENCY
    if code not in REFUND_CURRENCIES:
        errors["currency"] = [_("One of: %(s)s.", s=", ".join(REFUND_CURRENCIES))]
    if errors:
        raise ValidationFailed(_("The refund amount is not valid."), errors=errors)
    return value.quantize(Decimal("0.01")), code


def issue_credit(actor, app: DoaApplication, credit_number: str, note: str = "", at: datetime | None = None, *,
                 amount=None, currency: str | None = None) -> DoaApplication:
    """Commerce issues the sales return / credit (销售退单) for the refund's amount, after product and finance."""
    require_role(actor, *st.ACTION_ROLES["issue_credit"])
    number = (credit_number or "").strip()
    errors: dict = {}
    if not number or len(number) > 40:
        errors["credit_number"] = [_("1 to 40 characters.")]
    try:
        value, code = refund_money(amount, currency)
    except ValidationFailed as err:
        errors.update(err.errors)
    if errors:
        message = (_("The sales return / credit number is required.") if "credit_number" in errors
                   else _("The refund amount is not valid."))
        raise ValidationFailed(message, errors=errors)
    now = at or utcnow()
    return _transition(actor, app, "issue_credit", note=note, at=now, credit_number=number, credit_by=_who(actor)[1],
                       credit_at=now, refund_amount=value, refund_currency=code,
                       data={"credit_number": number, "amount": str(value), "currency": code})


def refund_totals(apps) -> dict[str, Decimal]:
    """Credited refunds summed per currency (a sum never mixes currencies)."""
    totals: dict[str, Decimal] = {}
    for app in apps:
        if app.credit_at is not None and app.refund_amount is not None:
            code = app.refund_currency or DEFAULT_CURRENCY
            totals[code] = totals.get(code, Decimal("0")) + app.refund_amount
    return dict(sorted(totals.items()))


def switch_to_replacement(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """After a refused refund the dealer takes a replacement instead; the 7 days run from now."""
    require_role(actor, *st.ACTION_ROLES["switch_to_replacement"])
    now = at or utcnow()
    _transition(actor, app, "switch_to_replacement", note=note, at=now, request="replacement",
                replacement_due=add_working_days(local_day(now), REPLACEMENT_DAYS))
    return app


# --------------------------------------------------------------------------- closing

def waive_closing_papers(actor, app: DoaApplication, reason: str, at: datetime | None = None) -> DoaApplication:
    """The supervisor lets the case close without the papers still missing, with a reason (recorded, shown)."""
    require_role(actor, Role.SUPERVISOR)
    ensure_access(actor, app.office_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the missing papers are waived."), errors={"reason": [_("Required.")]})
    if len(reason) > 500:
        raise ValidationFailed(_("The reason is too long."), errors={"reason": [_("At most 500 characters.")]})
    missing = closing_papers_missing(app)
    if not missing:
        raise Conflict(_("%(n)s has its papers complete: nothing to waive.", n=app.number), current_state=app.state)
    if app.closing_waived_at is not None:
        raise Conflict(_("The missing papers of %(n)s were already waived by %(w)s.", n=app.number,
                         w=app.closing_waived_by), current_state=app.state)
    if app.state in st.TERMINAL:
        raise _invalid(app, "close")
    now = at or utcnow()
    table = DoaApplication.__table__
    result = db.session.execute(update(table).where(table.c.id == app.id, table.c.closing_waived_at.is_(None))
                                .values(closing_waived_by=_who(actor)[1], closing_waived_at=now,
                                        closing_waiver_reason=reason, updated_at=now))
    if result.rowcount != 1:
        db.session.refresh(app)
        raise Conflict(_("The missing papers of %(n)s were already waived.", n=app.number), current_state=app.state)
    db.session.refresh(app)
    _event(actor, app.id, "closing_waiver", note=reason, at=now, data={"missing": missing})
    return app


def close_case(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """CS closes a case whose replacement shipped or refund was credited, once the papers are complete or waived."""
    now = at or utcnow()
    return _transition(actor, app, "close", note=(note or "").strip()[:500], at=now, closed_by=_who(actor)[1],
                       closed_at=now, data={"waived": app.closing_waived_at is not None})


def reopen(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """The supervisor settles the dealer's dispute of a refusal in the dealer's favour: approval starts again.

    Both departments decide again (their earlier decisions stay in the history);
    the one-working-day approval clock runs from now. The dispute task is resolved.
    """
    require_role(actor, *st.ACTION_ROLES["reopen"])
    ensure_access(actor, app.office_id)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Say why the refusal is set aside."), errors={"note": [_("Required.")]})
    task = disputed_refusal(app)
    if task is None:
        problem = _guard_problem(app, "reopen") if app.state == st.REFUSED else None
        if problem:
            raise Conflict(problem, current_state=app.state, allowed=allowed_now(app))
        raise _invalid(app, "reopen")
    task_service.settle(actor, task, "reopen", note, at=at)
    return app


def _reopen(actor, app: DoaApplication, task: Task, note: str, now: datetime) -> None:
    # The dealer may have applied again for the same unit meanwhile: one open application per unit.
    busy = {s: n for s, n in _open_application_with([u.serial for u in app.declared_units]).items() if n != app.number}
    if busy:
        serial = sorted(busy)[0]
        raise Conflict(_("Unit %(s)s is already on DOA application %(n)s.", s=serial, n=busy[serial]),
                       errors={"units": [_("%(s)s is on %(n)s.", s=s, n=n) for s, n in sorted(busy.items())]})
    _transition(actor, app, "reopen", note=note[:500], at=now, data={"task": task.id},
                channel_decision=None, channel_by=None, channel_at=None, channel_reason="",
                product_decision=None, product_by=None, product_at=None, product_reason="", closed_reason="",
                approval_due=add_working_days(local_day(now), APPROVAL_DAYS))


# --------------------------------------------------------------------------- scan station

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


def application_view(app: DoaApplication) -> dict:
    """The application as the scan station and the lookup show it."""
    today = local_today()
    due = app.next_due
    return {"id": app.id, "number": app.number, "state": app.state, "state_label": st.state_label(app.state),
            "request": app.request, "dealer": app.dealer.name if app.dealer else "",
            "next_due": due.isoformat() if due else None, "overdue": app.is_overdue(today),
            "declared": len(app.declared_units),
            "arrived": sum(1 for u in app.units if u.arrived_at is not None),
            "units": [{"serial": u.serial, "model": u.model, "arrived": u.arrived_at is not None,
                       "replacement_serial": u.replacement_serial} for u in app.units]}


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


# --------------------------------------------------------------------------- labels

def label_data(actor, number: str) -> list[dict]:
    """What the DOA labels say, for the labels package (which draws them).

    The application label carries the DOA number (scanned at the receive
    station to start and finish a receipt); then one label per declared unit
    carrying its serial. Plain dicts (``code``, ``title``, ``lines``,
    ``notice``) keep repairs free of any import from labels.
    """
    require_role(actor, *st.HANDS)
    app = get_application(actor, number)
    dealer = f"{app.dealer.name} ({app.dealer.code})" if app.dealer else ""
    notice = None
    if app.state in st.PENDING_APPROVAL:
        notice = _("Not approved yet: a unit that arrives now is not accepted as DOA.")
    out = [{"code": app.number, "title": _("DOA application"), "notice": notice, "lines": [
        dealer,
        _("%(n)s unit(s) · %(r)s", n=len(app.declared_units), r=str(st.REQUEST_LABELS[app.request])),
        # No state: the label stays on the parcel while the case moves on.
    ]}]
    for unit in app.declared_units:
        out.append({"code": unit.serial, "title": _("DOA unit"), "notice": None,
                    "lines": [unit.model, _("%(n)s · line %(l)s", n=app.number, l=unit.line_no), dealer]})
    return out


def open_case_rows(serial_is):
    """DOA cases not finished holding a serial, as the repairs "open elsewhere" check reads them
    (``kind, serial, state, unit_id, number, newest``; registered with :mod:`core.open_records`)."""
    du, da = DoaUnit.__table__, DoaApplication.__table__
    return (select(literal_column("'doa'").label("kind"), du.c.serial, da.c.state, null().label("unit_id"), da.c.number,
                   da.c.id)
            .select_from(du.join(da, da.c.id == du.c.application_id))
            .where(serial_is(du.c.serial), da.c.state.not_in(inline_states(st.FINISHED))))


def open_case_on(serial_column):
    """True when a DOA case not finished holds the serial in ``serial_column`` (an EXISTS)."""
    du, da = DoaUnit.__table__, DoaApplication.__table__
    return exists().where(du.c.serial == serial_column, da.c.id == du.c.application_id,
                          da.c.state.not_in(inline_states(st.FINISHED)))


def open_case_message(found: dict) -> str:
    """The clerk's sentence for a serial still open on a DOA case."""
    return _("%(s)s is still open on DOA case %(n)s (%(state)s).", s=found["serial"], n=found["rma_number"],
             state=found["state_label"])


def scan_station_mode(actor, code: str, context: str | None, findings) -> dict:
    """The scan station's "DOA receive" mode (registered with :mod:`core.scan_modes`)."""
    return scan_station_view(scan_doa_arrival(actor, code, context, human_damage="human_damage" in set(findings or ())))


def lookup_views(q: str, *, actor) -> list[dict]:
    """DOA cases for the repairs status look-up, as :func:`application_view` dicts."""
    return [application_view(a) for a in find_doa(q, actor=actor)]


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
