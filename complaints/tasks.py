"""The complaints task process: the department's written answer to the internal complaint letter.

Registered with :mod:`core.tasks` on import. CS records the department's answer on the
task (``answered``, the text in the note); the answer moves the complaint on to its
handling report.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints import states as st
from complaints.handling import record_department_answer
from complaints.models import Complaint
from complaints.service import CASE, PROCESS
from core.errors import ValidationFailed
from core.extensions import db
from core.tasks import registry as task_registry
from core.tasks.models import Task


def task_complaint(task: Task) -> Complaint | None:
    """The complaint a complaints task belongs to."""
    return db.session.get(Complaint, task.case_id) if task.case_type == CASE else None


def _decide(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """The department's written answer: required, and the complaint must be waiting for it."""
    if not note.strip():
        raise ValidationFailed(_("Write down the department's answer."), errors={"note": [_("Required.")]})
    complaint = task_complaint(task)
    if complaint is None or complaint.state != st.REFERRED:
        raise ValidationFailed(_("This complaint is not waiting for the department's answer."),
                               errors={"decision": [_("Not valid for this task.")]})
    return lambda now: record_department_answer(actor, complaint, note.strip(), now, task.id)


def _choices(task: Task, settling: bool) -> task_registry.Choices:
    return task_registry.Choices([("answered", _("answered in writing"))])


def _describe(task: Task) -> task_registry.Subject:
    complaint = task_complaint(task)
    if complaint is None:
        return task_registry.Subject(f"#{task.id}")
    return task_registry.Subject(complaint.number, f"/complaints/{complaint.number}")


task_registry.register_process(task_registry.TaskProcess(
    name=PROCESS, label=_l("Complaints"),
    kinds={"internal_letter": task_registry.TaskKind(st.TASK_KIND_LABELS["internal_letter"], ("answered",), ())},
    resolution_labels=st.TASK_RESOLUTION_LABELS, decide=_decide, choices=_choices, describe=_describe,
))
