"""The one task life cycle: open -> agreed | disputed -> resolved, for every process.

Answering (CS or the supervisor) records the dealer's or department's answer; a
dispute waits for the supervisor, whose settlement resolves it. What an answer
does to the process's own records is the process's ``decide`` hook
(:mod:`core.tasks.registry`); the status, the note, who closed it and the 409 for
a second answer are kept here.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from core import authz
from core.accounts.roles import Role
from core.audit.labels import register_value_labels
from core.calendar.service import local_day
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import render_message
from core.ids import is_id
from core.locking import hold_in_state
from core.pagination import Key, KeysetPage, keyset
from core.queries import in_chunks
from core.task_states import TASK_STATUS_LABELS, task_status_label, task_taken
from core.tasks import registry
from core.tasks.models import Task
from core.types import utcnow
from core.workflow import who

ANSWER_ROLES = (Role.SERVICE, Role.SUPERVISOR)
SETTLE_ROLES = (Role.SUPERVISOR,)
WAITING = ("open", "disputed")

register_value_labels("task", "kind", registry.KIND_LABELS)
register_value_labels("task", "status", TASK_STATUS_LABELS)
register_value_labels("task", "resolution", registry.RESOLUTION_LABELS)


def _check_access(actor, office_id: int | None) -> None:
    """Office users see and answer only their own office's tasks."""
    authz.require_office(actor, office_id, approvers_see_all=True)


def open_task(process: str, kind: str, detail: dict | str, *, case: tuple[str, int] | None = None,
              subject: tuple[str, int] | None = None, dealer_id: int | None = None, office_id: int | None = None,
              department_id: int | None = None, due_on: date | None = None, at: datetime | None = None) -> Task:
    """Open a task of ``process`` due ``due_on`` (default: the day it opens, same-day contact).

    ``detail`` says what to tell them: a :func:`core.i18n.message` (stored as its id and
    parameters, shown in the reader's language by :func:`task_detail`) or free text a
    user typed, kept as written.
    """
    if kind not in registry.process(process).kinds:
        raise ValidationFailed(_("Unknown task kind."), errors={"kind": [_("Not valid for this process.")]})
    now = at or utcnow()
    words = detail if isinstance(detail, dict) else None
    task = Task(process=process, kind=kind, detail="" if words else (detail or "")[:500],
                detail_key=words["msg"] if words else None, detail_params=words.get("params") if words else None,
                dealer_id=dealer_id, office_id=office_id,
                department_id=department_id, case_type=case[0] if case else None, case_id=case[1] if case else None,
                subject_type=subject[0] if subject else None, subject_id=subject[1] if subject else None,
                due_on=due_on or local_day(now), status="open", created_at=now)
    db.session.add(task)
    db.session.flush()
    return task


def get_task(actor, task_id: int, *, process: str | None = None) -> Task:
    """Task ``task_id`` (of ``process`` when given) if ``actor`` may see it."""
    task = db.session.get(Task, task_id) if is_id(task_id) else None
    if task is None or (process is not None and task.process != process):
        raise NotFound(_("No such task."))
    _check_access(actor, task.office_id)
    return task


# Earliest due first, then the order they were opened in: the order every task list shows.
# Both keys are NOT NULL; the id makes the order total. The task table's indexes
# (process, status, due_on, id), (status, due_on, id) and (office_id, status, due_on, id)
# make a page of each common filter one range read.
TASK_KEYS = (Key(Task.due_on, "date"), Key(Task.id, "int"))
TASK_PER_PAGE = 50


def tasks(actor, *, process: str | None = None, status: str | None = "open"):
    """Select statement of the tasks ``actor`` may see (of ``process``, in ``status``), earliest due first."""
    stmt = select(Task).order_by(Task.due_on, Task.id)
    if process:
        stmt = stmt.where(Task.process == process)
    if status:
        stmt = stmt.where(Task.status == status)
    return authz.scope_to_office(stmt, actor, Task.office_id, approvers_see_all=True)


def tasks_page(actor, *, process: str | None = None, status: str | None = "open", after=None,
               per_page=TASK_PER_PAGE) -> KeysetPage:
    """One page of :func:`tasks` (earliest due first) after the cursor ``after`` (a forged one is a 422)."""
    return keyset(tasks(actor, process=process, status=status), TASK_KEYS, after, per_page,
                  default_per_page=TASK_PER_PAGE)


