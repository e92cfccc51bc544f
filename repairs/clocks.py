"""The clocks of a repair unit, each with an owner (manual ch. 3, 二.2.1.1).

* **CS dispatch clock** (owner: customer service): ``route.dispatch_days``
  working days from receipt to the factory. Stored as ``dispatch_due``.
* **Dealer promise** (owner: customer service, who promised the dealer):
  ``route.promise_days`` working days (对外承诺七个工作日) from CS acceptance to
  the unit shipped back. Stored as ``ship_due``. It is *paused* while the case
  waits for the dealer's answer or the supervisor's decision; when the case is
  settled both CS clocks are pushed by the working days the pause lasted
  (``paused_days`` keeps the total, ``promise_paused_on`` the running pause).
* **Factory's clock** (owner: the factory): ``route.factory_chase_days``
  calendar days (对内要求7天) from dispatch. It is the clock that chases the
  factory: the factory answers only for the time the unit spent with it.
  Stored as ``factory_due``.
* **Long outstanding** (owner: the repairer): on a route without a promise
  (Taiwan repair) the unit is chased after ``route.chase_after_days`` calendar
  days at the repairer. Also stored as ``factory_due``.

Every due date is a column kept up to date by the repairs service modules (receiving, inspection, factory), and
so is the earliest running one (``chase_due``, :func:`chase_due`), so the overdue list is one indexed range
(:func:`overdue_condition`) read in the index's order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.bands import Bands
from core.calendar import add_working_days, local_day, working_days_between, working_days_since
from core.directory.models import (  # noqa: F401  (the route defaults, named once with the route)
    DISPATCH_DAYS, FACTORY_CHASE_DAYS, LONG_OUTSTANDING_DAYS, PROMISE_DAYS,
)
from repairs import states as st

if TYPE_CHECKING:  # the model reads its overdue flag from here, so only its type is imported
    from repairs.models import RepairUnit

# Rule parameters: DISPATCH_DAYS (2 working days to the factory), PROMISE_DAYS (the dealer
# promise, 7 working days), FACTORY_CHASE_DAYS (7 calendar days at the factory, 对内要求7天) and
# LONG_OUTSTANDING_DAYS (30 days at a promise-free repairer) are the route settings' defaults,
# imported from core.directory with the route.

# A working week, the step of the age bands past the rules' own limits.
WORKING_WEEK = 5

# Open units by working days since receipt (figures' backlog chart): within the dispatch rule,
# within the dealer promise, then within two and four working weeks, and older.
BACKLOG_BANDS = Bands((DISPATCH_DAYS, PROMISE_DAYS, 2 * WORKING_WEEK, 4 * WORKING_WEEK),
                      _l("%(lo)s–%(hi)s working days"), _l("%(lo)s or more working days"))
# Overdue units by days late (the overdue report): late by up to the dispatch allowance again,
# by up to a working week, by up to two, and by more.
LATE_BANDS = Bands((DISPATCH_DAYS, WORKING_WEEK, 2 * WORKING_WEEK),
                   _l("%(lo)s–%(hi)s days late"), _l("%(lo)s or more days late"), first=1)

# Owners.
CS = "cs"
FACTORY = "factory"
REPAIRER = "repairer"

# Clock kinds.
DISPATCH = "dispatch"
PROMISE = "promise"
FACTORY_CLOCK = "factory"
LONG_OUTSTANDING = "long_outstanding"

# Which clock runs in which state (the sets live with the transition table). In
# PAUSED_STATES the CS clocks stand still.
PAUSED_STATES = st.PAUSED
DISPATCH_STATES = st.DISPATCH_CLOCK
PROMISE_STATES = st.PROMISE_CLOCK
FACTORY_STATES = st.FACTORY_CLOCK
# Working-day clocks count lateness in working days, the others in calendar days.
WORKING_DAY_KINDS = frozenset({DISPATCH, PROMISE})

OWNER_LABELS = {CS: _l("customer service"), FACTORY: _l("factory"), REPAIRER: _l("repairer")}
KIND_LABELS = {
    DISPATCH: _l("CS dispatch clock"),
    PROMISE: _l("dealer promise"),
    FACTORY_CLOCK: _l("factory's clock"),
    LONG_OUTSTANDING: _l("long outstanding at repairer"),
}
PAUSE_REASONS = {
    st.AWAITING_DEALER: _l("waiting for the dealer's decision"),
    st.DISPUTED: _l("waiting for the supervisor's decision"),
}
# For the dealer's own page: the same pause, said to the dealer.
DEALER_PAUSE_REASONS = {
    st.AWAITING_DEALER: _l("waiting for your decision"),
    st.DISPUTED: _l("waiting for our supervisor's decision on your dispute"),
}
STATUS_LABELS = {
    "running": _l("running"), "paused": _l("paused"), "late": _l("late"), "met": _l("met"),
    "missed": _l("missed"), "not_started": _l("not started"),
}


def owner_label(owner: str) -> str:
    return str(OWNER_LABELS.get(owner, owner))


def kind_label(kind: str, days: int | None = None) -> str:
    """The clock's name; the factory's clock says its days ("factory's 7 days")."""
    if kind == FACTORY_CLOCK and days is not None:
        return _("factory's %(n)s days", n=days)
    if kind == LONG_OUTSTANDING and days is not None:
        return _("long outstanding at repairer (%(n)s days)", n=days)
    return str(KIND_LABELS.get(kind, kind))


# --------------------------------------------------------------------------- route settings

def dispatch_days(route) -> int:
    return route.dispatch_days if route is not None and route.dispatch_days is not None else DISPATCH_DAYS


def has_promise(route) -> bool:
    return route is not None and route.promise_days is not None


def factory_days(route) -> int:
    """Calendar days a unit may stay at the route's repairer before it is chased."""
    if route is None:
        return FACTORY_CHASE_DAYS
    if has_promise(route):
        return route.factory_chase_days if route.factory_chase_days is not None else FACTORY_CHASE_DAYS
    return route.chase_after_days if route.chase_after_days is not None else LONG_OUTSTANDING_DAYS


