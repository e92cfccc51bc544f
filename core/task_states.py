"""The statuses a dealer-contact task (repairs and DOA alike) passes through, in words."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import Conflict

TASK_STATUS_LABELS = {"open": _l("open"), "agreed": _l("agreed"), "disputed": _l("disputed"),
                      "resolved": _l("resolved")}


def task_status_label(status: str) -> str:
    """A task status as users read it (the code itself only if it is not a known one)."""
    return str(TASK_STATUS_LABELS.get(status, status))


def task_taken(status: str) -> Conflict:
    """The 409 for answering a task someone else answered first."""
    return Conflict(_("This task is already %(s)s.", s=task_status_label(status)), current_state=status)
