"""The DOA application life cycle as ONE explicit transition table.

``TRANSITIONS[state][action] -> next state``. Only :mod:`doa.service`
applies it; anything not in the table is an :class:`core.errors.InvalidTransition`
(409, with the current state and the allowed actions). ``ACTION_ROLES`` says
which role performs each action, so a department's step is refused to anyone
without that department's role (admins pass every check).

Approval (B.1): channel and product decide in either order; both must
approve. After receipt (B.2) a replacement (B.4, B.5) or a refund (B.6).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role

SUBMITTED = "submitted"                    # applied, waiting for both departments
CHANNEL_APPROVED = "channel_approved"      # channel said yes, product still to decide
PRODUCT_APPROVED = "product_approved"      # product said yes, channel still to decide
APPROVED = "approved"                      # the dealer may ship the unit(s)
REFUSED = "refused"                        # a department refused: not a DOA
CANCELLED = "cancelled"                    # withdrawn before the unit arrived
RECEIPT_PROBLEM = "receipt_problem"        # arrived, but not as applied (dealer task open)
DISPUTED = "disputed"                      # the dealer disagrees; the supervisor settles
REJECTED = "rejected"                      # not accepted as a DOA after the check
RECEIVED = "received"                      # accepted on receipt; replacement clock runs
REPLACEMENT_READY = "replacement_ready"    # purchasing repaired or swapped the unit(s)
REPLACEMENT_SHIPPED = "replacement_shipped"  # the finished-goods store shipped it
REFUND_PRODUCT_APPROVED = "refund_product_approved"
REFUND_FINANCE_APPROVED = "refund_finance_approved"
REFUNDED = "refunded"                      # commerce issued the sales return / credit
REFUND_REFUSED = "refund_refused"          # product or finance refused the refund
CLOSED = "closed"                          # outcome done and the papers complete (or waived)

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

STATE_LABELS = {
    SUBMITTED: _l("waiting for approval"),
    CHANNEL_APPROVED: _l("channel approved, product to decide"),
    PRODUCT_APPROVED: _l("product approved, channel to decide"),
    APPROVED: _l("approved: dealer may ship"),
    REFUSED: _l("refused"),
    CANCELLED: _l("cancelled"),
    RECEIPT_PROBLEM: _l("receipt problem: talk to the dealer"),
    DISPUTED: _l("disputed: supervisor to settle"),
    REJECTED: _l("not accepted as DOA"),
    RECEIVED: _l("received"),
    REPLACEMENT_READY: _l("replacement ready"),
    REPLACEMENT_SHIPPED: _l("replacement shipped"),
    REFUND_PRODUCT_APPROVED: _l("refund: product approved"),
    REFUND_FINANCE_APPROVED: _l("refund: finance approved"),
    REFUNDED: _l("refunded (credit issued)"),
    REFUND_REFUSED: _l("refund refused"),
    CLOSED: _l("closed"),
}

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

# The papers a case needs before it closes (B.3 sales head signs for receipt, B.7 signed scan archived).
PAPER_LABELS = {"sales_signoff": _l("the sales head's sign-off"),
                "signed_scan": _l("the scanned signed application")}


def next_state(state: str, action: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None if not allowed."""
    return TRANSITIONS.get(state, {}).get(action)


def allowed_actions(state: str, request: str | None = None) -> list[str]:
    """Actions the table allows from ``state`` (for the dealer's ``request`` if given)."""
    actions = set(TRANSITIONS.get(state, {}))
    if request == "replacement":
        actions -= REFUND_ACTIONS
    elif request == "refund":
        actions -= REPLACEMENT_ACTIONS
    return sorted(actions)


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


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
