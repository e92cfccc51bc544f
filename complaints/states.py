"""The complaint life cycle (客诉, DOMAIN.md E, manual ch. 3 part 6) as ONE transition table.

Three tiers: an ordinary complaint (一般投诉) is answered directly; a serious one
(情节较严重) goes to the responsible department with an internal complaint letter,
whose written answer becomes the handling report (客诉处理报告), signed off by the
department head before the dealer is answered; a very serious one with compensation
(情节特别严重涉及费用赔偿) also goes to the general manager's assistant for approval.
After the dealer is answered the fix follows, then the return visit (回访), then closing.

Only :mod:`complaints.service` applies the table (``WORKFLOW.apply``); the guard that
reads the sign-off and the approval is attached there.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role
from core.workflow import LabelledEnum, Workflow


class Tier(LabelledEnum):
    """How serious a complaint is; it decides the steps and the deadline."""

    ORDINARY = "ordinary", _l("ordinary")
    SERIOUS = "serious", _l("serious")
    VERY_SERIOUS = "very_serious", _l("very serious, with compensation")


class ComplaintState(LabelledEnum):
    """Where a complaint is; each member carries its words."""

    REGISTERED = "registered", _l("registered")
    REFERRED = "referred", _l("internal letter sent: department to answer")
    REPORTING = "reporting", _l("department answered: handling report to sign off")
    SIGNED = "signed", _l("handling report signed off")
    APPROVED = "approved", _l("approved by the GM's assistant")
    ANSWERED = "answered", _l("dealer answered: fix under way")
    FIXED = "fixed", _l("fixed: return visit due")
    VISITED = "visited", _l("return visit recorded")
    CLOSED = "closed", _l("closed")


REGISTERED, REFERRED, REPORTING, SIGNED = (ComplaintState.REGISTERED, ComplaintState.REFERRED,
                                           ComplaintState.REPORTING, ComplaintState.SIGNED)
APPROVED, ANSWERED, FIXED, VISITED, CLOSED = (ComplaintState.APPROVED, ComplaintState.ANSWERED,
                                              ComplaintState.FIXED, ComplaintState.VISITED, ComplaintState.CLOSED)

# "answer" stands in every state before the dealer is answered: the service's guard says in
# words what is missing (the sign-off, the GM assistant's approval) instead of a bare "not now".
TRANSITIONS: dict[str, dict[str, str]] = {
    REGISTERED: {"answer": ANSWERED, "refer": REFERRED},
    REFERRED: {"department_answered": REPORTING, "answer": ANSWERED},
    REPORTING: {"sign_off": SIGNED, "answer": ANSWERED},
    SIGNED: {"gm_approve": APPROVED, "gm_return": REPORTING, "answer": ANSWERED},
    APPROVED: {"answer": ANSWERED},
    ANSWERED: {"fix": FIXED},
    FIXED: {"visit": VISITED},
    VISITED: {"close": CLOSED},
    CLOSED: {},
}

# Until the dealer is answered the answer clock runs; a very serious complaint's due day is the supervisor's.
ANSWER_CLOCK = frozenset({REGISTERED, REFERRED, REPORTING, SIGNED, APPROVED})
VISIT_CLOCK = frozenset({FIXED})
OPEN_STATES = frozenset(TRANSITIONS) - {CLOSED}

CS = (Role.SERVICE, Role.SUPERVISOR)
# The department head who signs the handling report is the CS supervisor (部门负责人签字).
HEAD = (Role.SUPERVISOR,)
GM = (Role.GM_ASSISTANT,)

ACTION_ROLES: dict[str, tuple] = {
    "answer": CS, "refer": CS, "department_answered": CS, "sign_off": HEAD, "gm_approve": GM, "gm_return": GM,
    "fix": CS, "visit": CS, "close": CS,
}

ACTION_LABELS = {
    "answer": _l("answer the dealer"),
    "refer": _l("send the internal complaint letter"),
    "department_answered": _l("record the department's written answer"),
    "sign_off": _l("sign off the handling report"),
    "gm_approve": _l("GM's assistant: approve the handling report"),
    "gm_return": _l("GM's assistant: send the handling report back"),
    "fix": _l("record the fix"),
    "visit": _l("record the return visit"),
    "close": _l("close the complaint"),
}

# History rows that are no transition.
EVENT_LABELS = {
    "register": _l("registered"),
    "attach": _l("dealer's complaint letter attached"),
    "report": _l("handling report written"),
    "set_due": _l("due day set"),
    "update": _l("interim update"),
    "mediation": _l("mediation agreement recorded"),
}

# The steps only a written complaint takes (serious and very serious).
WRITTEN_ONLY = frozenset({"refer", "department_answered", "sign_off"})
GM_ONLY = frozenset({"gm_approve", "gm_return"})


def _available(complaint) -> set[str]:
    """The steps open to a complaint of its tier."""
    actions = set(ACTION_ROLES)
    if complaint.tier == Tier.ORDINARY:
        actions -= WRITTEN_ONLY | GM_ONLY
    elif complaint.tier == Tier.SERIOUS:
        actions -= GM_ONLY
    return actions


WORKFLOW = Workflow(
    states=ComplaintState, transitions=TRANSITIONS, action_labels=ACTION_LABELS,
    event_model="complaints.models:ComplaintEvent",
    event_values=lambda c: {"complaint_id": c.id},
    name_attr="number", roles=ACTION_ROLES, available=_available,
)


def state_label(state: str) -> str:
    """A stored state in words."""
    return ComplaintState.label_of(state)


def action_label(action: str) -> str:
    """A history row's action in words (transition or plain event)."""
    return str(ACTION_LABELS.get(action) or EVENT_LABELS.get(action, action))


TASK_KIND_LABELS = {"internal_letter": _l("internal complaint letter: answer in writing")}
TASK_RESOLUTION_LABELS = {"answered": _l("answered in writing")}