def about(*, case: tuple[str, int] | None = None, subject: tuple[str, int] | None = None,
          cases_or_subjects: list[tuple[str, list[int]]] | None = None) -> list[Task]:
    """Every task about ``case`` or ``subject`` (or any of ``cases_or_subjects``), oldest first."""
    clauses = []
    if case:
        clauses.append(and_(Task.case_type == case[0], Task.case_id == case[1]))
    if subject:
        clauses.append(and_(Task.subject_type == subject[0], Task.subject_id == subject[1]))
    for kind, ids in cases_or_subjects or ():
        if ids:
            clauses.append(or_(and_(Task.case_type == kind, Task.case_id.in_(ids)),
                               and_(Task.subject_type == kind, Task.subject_id.in_(ids))))
    if not clauses:
        return []
    return list(db.session.scalars(select(Task).where(or_(*clauses)).order_by(Task.id)))


def overdue(today: date, actor, *, process: str):
    """Select statement of ``process``'s tasks still waiting (open or disputed) after their day."""
    stmt = (select(Task).where(Task.process == process, Task.status.in_(WAITING), Task.due_on < today)
            .order_by(Task.due_on, Task.id))
    return authz.scope_to_office(stmt, actor, Task.office_id, approvers_see_all=True)


# --------------------------------------------------------------------------- words

def task_detail(task: Task) -> str:
    """What the task says to tell them, in the current language.

    The stored message (``detail_key`` with ``detail_params``) is translated now; a
    task opened before messages were stored shows its sentence as written, and free
    text kept alongside a message follows it.
    """
    return detail_words(task.detail_key, task.detail_params, task.detail)


def detail_words(key: str | None, params: dict | None, text: str | None) -> str:
    """:func:`task_detail` from the stored values (for words made later, e.g. in each e-mail's language)."""
    text = text or ""
    if not key:
        return text
    words = render_message({"msg": key, "params": params or {}})
    return f"{words} · {text}" if text else words


def kind_label(task: Task) -> str:
    """The task's kind as users read it."""
    kind = registry.process(task.process).kinds.get(task.kind)
    return str(kind.label) if kind else task.kind


def resolution_label(task: Task) -> str:
    """The answer or settlement recorded, in words ("" while there is none)."""
    if not task.resolution:
        return ""
    return str(registry.process(task.process).resolution_labels.get(task.resolution, task.resolution))


def status_label(task: Task) -> str:
    """The task's status in words."""
    return task_status_label(task.status)


def process_label(task: Task) -> str:
    """The process the task belongs to, in words."""
    return str(registry.process(task.process).label)


def preload(tasks) -> list:
    """Load the cases and subjects of ``tasks`` in one statement per kind of record.

    ``describe`` and ``choices`` find them by primary key (``session.get``), which then
    reads the identity map. The session holds its objects weakly: keep the returned
    list as long as the tasks are shown.
    """
    wanted: dict[type, set] = {}
    for task in tasks:
        records = registry.process(task.process).records
        for kind, record_id in ((task.case_type, task.case_id), (task.subject_type, task.subject_id)):
            model = records.get(kind) if kind else None
            if model is not None and record_id is not None:
                wanted.setdefault(model, set()).add(record_id)
    loaded: list = []
    for model, ids in wanted.items():
        for chunk in in_chunks(sorted(ids)):
            loaded += db.session.scalars(select(model).where(model.id.in_(chunk))).all()
    return loaded


def subject(task: Task) -> registry.Subject:
    """What the task is about (words and a link), as its process describes it."""
    return registry.process(task.process).describe(task)


# --------------------------------------------------------------------------- who may do what now

def _holds(actor, roles) -> bool:
    return actor is not None and actor.has_role(*roles)


def can_answer(actor, task: Task) -> bool:
    """Whether ``actor`` may record the answer to ``task`` now (it is open, the actor is CS)."""
    return task.status == "open" and _holds(actor, ANSWER_ROLES) and _sees(actor, task)


def can_settle(actor, task: Task) -> bool:
    """Whether ``actor`` may settle ``task`` now (it is disputed, the actor is the supervisor)."""
    return task.status == "disputed" and _holds(actor, SETTLE_ROLES) and _sees(actor, task)


