"""What every DOA rule shares: who may act where, the constants, and the one way a case changes.

Every state change goes through :func:`_transition` and the workflow core's
``WORKFLOW.apply`` (:mod:`core.workflow`): it checks the acting user's department
role (``states.ACTION_ROLES``), applies the table in
:mod:`doa.states` with a guarded UPDATE (``... WHERE state = :expected``)
so two people acting at once cause exactly one transition, and appends a
:class:`DoaEvent` in the same transaction. Services only flush.

The rules themselves live beside this module: :mod:`doa.applications`,
:mod:`doa.approvals`, :mod:`doa.receipt`, :mod:`doa.replacement`,
:mod:`doa.closing`, :mod:`doa.lookup`, :mod:`doa.overdue`, :mod:`doa.tasks` and
:mod:`doa.label_data`.
"""
from __future__ import annotations

import re
import zlib
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select, text, update

from core import authz
from core.accounts.roles import DEPARTMENT_ROLES, HQ_ROLES, Role
from core.directory.models import Dealer
from core.errors import InvalidTransition, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.locking import hold_in_state
from core.tasks import service as task_service
from core.tasks.models import Task
from doa import states as st
from doa.models import DoaApplication, DoaAttachment, DoaHold

APPROVAL_DAYS = 1      # CS's internal approval (B.1, 3.3)
REPLACEMENT_DAYS = 7   # replacement ships within 7 working days of receipt (B.5)
SERIAL_RE = re.compile(r"^[A-Z0-9._/\-]{1,64}$")
NUMBER_RE = re.compile(r"^DOA\d{4}-\d{3,}$", re.IGNORECASE)
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


# --------------------------------------------------------------------------- workflow, papers guard, transitions

def allowed_now(app: DoaApplication) -> list[str]:
    """Actions the table allows from the state whose guard also passes now (any role)."""
    return WORKFLOW.possible(app)


def allowed_for(actor, app: DoaApplication) -> list[str]:
    """Actions the table allows now, whose guard passes, that ``actor``'s roles also allow (for the buttons)."""
    return WORKFLOW.allowed_actions(app, actor)


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


# --------------------------------------------------------------------------- tasks (opening one, what it is about)

PROCESS = "doa"
APPLICATION, HOLD = "doa_application", "doa_hold"


def _open_task(app: DoaApplication | None, kind: str, detail: dict, *, hold: DoaHold | None = None,
               dealer_id: int | None = None, office_id: int | None = None, at=None) -> Task:
    # ``detail`` is a core.i18n.message: the task is shown in the reader's language.
    return task_service.open_task(PROCESS, kind, detail, case=(APPLICATION, app.id) if app else None,
                                  subject=(HOLD, hold.id) if hold else None,
                                  dealer_id=app.dealer_id if app else dealer_id,
                                  office_id=app.office_id if app else office_id, at=at)


def task_application(task: Task) -> DoaApplication | None:
    """The application a DOA task belongs to (None for a unit that came without one)."""
    return db.session.get(DoaApplication, task.case_id) if task.case_type == APPLICATION else None


def task_hold(task: Task) -> DoaHold | None:
    """The held unit a DOA task is about, if any."""
    return db.session.get(DoaHold, task.subject_id) if task.subject_type == HOLD else None


# --------------------------------------------------------------------------- inputs several steps read

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
