"""The DOA task process (same-day dealer contact): its registration with :mod:`core.tasks`
and what a dealer's answer or the supervisor's settlement does to the application.

The process is registered when this module is imported (``doa/__init__`` imports it).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.tasks import registry as task_registry
from core.tasks import service as task_service
from core.tasks.models import Task
from doa import states as st
from doa.approvals import _reopen
from doa.models import DoaApplication, DoaHold
from doa.service import (
    APPLICATION,
    HOLD,
    PROCESS,
    _transition,
    can_reopen,
    task_application,
    task_hold,
)


def get_task(actor, task_id: int) -> Task:
    """The DOA task ``task_id`` if ``actor`` may see it."""
    return task_service.get_task(actor, task_id, process=PROCESS)


def tasks(actor, *, status: str | None = "open"):
    """Select statement of DOA tasks ``actor`` may see, due first."""
    return task_service.tasks(actor, process=PROCESS, status=status)


def tasks_page(actor, *, status: str | None = "open", after=None, per_page=task_service.TASK_PER_PAGE):
    """One page of :func:`tasks` after the cursor ``after`` (due first)."""
    return task_service.tasks_page(actor, process=PROCESS, status=status, after=after, per_page=per_page)


def tasks_of(app: DoaApplication) -> list[Task]:
    """Every task of one application, oldest first."""
    return task_service.about(case=(APPLICATION, app.id))


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
    describe=_describe_task, records={APPLICATION: DoaApplication, HOLD: DoaHold},
))