def factory_kind(route) -> tuple[str, str]:
    """(kind, owner) of the clock at the repairer: the factory's, or long-outstanding."""
    return (FACTORY_CLOCK, FACTORY) if route is None or has_promise(route) else (LONG_OUTSTANDING, REPAIRER)


# --------------------------------------------------------------------------- due dates (services set them)

def dispatch_due(received_day: date, days: int) -> date:
    """CS dispatch due: ``days`` working days after receipt."""
    return add_working_days(received_day, days)


def promise_due(accepted_day: date, route) -> date | None:
    """The dealer promise's due day from CS acceptance; None on a promise-free route."""
    return add_working_days(accepted_day, route.promise_days) if has_promise(route) else None


def factory_due(dispatched_day: date, route) -> date:
    """The day after which the repairer is chased (calendar days from dispatch)."""
    return dispatched_day + timedelta(days=factory_days(route))


def paused_working_days(paused_on: date, resumed_on: date) -> int:
    """Working days a pause lasted: after the day it began, up to and including the day it ended."""
    return max(0, working_days_between(paused_on, resumed_on)) if resumed_on > paused_on else 0


def resumed(due: date | None, paused: int) -> date | None:
    """A CS due date pushed by the working days of a pause."""
    return add_working_days(due, paused) if due is not None and paused else due


# --------------------------------------------------------------------------- reading the clocks

class _Named:
    """Words for a clock's kind and owner (shared by a running and a late clock)."""

    kind: str
    owner: str
    days: int | None

    @property
    def label(self) -> str:
        return kind_label(self.kind, self.days)

    @property
    def owner_label(self) -> str:
        return owner_label(self.owner)


@dataclass(frozen=True)
class Clock(_Named):
    """One clock of a unit as it stands on a day (for the unit page)."""

    kind: str
    owner: str
    due: date | None
    status: str  # running, paused, late, met, missed, not_started
    days: int | None = None  # the clock's length (factory / long-outstanding days)
    paused_since: date | None = None
    pause_reason: str = ""
    days_late: int = 0

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def is_paused(self) -> bool:
        """Standing still while the case waits for the dealer or the supervisor."""
        return self.status == "paused"

    @property
    def is_late(self) -> bool:
        """Running past its due date."""
        return self.status == "late"


@dataclass(frozen=True)
class LateClock(_Named):
    """A clock that ran out: whose it is, which, when it was due and how late it is."""

    kind: str
    owner: str
    due: date
    days_late: int
    days: int | None = None

    @property
    def working_days(self) -> bool:
        """Is ``days_late`` counted in working days (else calendar days)?"""
        return self.kind in WORKING_DAY_KINDS


