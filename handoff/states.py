"""The internal hand-off letter's words and life cycle (部门工作提交函, manual ch. 3 三.一, 附件2).

One department hands work to another with a committed completion date (对接承诺). The
receiving department accepts it (and may commit to another working day), then reports it
done; or it returns the letter with its reason. While the letter waits its task
(:mod:`core.tasks`) is open, addressed to the receiving department and due the committed day.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role
from core.workflow import LabelledEnum, Workflow

PROCESS = "handoff"
CASE = "handoff_letter"
# Customer service writes the letters, and records the receiving department's answers on them
# as it records a department's answer to a hotline question (the departments read, CS records).
DESK = (Role.SERVICE, Role.SUPERVISOR)


class LetterState(LabelledEnum):
    """Where a hand-off letter stands."""

    SENT = "sent", _l("sent, awaiting the department")
    ACCEPTED = "accepted", _l("accepted")
    DONE = "done", _l("done")
    RETURNED = "returned", _l("returned")


SENT, ACCEPTED, DONE, RETURNED = LetterState.SENT, LetterState.ACCEPTED, LetterState.DONE, LetterState.RETURNED
WAITING = (SENT, ACCEPTED)

WORKFLOW = Workflow(
    states=LetterState,
    transitions={
        SENT: {"accept": ACCEPTED, "return": RETURNED},
        ACCEPTED: {"done": DONE, "return": RETURNED},
    },
    action_labels={"accept": _l("accept"), "done": _l("report done"), "return": _l("return")},
    event_model="handoff.models:HandoffLetterEvent",
    event_values=lambda letter: {"letter_id": letter.id},
    name_attr="number",
    roles={"accept": DESK, "done": DESK, "return": DESK},
)