def waits_for_supervisor(actor, task: Task) -> bool:
    """A disputed task someone other than the supervisor is looking at."""
    return task.status == "disputed" and not _holds(actor, SETTLE_ROLES)


def is_late(task: Task, today: date) -> bool:
    """Still waiting for an answer after its day."""
    return task.status in WAITING and task.due_on < today


def _sees(actor, task: Task) -> bool:
    # Departments answer tasks of every office (a DOA approval, a question from the hotline desk).
    return authz.can_see_office(actor, task.office_id, approvers_see_all=True)


def choices(task: Task, *, settling: bool | None = None) -> registry.Choices:
    """The decisions a form offers for ``task`` now (answers while open, settlements while disputed)."""
    settling = task.status == "disputed" if settling is None else settling
    return registry.process(task.process).choices(task, settling)


# --------------------------------------------------------------------------- the life cycle

def _claim(task: Task, expected: str) -> None:
    """Lock the task in status ``expected`` before answering it (a guarded no-op UPDATE).

    The row lock (PostgreSQL) or write lock (SQLite) makes a second answer given at
    the same moment wait, then find the task answered: 409, and nothing done twice.
    """
    if not hold_in_state(task, expected):
        raise task_taken(task.status)


def _add_note(task: Task, note: str) -> None:
    task.note = ((task.note + "\n") if task.note else "") + (note or "").strip()


def answer(actor, task: Task, decision: str, note: str = "", *, at: datetime | None = None, **terms) -> Task:
    """Record the answer to an open task: a decision its kind allows, or ``dispute`` (to the supervisor).

    The process checks the decision against its record and says what it does
    there (a held unit repaired, a receipt accepted as DOA ...); an answer closes
    the task (agreed), a dispute leaves it for :func:`settle`.
    """
    authz.require(actor, *ANSWER_ROLES, message=_("Your role does not allow this step."))
    _check_access(actor, task.office_id)
    if task.status != "open":
        raise task_taken(task.status)
    return _decide(actor, task, decision, note, at, terms, settling=False,
                   status="disputed" if decision == "dispute" else "agreed")


def settle(actor, task: Task, decision: str, note: str = "", *, at: datetime | None = None, **terms) -> Task:
    """The supervisor settles a disputed task with a settlement its kind allows; it is resolved."""
    authz.require(actor, *SETTLE_ROLES, message=_("Only the supervisor settles disputes."))
    _check_access(actor, task.office_id)
    if task.status != "disputed":
        raise Conflict(_("Only disputed tasks are settled by the supervisor."), current_state=task.status)
    return _decide(actor, task, decision, note, at, terms, settling=True, status="resolved")


def _decide(actor, task: Task, decision: str, note: str, at: datetime | None, terms: dict, *,
            settling: bool, status: str) -> Task:
    """One step of the life cycle: the process checks the decision and says what it does to its
    records, the task is claimed in its current status (a second answer is a 409), then moved."""
    proc = registry.process(task.process)
    _known(decision, proc.settlements if settling else proc.answers)
    _terms_known(proc, terms)
    effect = proc.decide(actor, task, decision, note or "", settling, terms)
    kind = proc.kinds[task.kind]
    _allowed(decision, kind.settlements if settling else kind.answers)
    _claim(task, task.status)
    now = at or utcnow()
    if effect is not None:
        effect(now)
    task.status = status
    task.resolution = decision
    _add_note(task, note)
    if status != "disputed":
        task.closed_at = now
        task.closed_by = who(actor)[1]
    db.session.flush()
    return task


def _known(decision: str, allowed: tuple[str, ...]) -> None:
    if decision not in allowed:
        raise ValidationFailed(_("Unknown decision."),
                               errors={"decision": [_("Choose one of: %(c)s.", c=", ".join(allowed))]})


def _allowed(decision: str, allowed: tuple[str, ...]) -> None:
    if decision not in allowed:
        raise ValidationFailed(_("Not valid for this task."), errors={"decision": [_("Not valid for this task.")]})


def _terms_known(proc: registry.TaskProcess, terms: dict) -> None:
    unknown = [t for t in terms if t not in proc.term_labels]
    if unknown:
        raise ValidationFailed(_("These fields do not go with this task: %(f)s.", f=", ".join(unknown)),
                               errors={t: [_("Not expected.")] for t in unknown})
