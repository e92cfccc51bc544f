"""The dealer-care task process: the welcome call to a new dealer, on the shared task model.

Registered when this module is imported (``dealercare/__init__`` imports it).
"""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.directory.models import Dealer
from core.extensions import db
from core.tasks import registry as task_registry
from core.tasks.models import Task
from dealercare.onboarding import PROCESS
from dealercare.survey import FOLLOW_UP, follow_up_answer

KIND_LABELS = {"welcome_call": _l("Welcome call to a new dealer"),
               FOLLOW_UP: _l("Call back a dealer who gave a low survey score")}
RESOLUTION_LABELS = {"called": _l("called, file checked"), "agreed": _l("settled"),
                     "dispute": _l("to the supervisor"), "followed_up": _l("called back, issue noted")}


def _decide(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """A welcome call changes no record of its own: the answer is the call made (the steps follow on the page)."""
    return None


def _choices(task: Task, settling: bool) -> task_registry.Choices:
    if settling:
        return task_registry.Choices([("agreed", _("settled"))])
    if task.kind == FOLLOW_UP:
        return task_registry.Choices([("followed_up", _("called back, issue noted")),
                                      ("dispute", _("cannot settle it: to the supervisor"))])
    return task_registry.Choices([("called", _("called, file checked")),
                                  ("dispute", _("cannot reach the dealer: to the supervisor"))])


def _describe(task: Task) -> task_registry.Subject:
    dealer = db.session.get(Dealer, task.dealer_id) if task.dealer_id else None
    if dealer is None:
        return task_registry.Subject(f"#{task.id}")
    if task.kind == FOLLOW_UP:
        answer = follow_up_answer(task)
        link = url_for("dealercare.survey_detail", survey_id=answer.survey_id) if answer is not None else None
        return task_registry.Subject(f"{dealer.code} {dealer.name}", link)
    return task_registry.Subject(f"{dealer.code} {dealer.name}", url_for("dealercare.detail", dealer_id=dealer.id))


task_registry.register_process(task_registry.TaskProcess(
    name=PROCESS, label=_l("Dealer care"),
    kinds={"welcome_call": task_registry.TaskKind(KIND_LABELS["welcome_call"], ("called", "dispute"), ("agreed",)),
           FOLLOW_UP: task_registry.TaskKind(KIND_LABELS[FOLLOW_UP], ("followed_up", "dispute"), ("agreed",))},
    resolution_labels=RESOLUTION_LABELS, decide=_decide, choices=_choices, describe=_describe,
))
