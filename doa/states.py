"""The DOA application life cycle as ONE explicit transition table.

``TRANSITIONS[state][action] -> next state``, declared as a :class:`core.workflow.Workflow`
(``WORKFLOW``). Only the DOA service modules apply it (through ``doa.service._transition``); anything not in the table is an
:class:`core.errors.InvalidTransition` (409, with the current state and the allowed actions). ``ACTION_ROLES`` says
which role performs each action, so a department's step is refused to anyone
without that department's role (admins pass every check).

Approval (B.1): channel and product decide in either order; both must
approve. After receipt (B.2) a replacement (B.4, B.5) or a refund (B.6).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role
from core.workflow import LabelledEnum, Workflow


class DoaState(LabelledEnum):
    """Where a DOA application is in its life cycle; each member carries its words."""

    SUBMITTED = "submitted", _l("waiting for approval")  # applied, waiting for both departments
    # channel said yes, product still to decide
    CHANNEL_APPROVED = "channel_approved", _l("channel approved, product to decide")
    # product said yes, channel still to decide
    PRODUCT_APPROVED = "product_approved", _l("product approved, channel to decide")
    APPROVED = "approved", _l("approved: dealer may ship")  # the dealer may ship the unit(s)
    REFUSED = "refused", _l("refused")  # a department refused: not a DOA
    CANCELLED = "cancelled", _l("cancelled")  # withdrawn before the unit arrived
    # arrived, but not as applied (dealer task open)
    RECEIPT_PROBLEM = "receipt_problem", _l("receipt problem: talk to the dealer")
    # the dealer disagrees; the supervisor settles
    DISPUTED = "disputed", _l("disputed: supervisor to settle")
    REJECTED = "rejected", _l("not accepted as DOA")  # not accepted as a DOA after the check
    RECEIVED = "received", _l("received")  # accepted on receipt; replacement clock runs
    # purchasing repaired or swapped the unit(s)
    REPLACEMENT_READY = "replacement_ready", _l("replacement ready")
    # the finished-goods store shipped it
    REPLACEMENT_SHIPPED = "replacement_shipped", _l("replacement shipped")
    REFUND_PRODUCT_APPROVED = "refund_product_approved", _l("refund: product approved")
    REFUND_FINANCE_APPROVED = "refund_finance_approved", _l("refund: finance approved")
    REFUNDED = "refunded", _l("refunded (credit issued)")  # commerce issued the sales return / credit
    REFUND_REFUSED = "refund_refused", _l("refund refused")  # product or finance refused the refund
    CLOSED = "closed", _l("closed")  # outcome done and the papers complete (or waived)


# The old module-level names stay: other code and stored rows use them.
SUBMITTED, CHANNEL_APPROVED, PRODUCT_APPROVED, APPROVED = (
    DoaState.SUBMITTED, DoaState.CHANNEL_APPROVED, DoaState.PRODUCT_APPROVED, DoaState.APPROVED)
REFUSED, CANCELLED, RECEIPT_PROBLEM, DISPUTED = (
    DoaState.REFUSED, DoaState.CANCELLED, DoaState.RECEIPT_PROBLEM, DoaState.DISPUTED)
REJECTED, RECEIVED, REPLACEMENT_READY, REPLACEMENT_SHIPPED = (
    DoaState.REJECTED, DoaState.RECEIVED, DoaState.REPLACEMENT_READY, DoaState.REPLACEMENT_SHIPPED)
REFUND_PRODUCT_APPROVED, REFUND_FINANCE_APPROVED, REFUNDED, REFUND_REFUSED = (
    DoaState.REFUND_PRODUCT_APPROVED, DoaState.REFUND_FINANCE_APPROVED, DoaState.REFUNDED, DoaState.REFUND_REFUSED)
CLOSED = DoaState.CLOSED

TRANSITIONS: dict[str, dict[str, str]] = {
    SUBMITTED: {"channel_approve": CHANNEL_APPROVED, "product_approve": PRODUCT_APPROVED,
                "channel_refuse": REFUSED, "product_refuse": REFUSED, "cancel": CANCELLED},
    CHANNEL_APPROVED: {"product_approve": APPROVED, "product_refuse": REFUSED, "cancel": CANCELLED},
    PRODUCT_APPROVED: {"channel_approve": APPROVED, "channel_refuse": REFUSED, "cancel": CANCELLED},
    APPROVED: {"receive_ok": RECEIVED, "receive_problem": RECEIPT_PROBLEM, "cancel": CANCELLED},
    RECEIPT_PROBLEM: {"dealer_accept": RECEIVED, "dealer_reject": REJECTED, "dispute": DISPUTED},
    DISPUTED: {"settle_accept": RECEIVED, "settle_reject": REJECTED},
    RECEIVED: {"purchasing_done": REPLACEMENT_READY, "refund_product_approve": REFUND_PRODUCT_APPROVED,
               "refund_product_refuse": REFUND_REFUSED},
    REPLACEMENT_READY: {"ship_replacement": REPLACEMENT_SHIPPED},
    # The case closes only once the sales head signed and the signed application is scanned,
    # or the supervisor waived what is missing (service.can_close).
    REPLACEMENT_SHIPPED: {"close": CLOSED},
    REFUND_PRODUCT_APPROVED: {"refund_finance_approve": REFUND_FINANCE_APPROVED,
                              "refund_finance_refuse": REFUND_REFUSED},
    REFUND_FINANCE_APPROVED: {"issue_credit": REFUNDED},
    REFUNDED: {"close": CLOSED},
    REFUND_REFUSED: {"switch_to_replacement": RECEIVED},
    # The supervisor settled the dealer's dispute of a refusal in the dealer's favour:
    # both departments decide again (service.can_reopen).
    REFUSED: {"reopen": SUBMITTED},
    CANCELLED: {},
    REJECTED: {},
    CLOSED: {},
}

STATES = tuple(TRANSITIONS)
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
# No unit work left: the unit may go on a new application. A refused application may still be
# reopened and a shipped or refunded one still waits for its papers, but neither holds the unit.
FINISHED = TERMINAL | {REFUSED, REPLACEMENT_SHIPPED, REFUNDED}
# Before approval, a unit that arrives is not accepted as a DOA.
PENDING_APPROVAL = frozenset({SUBMITTED, CHANNEL_APPROVED, PRODUCT_APPROVED})
# Which deadline runs in which state (DoaApplication.next_due).
APPROVAL_CLOCK = PENDING_APPROVAL
REPLACEMENT_CLOCK = frozenset({RECEIVED, REPLACEMENT_READY})
# Only these actions depend on what the dealer asked for.
REPLACEMENT_ACTIONS = frozenset({"purchasing_done", "ship_replacement"})
REFUND_ACTIONS = frozenset({"refund_product_approve", "refund_product_refuse", "refund_finance_approve",
                            "refund_finance_refuse", "issue_credit", "switch_to_replacement"})

CS = (Role.SERVICE, Role.SUPERVISOR)
HANDS = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)

# Who performs each action (admins pass every role check).
ACTION_ROLES: dict[str, tuple] = {
    "channel_approve": (Role.CHANNEL,), "channel_refuse": (Role.CHANNEL,),
    "product_approve": (Role.PRODUCT,), "product_refuse": (Role.PRODUCT,),
    "cancel": CS,
    "receive_ok": HANDS, "receive_problem": HANDS,
    "dealer_accept": CS, "dealer_reject": CS, "dispute": CS,
    "settle_accept": (Role.SUPERVISOR,), "settle_reject": (Role.SUPERVISOR,),
    "purchasing_done": (Role.PURCHASING,),
    "ship_replacement": HANDS,
    "refund_product_approve": (Role.PRODUCT,), "refund_product_refuse": (Role.PRODUCT,),
    "refund_finance_approve": (Role.FINANCE,), "refund_finance_refuse": (Role.FINANCE,),
    "issue_credit": (Role.COMMERCE,),
    "switch_to_replacement": CS,
    "close": CS,
    "reopen": (Role.SUPERVISOR,),
}

STATE_LABELS = DoaState.labels()

ACTION_LABELS = {
    "channel_approve": _l("channel: approve"),
    "channel_refuse": _l("channel: refuse"),
    "product_approve": _l("product: approve"),
    "product_refuse": _l("product: refuse"),
    "cancel": _l("cancel"),
    "receive_ok": _l("receive"),
    "receive_problem": _l("receive with a problem"),
    "dealer_accept": _l("dealer agrees: proceed"),
    "dealer_reject": _l("dealer agrees: not a DOA"),
    "dispute": _l("dealer disputes"),
    "settle_accept": _l("supervisor: accept as DOA"),
    "settle_reject": _l("supervisor: not a DOA"),
    "purchasing_done": _l("purchasing: repaired or swapped"),
    "ship_replacement": _l("ship the replacement"),
    "refund_product_approve": _l("refund: product approves"),
    "refund_product_refuse": _l("refund: product refuses"),
    "refund_finance_approve": _l("refund: finance approves"),
    "refund_finance_refuse": _l("refund: finance refuses"),
    "issue_credit": _l("refund: commerce issues the credit"),
    "switch_to_replacement": _l("switch to a replacement"),
    "close": _l("close the case"),
    "reopen": _l("supervisor: reopen for approval"),
}

# History rows that are not state changes.
EVENT_LABELS = {
    "apply": _l("applied"),
    "unit_arrived": _l("unit arrived"),
    "human_damage": _l("human damage noted"),
    "arrived_unapproved": _l("arrived before approval: held"),
    "hold_to_repair": _l("held unit turned into a repair"),
    "hold_set_aside": _l("held unit set aside"),
    "sales_signoff": _l("sales head signed for receipt"),
    "attach": _l("signed application attached"),
    "closing_waiver": _l("supervisor waived missing papers"),
}

REQUEST_LABELS = {"replacement": _l("replacement"), "refund": _l("refund")}
# A department's answer to an application (channel_decision, product_decision).
DECISION_LABELS = {"approved": _l("approved"), "refused": _l("refused")}

# The papers a case needs before it closes (B.3 sales head signs for receipt, B.7 signed scan archived).
PAPER_LABELS = {"sales_signoff": _l("the sales head's sign-off"),
                "signed_scan": _l("the scanned signed application")}


def _available(app) -> set[str]:
    """The steps open to an application given what the dealer asked for."""
    if app.request == "replacement":
        return set(ACTION_ROLES) - REFUND_ACTIONS
    if app.request == "refund":
        return set(ACTION_ROLES) - REPLACEMENT_ACTIONS
    return set(ACTION_ROLES)


# The table with its role guards; the guard that reads the case's papers is attached in
# doa.service (``WORKFLOW.guarded(...)``), which every change goes through.
WORKFLOW = Workflow(
    states=DoaState, transitions=TRANSITIONS, action_labels=ACTION_LABELS,
    event_model="doa.models:DoaEvent",
    event_values=lambda app: {"application_id": app.id},
    name_attr="number", roles=ACTION_ROLES, available=_available,
)


def next_state(state: str, action: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None if not allowed."""
    return WORKFLOW.next_state(state, action)


def allowed_actions(state: str, request: str | None = None) -> list[str]:
    """Actions the table allows from ``state`` (for the dealer's ``request`` if given)."""
    actions = set(WORKFLOW.table_actions(state))
    if request == "replacement":
        actions -= REFUND_ACTIONS
    elif request == "refund":
        actions -= REPLACEMENT_ACTIONS
    return sorted(actions)


def state_label(state: str) -> str:
    return DoaState.label_of(state)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action) or EVENT_LABELS.get(action, action))


# Dealer-contact tasks of a case: what each is about, and how it was answered or settled.
TASK_KIND_LABELS = {
    "unapproved_arrival": _l("arrived without approval"), "refused": _l("application refused"),
    "mismatch": _l("arrived not as applied"), "human_damage": _l("human damage"),
}
TASK_RESOLUTION_LABELS = {
    "proceed": _l("go ahead as a DOA case"), "not_doa": _l("not a DOA case"), "dispute": _l("dealer disputes"),
    "agreed": _l("dealer agrees"), "reopen": _l("reopened for approval"),
}
