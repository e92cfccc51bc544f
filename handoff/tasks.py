"""The hand-off letter's task process on :mod:`core.tasks`: the receiving department's work.

The task is addressed to the receiving department and due the committed day. Its answer
(recorded by CS on the letter's page or the tasks page) is ``done`` or ``returned`` (the note
is the reason); either moves the letter too. Registered when this module is imported.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.extensions import db
from core.tasks import registry as task_registry
from core.tasks.models import Task
from handoff import service
from handoff import states as st
from handoff.models import HandoffLetter

KIND_LABELS = {service.KIND: _l("do the work of a hand-off letter")}
RESOLUTION_LABELS = {"done": _l("done"), "returned": _l("returned")}


def letter_of(task: Task) -> HandoffLetter | None:
    """The letter a hand-off task belongs to."""
    if task.case_type != st.CASE or task.case_id is None:
        return None
    return db.session.get(HandoffLetter, task.case_id)


def _decide(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """``done`` needs the letter accepted; ``returned`` needs the reason in the note."""
    letter = letter_of(task)
    if letter is None:
        return None
    if decision == "returned":
        note = service.check_reason(note)
        st.WORKFLOW.require(letter, "return")
    else:
        st.WORKFLOW.require(letter, "done")
    return lambda now: service.apply_from_task(actor, letter, decision, (note or "").strip(), now)


def _choices(task: Task, settling: bool) -> task_registry.Choices:
    letter = letter_of(task)
    options = []
    if letter is not None and "done" in st.WORKFLOW.possible(letter):
        options.append(("done", _("done")))
    options.append(("returned", _("returned (the note is the reason)")))
    return task_registry.Choices(options)


def _describe(task: Task) -> task_registry.Subject:
    letter = letter_of(task)
    if letter is None:
        return task_registry.Subject(f"#{task.id}")
    return task_registry.Subject(f"{letter.number} · {letter.subject}", f"/handoff/{letter.id}")


task_registry.register_process(task_registry.TaskProcess(
    name=st.PROCESS, label=_l("Hand-off letters"),
    kinds={service.KIND: task_registry.TaskKind(KIND_LABELS[service.KIND], ("done", "returned"), ())},
    resolution_labels=RESOLUTION_LABELS, decide=_decide, choices=_choices, describe=_describe,
    records={st.CASE: HandoffLetter},
))
