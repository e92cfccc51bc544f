"""The hotline's task process: a question sent to a department (4.1.2), registered with core.tasks.

The department's answer is recorded on the task by CS (the tasks page or the entry's page);
it becomes the entry's standard answer. A department that cannot answer disputes the task,
and the supervisor settles it with the answer. Registered when this module is imported.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from core.extensions import db
from core.tasks import registry as task_registry
from core.tasks.models import Task
from hotline import log, service
from hotline import states as st
from hotline.models import HotlineEntry

KIND_LABELS = {"question": _l("answer a hotline question")}
RESOLUTION_LABELS = {"answered": _l("answered"), "dispute": _l("disputed")}


def entry_of(task: Task) -> HotlineEntry | None:
    """The log entry a hotline task is about."""
    if task.case_type != service.CASE or task.case_id is None:
        return None
    return db.session.get(HotlineEntry, task.case_id)


def _decide(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """``answered`` carries the standard answer in the note and answers the entry; ``dispute`` goes
    to the supervisor, who settles with the answer."""
    if decision != "answered":
        return None
    text = (note or "").strip()
    if not text:
        raise ValidationFailed(_("Write the department's answer in the note."), errors={"note": [_("Required.")]})
    entry = entry_of(task)
    if entry is None or entry.state not in st.WAITING:
        return None
    return lambda now: log.apply_answer(actor, entry, text, at=now)


def _choices(task: Task, settling: bool) -> task_registry.Choices:
    if settling:
        return task_registry.Choices([("answered", _("answered (the note is the answer)"))])
    return task_registry.Choices([("answered", _("answered (the note is the answer)")),
                                  ("dispute", _("the department cannot answer: to the supervisor"))])


def _describe(task: Task) -> task_registry.Subject:
    entry = entry_of(task)
    if entry is None:
        return task_registry.Subject(f"#{task.id}")
    brand = f" · {entry.brand.name}" if entry.brand else ""
    return task_registry.Subject(f"{entry.number}{brand}", f"/hotline/{entry.number}")


task_registry.register_process(task_registry.TaskProcess(
    name=st.PROCESS, label=_l("Hotline"),
    kinds={"question": task_registry.TaskKind(KIND_LABELS["question"], ("answered", "dispute"), ("answered",))},
    resolution_labels=RESOLUTION_LABELS, decide=_decide, choices=_choices, describe=_describe,
))