def days_late(kind: str, due: date, today: date) -> int:
    """How late a clock due on ``due`` is on ``today`` (at least 1 once it ran out)."""
    if kind in WORKING_DAY_KINDS:
        return max(1, working_days_since(due, today) if due < today else working_days_between(due, today))
    return max(1, (today - due).days)


def _late(kind: str, owner: str, due: date | None, today: date, days: int | None = None) -> LateClock | None:
    if due is None or due >= today:
        return None
    return LateClock(kind, owner, due, days_late(kind, due, today), days)


def late_clocks(unit: "RepairUnit", today: date) -> list[LateClock]:
    """Every clock of ``unit`` that has run out on ``today``; the factory's (or repairer's) first."""
    out: list[LateClock] = []
    state = unit.state
    if state in FACTORY_STATES:
        kind, owner = factory_kind(unit.route)
        late = _late(kind, owner, unit.factory_due, today, factory_days(unit.route))
        if late:
            out.append(late)
    if state in DISPATCH_STATES:
        late = _late(DISPATCH, CS, unit.dispatch_due, today)
        if late:
            out.append(late)
    if state in PROMISE_STATES:
        late = _late(PROMISE, CS, unit.ship_due, today)
        if late:
            out.append(late)
    return out


def late_clock(unit: "RepairUnit", today: date) -> LateClock | None:
    """The clock to chase ``unit`` for on ``today``, or None.

    At the factory the factory's clock comes first (the factory is chased only
    for time the unit spent with it); otherwise the clock that ran out first.
    """
    found = late_clocks(unit, today)
    if not found:
        return None
    if found[0].owner in (FACTORY, REPAIRER):
        return found[0]
    return min(found, key=lambda c: c.due)


def clocks(unit: "RepairUnit", today: date) -> list[Clock]:
    """All clocks of ``unit`` with their status on ``today`` (the unit page)."""
    route, state = unit.route, unit.state
    paused = state in PAUSED_STATES
    since = unit.promise_paused_on if paused else None
    reason = str(PAUSE_REASONS.get(state, "")) if paused else ""
    out = []

    def status_of(due, running_states, at, kind):
        if paused and kind in WORKING_DAY_KINDS:
            return "paused", 0
        if state in running_states:
            if due is None:
                return "not_started", 0
            if due < today:
                return "late", days_late(kind, due, today)
            return "running", 0
        if due is None or at is None:
            return "not_started", 0
        return ("met" if local_day(at) <= due else "missed"), 0

    if unit.received_at is not None or unit.dispatch_due is not None:
        status, late = status_of(unit.dispatch_due, DISPATCH_STATES, unit.dispatched_at, DISPATCH)
        # While paused a CS due day is not known yet: it moves on by the pause when the case is settled.
        out.append(Clock(DISPATCH, CS, None if paused else unit.dispatch_due, status, None, since, reason, late))
    if has_promise(route) and (unit.inspected_at is not None or unit.ship_due is not None):
        status, late = status_of(unit.ship_due, PROMISE_STATES, unit.shipped_at, PROMISE)
        out.append(Clock(PROMISE, CS, None if paused else unit.ship_due, status, None, since, reason, late))
    if unit.dispatched_at is not None or unit.factory_due is not None:
        kind, owner = factory_kind(route)
        status, late = status_of(unit.factory_due, FACTORY_STATES, unit.returned_at, kind)
        out.append(Clock(kind, owner, unit.factory_due, status, factory_days(route), None, "", late))
    return out


def dealer_pause(unit: "RepairUnit") -> dict | None:
    """The pause as the dealer's status page says it: since when, and why (None if not paused)."""
    if unit.state not in PAUSED_STATES:
        return None
    return {"since": unit.promise_paused_on, "reason": str(DEALER_PAUSE_REASONS[unit.state])}


def chase_due(state: str, dispatch_due: date | None, ship_due: date | None,
              factory_due: date | None) -> date | None:
    """The earliest due day of the clocks running in ``state``: the unit's stored ``chase_due``
    (:func:`repairs.states.chase_due`)."""
    return st.chase_due(state, dispatch_due, ship_due, factory_due)


def next_due(unit: "RepairUnit") -> date | None:
    """The earliest due date of the clocks running now (None while paused or finished)."""
    return chase_due(unit.state, unit.dispatch_due, unit.ship_due, unit.factory_due)


def overdue_condition(u, today: date):
    """SQL on the unit model ``u``: some clock ran out before ``today`` (one range of the stored ``chase_due``)."""
    return u.chase_due < today
