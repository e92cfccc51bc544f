"""The unit life cycle as ONE explicit transition table.

``TRANSITIONS[state][action] -> next state``, declared as a :class:`core.workflow.Workflow`
(``WORKFLOW``); only the repairs service modules (intake, receiving, inspection, factory, dealer_tasks, swap) apply it, through ``WORKFLOW.apply``.
Anything not in the table is an :class:`core.errors.InvalidTransition`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.workflow import LabelledEnum, Workflow


class UnitState(LabelledEnum):
    """Where a repair unit is in its life cycle; each member carries its words."""

    DECLARED = "declared", _l("declared")  # on the dealer's list, not arrived yet
    MISSING = "missing", _l("missing")  # declared, but not in the parcel when receipt was completed
    RECEIVED = "received", _l("received")  # in our hands, not yet checked
    # inspection found a problem; the dealer must decide
    AWAITING_DEALER = "awaiting_dealer", _l("awaiting dealer")
    DISPUTED = "disputed", _l("disputed")  # the dealer disagrees; the supervisor settles it
    INSPECTED = "inspected", _l("accepted")  # accepted by CS (验收), ready for the factory
    AT_FACTORY = "at_factory", _l("at factory")  # sent to the repair route
    READY_TO_SHIP = "ready_to_ship", _l("ready to ship")  # back from the factory (or to be returned as is)
    SHIPPED = "shipped", _l("shipped to dealer")  # on its way back to the dealer
    SCRAPPED = "scrapped", _l("scrapped")  # unrepairable, scrapped with the dealer's consent
    CREDITED = "credited", _l("credited")  # model no longer stocked: kept here, the dealer got a credit note


# The old module-level names stay: other code and stored rows use them.
DECLARED, MISSING, RECEIVED, AWAITING_DEALER, DISPUTED = (
    UnitState.DECLARED, UnitState.MISSING, UnitState.RECEIVED, UnitState.AWAITING_DEALER, UnitState.DISPUTED)
INSPECTED, AT_FACTORY, READY_TO_SHIP, SHIPPED, SCRAPPED, CREDITED = (
    UnitState.INSPECTED, UnitState.AT_FACTORY, UnitState.READY_TO_SHIP, UnitState.SHIPPED, UnitState.SCRAPPED,
    UnitState.CREDITED)

TRANSITIONS: dict[str, dict[str, str]] = {
    DECLARED: {"receive": RECEIVED, "mark_missing": MISSING},
    MISSING: {"receive": RECEIVED},
    RECEIVED: {"inspect_ok": INSPECTED, "inspect_problem": AWAITING_DEALER},
    AWAITING_DEALER: {
        "dealer_repair": INSPECTED, "dealer_return": READY_TO_SHIP,
        "dealer_scrap": SCRAPPED, "dispute": DISPUTED,
        # No stock of the model: another model is shipped instead, or the dealer is credited.
        "dealer_substitute": READY_TO_SHIP, "dealer_credit": CREDITED,
    },
    DISPUTED: {"settle_repair": INSPECTED, "settle_return": READY_TO_SHIP, "settle_scrap": SCRAPPED,
               "settle_substitute": READY_TO_SHIP, "settle_credit": CREDITED},
    # A vendor-managed model (Maxell) is not repaired: the dealer gets a good unit from the vendor pool
    # (repairs.swap); the guard there refuses every other model.
    INSPECTED: {"dispatch": AT_FACTORY, "vendor_swap": SHIPPED},
    AT_FACTORY: {"factory_repaired": READY_TO_SHIP, "factory_replaced": READY_TO_SHIP,
                 "factory_unrepairable": READY_TO_SHIP, "factory_scrapped": SCRAPPED},
    READY_TO_SHIP: {"ship": SHIPPED},
    SHIPPED: {},
    SCRAPPED: {},
    CREDITED: {},
}

STATES = tuple(TRANSITIONS)
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt) | {MISSING}
# Which clock runs in which state (the rules are in repairs.clocks). While the case
# waits for the dealer or the supervisor the CS clocks are paused, not running.
PAUSED = frozenset({AWAITING_DEALER, DISPUTED})
DISPATCH_CLOCK = frozenset({RECEIVED, INSPECTED})
PROMISE_CLOCK = frozenset({INSPECTED, AT_FACTORY, READY_TO_SHIP})
FACTORY_CLOCK = frozenset({AT_FACTORY})
SHIP_CLOCK = frozenset({AT_FACTORY, READY_TO_SHIP})

STATE_LABELS = UnitState.labels()

ACTION_LABELS = {
    "receive": _l("receive"),
    "mark_missing": _l("mark missing"),
    "inspect_ok": _l("accept at inspection"),
    "inspect_problem": _l("inspect with a problem"),
    "dealer_repair": _l("dealer agrees to repair"),
    "dealer_return": _l("dealer wants it back as is"),
    "dealer_scrap": _l("dealer consents to scrap"),
    "dispute": _l("dealer disputes"),
    "settle_repair": _l("supervisor: repair"),
    "settle_return": _l("supervisor: return as is"),
    "settle_scrap": _l("supervisor: scrap"),
    "dealer_substitute": _l("dealer takes a substitute model"),
    "dealer_credit": _l("dealer takes a credit note"),
    "settle_substitute": _l("supervisor: substitute model"),
    "settle_credit": _l("supervisor: credit note"),
    "dispatch": _l("dispatch to factory"),
    "factory_repaired": _l("back from factory: repaired"),
    "factory_replaced": _l("back from factory: replaced"),
    "factory_unrepairable": _l("back from factory: unrepairable"),
    "factory_scrapped": _l("scrapped at factory"),
    "ship": _l("ship to dealer"),
    "vendor_swap": _l("swapped from the vendor pool"),
}

# Events of a unit's history that are not transitions.
EVENT_LABELS = {
    # The unit went into an open box at the scan station; it leaves when the box is closed.
    "pack": _l("packed in a box"),
}


def chase_due(state: str, dispatch_due, ship_due, factory_due):
    """The earliest due day of the clocks running in ``state`` (None while paused or finished).

    Stored on the unit as ``chase_due`` (written with every state or due-day change): the
    unit is overdue exactly when it is before today, and the overdue list is read in its
    order from one index, the unit whose first clock ran out earliest first (repairs.clocks).
    """
    dues = [due for states, due in ((DISPATCH_CLOCK, dispatch_due), (PROMISE_CLOCK, ship_due),
                                    (FACTORY_CLOCK, factory_due)) if state in states and due]
    return min(dues) if dues else None


def _chase_due(state: str, values: dict, source) -> dict:
    """The unit's stored chase_due after a transition, from the values written and, for the due
    days not written, the unit as read (``source``)."""

    def due(name: str):
        return values[name] if name in values else getattr(source, name, None)

    return {"chase_due": chase_due(state, due("dispatch_due"), due("ship_due"), due("factory_due"))}


WORKFLOW = Workflow(
    states=UnitState, transitions=TRANSITIONS, action_labels=ACTION_LABELS,
    event_model="repairs.models:RepairEvent",
    event_values=lambda unit: {"parcel_id": unit.parcel_id, "unit_id": unit.id},
    name_attr="serial", derived=_chase_due,
)


def next_state(state: str, action: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None if not allowed."""
    return WORKFLOW.next_state(state, action)


def allowed_actions(state: str) -> list[str]:
    """Every action the table allows from ``state``."""
    return WORKFLOW.table_actions(state)


def next_due(state: str, dispatch_due, ship_due):
    """The deadline that matters in ``state``: dispatch before the factory, ship-back after."""
    if state in DISPATCH_CLOCK:
        return dispatch_due
    if state in SHIP_CLOCK:
        return ship_due
    return None


def state_label(state: str) -> str:
    return UnitState.label_of(state)
