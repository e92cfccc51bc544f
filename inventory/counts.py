"""Stock counts and their reconciliation against the ledger as of the count's time.

The ledger quantity of a part at location L at time T is the current balance
minus what moved into L after T plus what moved out after T: one indexed range
read of the few movements that follow a count, never a sum of the whole ledger.
Reconciliation runs as one set-based query for any number of counts.

Counts in any order
-------------------
A count says what a location held at its time T. Accepting it posts the
adjustments *dated T* (to and from count loss, and relocations of serials found
here but registered elsewhere), so afterwards the ledger as of T equals the
count, and what moved after T is kept on top of it. Because of that:

- only the latest count of a location can be accepted. Accepting a count while
  the same location has a later one (submitted, waiting for a recount, or
  accepted) is refused with a 409 naming the later count; accepting the later
  one supersedes every earlier pending count of the location. A count dated
  before an accepted count of its location is refused at submission. So an
  older count never writes off stock that a newer count found;
- a count is not accepted when it contradicts what the ledger says happened
  after T (a unit it did not find moved later, more left the location after T
  than the count leaves, a unit it found moved elsewhere later, or another
  location it would take a unit from was counted after T): 409, ask for a
  recount;
- taking a unit from another location (a serial found here but registered
  there) needs the supervisor's explicit confirmation; the value of such units
  is that location's loss (``relocated_value``), not the counting office's.

What a count is charged: the value of what it wrote off (shortfall) and of what
it brought in from count loss (surplus), at unit cost, serial by serial for
serialized parts, so a swapped serial (right quantity, wrong unit) is charged
the unit written off.

Every state change (accept, recount request, withdrawal, superseding) goes
through the workflow core (``COUNT_WORKFLOW``): a guarded UPDATE on the expected
state, so of two concurrent requests one wins and the other gets a 409 having
posted nothing.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, union, union_all

from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.calendar import SHANGHAI, local_day, local_today
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core import sheets
from core.queries import among, in_chunks, insert_rows
from core.sequences import next_number
from core.types import utcnow
from inventory import service
from core.locking import lock_row
from core.workflow import LabelledEnum, Workflow
from inventory.models import (
    COUNT_KINDS, COUNT_LOSS, FACTORY_SHIPPING, OFFICE, PHYSICAL_KINDS, TRANSIT, Balance, CountLine, CountSerial,
    Location, Movement, Part, SerialPosition, StockCount,
)



class CountStatus(LabelledEnum):
    """Where a count is; each member carries its words."""

    SUBMITTED = "submitted", _l("submitted")
    RECOUNT_REQUIRED = "recount_required", _l("recount required")
    SUPERSEDED = "superseded", _l("superseded")
    ACCEPTED = "accepted", _l("accepted")
    WITHDRAWN = "withdrawn", _l("withdrawn")


SUBMITTED, RECOUNT_REQUIRED, SUPERSEDED, ACCEPTED, WITHDRAWN = (
    CountStatus.SUBMITTED, CountStatus.RECOUNT_REQUIRED, CountStatus.SUPERSEDED, CountStatus.ACCEPTED,
    CountStatus.WITHDRAWN)
PENDING = (SUBMITTED, RECOUNT_REQUIRED)
# A count waits (submitted, or for its recount) until it is accepted, withdrawn or superseded: by its
# recount ("recount"), or by the acceptance of a later count of its location ("supersede"). A count
# too far off to accept is written as waiting for a recount (its first state, not a step).
COUNT_TRANSITIONS: dict[str, dict[str, str]] = {
    SUBMITTED: {"accept": ACCEPTED, "request_recount": RECOUNT_REQUIRED, "withdraw": WITHDRAWN,
                "supersede": SUPERSEDED},
    RECOUNT_REQUIRED: {"recount": SUPERSEDED, "withdraw": WITHDRAWN, "supersede": SUPERSEDED},
    ACCEPTED: {}, SUPERSEDED: {}, WITHDRAWN: {},
}
COUNT_ACTION_LABELS = {
    "accept": _l("accept the count"), "request_recount": _l("ask for a recount"), "withdraw": _l("withdraw the count"),
    "recount": _l("enter the recount"), "supersede": _l("supersede by a later count"),
}
# Who takes a step (admins pass every role check). Withdrawing is for the office counted, the
# counter or the supervisor (``may_withdraw``); superseding follows an acceptance.
COUNT_ROLES = {"accept": (Role.SUPERVISOR,), "request_recount": (Role.SUPERVISOR,), "supersede": (Role.SUPERVISOR,)}
# No event table: the audited flush records each step (who and when are on the count).
COUNT_WORKFLOW = Workflow(states=CountStatus, transitions=COUNT_TRANSITIONS, action_labels=COUNT_ACTION_LABELS,
                          column="status", name_attr="number", roles=COUNT_ROLES, stamp=None)
# The steps a person takes on the count's page (superseding is a consequence, never a button).
PAGE_ACTIONS = ("accept", "request_recount", "withdraw", "recount")
# Why a recount is wanted.
BY_THRESHOLD, BY_SUPERVISOR = "threshold", "supervisor"
# A count whose variance (shortfall plus surplus, at unit cost) exceeds this many yuan waits for a
# recount instead of being accepted. The manual leaves the figure to the company: app config
# INVENTORY_RECOUNT_THRESHOLD (environment DEPOT_RECOUNT_THRESHOLD) overrides it.
RECOUNT_THRESHOLD = 500
LOSS_CODE = service.SYSTEM_LOCATIONS[COUNT_LOSS][0]
SPOT = "spot"
# Who records spot checks (抽查): HQ staff, and channel staff visiting an office (manual 办事处 5.1.4).
SPOT_CHECK_ROLES = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.CHANNEL)


@dataclass(slots=True)
class LineResult:
    part_id: int
    sku: str
    model: str
    unit_cost: Decimal
    counted: int
    ledger: int
    serialized: bool = False

    @property
    def variance(self) -> int:
        return self.counted - self.ledger

    @property
    def value(self) -> Decimal:
        return self.unit_cost * self.variance


@dataclass
class SerialResult:
    missing: list[tuple[str, str]] = field(default_factory=list)        # (sku, serial) expected, not scanned
    unexpected: list[tuple[str | None, str]] = field(default_factory=list)  # scanned, unknown to the ledger
    elsewhere: list[tuple[str, str, str]] = field(default_factory=list)  # (sku, serial, location code at T)
    matched: int = 0
    cost: dict[str, Decimal] = field(default_factory=dict)               # sku -> unit cost
    where_id: dict[str, int] = field(default_factory=dict)               # serial found here -> location id at T

    def _value(self, skus) -> Decimal:
        return sum((self.cost.get(sku, Decimal(0)) for sku in skus if sku), Decimal("0"))

    @property
    def recovered(self) -> list[tuple[str, str, str]]:
        """Found here, written off to count loss before: a gain, like an unknown unit."""
        return [row for row in self.elsewhere if row[2] == LOSS_CODE]

    @property
    def relocated(self) -> list[tuple[str, str, str]]:
        """Found here but registered at another location: moving them is that location's loss."""
        return [row for row in self.elsewhere if row[2] != LOSS_CODE]

    @property
    def missing_value(self) -> Decimal:
        return self._value(sku for sku, _s in self.missing)

    @property
    def found_value(self) -> Decimal:
        return self._value([sku for sku, _s in self.unexpected] + [sku for sku, _s, _w in self.recovered])

    @property
    def relocated_value(self) -> Decimal:
        return self._value(sku for sku, _s, _w in self.relocated)

    @property
    def swaps(self) -> list[tuple[str, str, str, str, Decimal]]:
        """(sku, serial missing, serial found instead, where the found one is registered, value written off).

        A unit missing here paired with a unit of the same SKU found here but
        registered elsewhere: the right quantity, the wrong unit.
        """
        found: dict[str, list[tuple[str, str]]] = {}
        for sku, serial, where in self.relocated:
            found.setdefault(sku, []).append((serial, where))
        out = []
        for sku, serial in self.missing:
            if found.get(sku):
                other, where = found[sku].pop(0)
                out.append((sku, serial, other, where, self.cost.get(sku, Decimal(0))))
        return out


@dataclass
class Reconciliation:
    count: StockCount
    lines: list[LineResult]
    serials: SerialResult | None

    def _bulk(self, sign: int) -> Decimal:
        return sum((abs(line.value) for line in self.lines
                    if not line.serialized and line.variance * sign > 0), Decimal("0"))

    @property
    def shortfall_value(self) -> Decimal:
        """The value written off: bulk shortfalls, and each missing serial at its unit cost."""
        return self._bulk(-1) + (self.serials.missing_value if self.serials else Decimal(0))

    @property
    def surplus_value(self) -> Decimal:
        """The value brought in from count loss: bulk surpluses, unknown units and units written off before."""
        return self._bulk(1) + (self.serials.found_value if self.serials else Decimal(0))

    @property
    def relocated_value(self) -> Decimal:
        """The value of units taken from other locations (their loss, not this count's)."""
        return self.serials.relocated_value if self.serials else Decimal(0)

    @property
    def gross_value(self) -> Decimal:
        return self.shortfall_value + self.surplus_value

    @property
    def differing(self) -> list[LineResult]:
        return [line for line in self.lines if line.variance]


# --- reconciliation ------------------------------------------------------------------------

# Far enough past any movement to bound the span after a location's last count.
_END_OF_TIME = datetime(9999, 12, 31, tzinfo=timezone.utc)


def _moved_after(ids) -> dict[int, dict[int, int]]:
    """count id -> part id -> net quantity that moved into the count's location after its time.

    One read of the later movements for all the counts: a location's counts cut
    its timeline into spans (from one count to the next, the last one open), each
    movement is read once, in the span it falls in, and a count's figure is the
    running sum of its own span and every later span of its location, walked from
    the latest count back. An accepted count's own adjustments, dated at its time,
    count as after it (the reconciliation shows what was found, not the corrected
    ledger).
    """
    c, m = StockCount.__table__, Movement.__table__
    spans = (select(c.c.id, c.c.location_id, c.c.counted_at.label("since"),
                    func.coalesce(func.lead(c.c.counted_at).over(partition_by=c.c.location_id,
                                                                 order_by=(c.c.counted_at, c.c.id)),
                                  bindparam("end_of_time", _END_OF_TIME, type_=c.c.counted_at.type)).label("until"))
             .where(c.c.id.in_(ids)).subquery("spans"))

    def span_moves(side, sign):
        return (select(spans.c.id, m.c.part_id, (m.c.quantity * sign).label("delta"))
                .join(m, and_(side == spans.c.location_id, m.c.at > spans.c.since, m.c.at <= spans.c.until)))

    moves = union_all(span_moves(m.c.to_location_id, 1), span_moves(m.c.from_location_id, -1)).subquery("moves")
    in_span: dict[int, dict[int, int]] = {}
    for cid, pid, delta in db.session.execute(
            select(moves.c.id, moves.c.part_id, func.sum(moves.c.delta))
            .group_by(moves.c.id, moves.c.part_id)).all():
        in_span.setdefault(cid, {})[pid] = int(delta)
    # A count's own adjustments are dated at its time: looked up through the location's index at that
    # very moment (a range up to it would read the location's whole history).
    own = and_(m.c.ref_type == "count", m.c.ref_id == c.c.id, m.c.at == c.c.counted_at)
    own_moves: dict[int, dict[int, int]] = {}
    for cid, pid, delta in db.session.execute(union_all(
            select(c.c.id, m.c.part_id, m.c.quantity)
            .join(m, and_(own, m.c.to_location_id == c.c.location_id)).where(c.c.id.in_(ids)),
            select(c.c.id, m.c.part_id, -m.c.quantity)
            .join(m, and_(own, m.c.from_location_id == c.c.location_id)).where(c.c.id.in_(ids)))).all():
        mine = own_moves.setdefault(cid, {})
        mine[pid] = mine.get(pid, 0) + delta
    # Latest count of each location first: its running sums are what every earlier count adds to.
    order = db.session.execute(select(c.c.id, c.c.location_id).where(c.c.id.in_(ids))
                               .order_by(c.c.location_id, c.c.counted_at.desc(), c.c.id.desc())).all()
    after: dict[int, dict[int, int]] = {}
    running: dict[int, int] = {}
    location = None
    for cid, loc in order:
        if loc != location:
            running, location = {}, loc
        for pid, delta in in_span.get(cid, {}).items():
            running[pid] = running.get(pid, 0) + delta
        mine = dict(running)
        for pid, delta in own_moves.get(cid, {}).items():
            mine[pid] = mine.get(pid, 0) + delta
        after[cid] = mine
    return after


@contextmanager
def _collector_paused():
    """Hold off Python's cyclic garbage collector while many plain tuples are built.

    A month of counts makes about a million rows and tuples, none of them in a
    cycle; the collector would otherwise walk them all over and over (half the
    time of a month's reconciliation).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def reconcile_rows(count_ids):
    """(count_id, part_id, sku, model, unit_cost, counted, ledger, serialized) for every line in scope of the counts.

    In scope: the counted parts, plus for a full count every part with a
    balance row at the location (uncounted = 0); lines where both figures are 0
    and nothing was counted are left out. Lines come by count, then SKU. The
    same few set-based queries whatever the number of counts: the counts, their
    lines, the balances at their locations, the movements after them (see
    :func:`_moved_after`) and the parts' facts.
    """
    ids = list(count_ids)
    if not ids:
        return []
    with _collector_paused():
        return _reconcile_rows(ids)


def _reconcile_rows(ids):
    c, b, cl, p = StockCount.__table__, Balance.__table__, CountLine.__table__, Part.__table__
    counts = db.session.execute(select(c.c.id, c.c.location_id, c.c.full).where(c.c.id.in_(ids))).all()
    # Ids and quantities only: part facts come once per part below, not once per line.
    lines: dict[int, dict[int, int]] = {cid: {} for cid, _loc, _full in counts}
    for cid, pid, qty in db.session.execute(
            select(cl.c.count_id, cl.c.part_id, cl.c.counted_qty).where(cl.c.count_id.in_(ids))).all():
        lines[cid][pid] = qty
    # Every part that ever moved at a location has a balance row there, so a full count's
    # scope covers parts held at T even if they have left since.
    balances: dict[int, dict[int, int]] = {}
    for chunk in in_chunks(loc for _cid, loc, _full in counts):
        for loc, pid, qty in db.session.execute(
                select(b.c.location_id, b.c.part_id, b.c.quantity)
                .where(among(db.session, b.c.location_id, chunk))).all():
            balances.setdefault(loc, {})[pid] = qty
    after = _moved_after(ids)
    scopes: list[tuple[int, dict[int, tuple[int, int]]]] = []
    for cid, loc, full in sorted(counts):
        held, counted, moved = balances.get(loc, {}), lines[cid], after.get(cid, {})
        scope = {pid: (qty, held.get(pid, 0) - moved.get(pid, 0)) for pid, qty in counted.items()}
        if full:
            for pid, qty in held.items():
                if pid not in counted:
                    ledger = qty - moved.get(pid, 0)
                    if ledger:
                        scope[pid] = (0, ledger)
        scopes.append((cid, scope))
    part_ids = set().union(*(scope.keys() for _cid, scope in scopes))
    head, tail = {}, {}
    for chunk in in_chunks(part_ids):
        for pid, sku, model, cost, ser in db.session.execute(
                select(p.c.id, p.c.sku, p.c.model, p.c.unit_cost, p.c.serialized)
                .where(among(db.session, p.c.id, chunk))).all():
            head[pid], tail[pid] = (sku, model, cost), (bool(ser),)
    rank = {pid: i for i, pid in enumerate(sorted(head, key=lambda pid: head[pid][0]))}.__getitem__
    return [(cid, pid) + head[pid] + scope[pid] + tail[pid]
            for cid, scope in scopes for pid in sorted(scope, key=rank)]


def reconcile_many(counts: list[StockCount]) -> dict[int, Reconciliation]:
    """Reconcile several counts at once (one ledger query for the quantities)."""
    out = {cnt.id: Reconciliation(cnt, [], None) for cnt in counts}
    for count_id, part_id, sku, model, cost, counted, ledger, serialized in reconcile_rows(out):
        out[count_id].lines.append(LineResult(part_id, sku, model, cost if cost is not None else Decimal(0),
                                              counted, ledger, serialized))
    for cnt in counts:
        # Serial findings whenever serialized units can be in scope: a full count, or scanned serials.
        if cnt.full or cnt.serials:
            out[cnt.id].serials = reconcile_serials(cnt)
    return out


def reconcile(count: StockCount) -> Reconciliation:
    """Compare one count with the ledger as of its time."""
    return reconcile_many([count])[count.id]


def serial_positions_at(location_id: int, at: datetime, extra_serials=(), own_count_id: int | None = None
                        ) -> tuple[dict, dict]:
    """(position at ``at`` of every serial that was at the location then or is in ``extra_serials``, current positions).

    A unit's position at T is the from-location of its first movement after T,
    or its current position if it has not moved since. The adjustments of
    ``own_count_id`` (dated T) count as after T.
    """
    sp = SerialPosition.__table__
    cols3 = (sp.c.part_id, sp.c.serial, sp.c.location_id)
    current = {(pid, s): loc for pid, s, loc in db.session.execute(select(*cols3).where(sp.c.location_id == location_id))}
    # A scan list may be long: its serials are looked up in chunks (a statement takes only so many parameters).
    chunks = list(in_chunks(extra_serials))
    for chunk in chunks:
        current.update(((pid, s), loc) for pid, s, loc in db.session.execute(select(*cols3).where(sp.c.serial.in_(chunk))))
    m = Movement.__table__
    cols = (m.c.part_id, m.c.serial, m.c.from_location_id, m.c.at, m.c.id)
    after = m.c.at > at
    stmts = [select(*cols).where(m.c.from_location_id == location_id, after, m.c.serial.is_not(None)),
             select(*cols).where(m.c.to_location_id == location_id, after, m.c.serial.is_not(None))]
    if own_count_id is not None:
        stmts.append(select(*cols).where(m.c.ref_type == "count", m.c.ref_id == own_count_id, m.c.at <= at,
                                         m.c.serial.is_not(None)))
    rows = set(db.session.execute(union(*stmts)).all())
    for chunk in chunks:
        rows.update(db.session.execute(select(*cols).where(m.c.serial.in_(chunk), after)).all())
    first: dict = {}
    for pid, serial, from_loc, _at, _id in sorted(rows, key=lambda r: (r[3], r[4])):
        first.setdefault((pid, serial), from_loc)
    at_time = dict(current)
    at_time.update(first)
    return at_time, current


def reconcile_serials(count: StockCount) -> SerialResult:
    """Missing, unexpected and registered-elsewhere serials of a scan count."""
    scanned = {(cs.part_id, cs.serial) for cs in count.serials}
    own = count.id if count.status == ACCEPTED else None
    at_time, _current = serial_positions_at(count.location_id, count.counted_at, [s for _p, s in scanned], own)
    parts = {p.id: p for chunk in in_chunks({k[0] for k in at_time} | {p for p, _ in scanned if p})
             for p in db.session.scalars(select(Part).where(Part.id.in_(chunk)))}
    locs = {loc.id: loc.code for chunk in in_chunks(set(at_time.values()))
            for loc in db.session.scalars(select(Location).where(Location.id.in_(chunk)))}
    expected = {key for key, loc in at_time.items() if loc == count.location_id}
    if not count.full:
        in_scope = {line.part_id for line in count.lines} | {p for p, _s in scanned if p}
        expected = {key for key in expected if key[0] in in_scope}
    result = SerialResult(cost={p.sku: (p.unit_cost if p.unit_cost is not None else Decimal(0))
                                for p in parts.values()})
    for key in sorted(expected - scanned, key=lambda k: (parts[k[0]].sku, k[1])):
        result.missing.append((parts[key[0]].sku, key[1]))
    for part_id, serial in sorted(scanned, key=lambda k: k[1]):
        if (part_id, serial) in expected:
            result.matched += 1
        elif (part_id, serial) in at_time:
            result.elsewhere.append((parts[part_id].sku, serial, locs.get(at_time[(part_id, serial)], "?")))
            result.where_id[serial] = at_time[(part_id, serial)]
        else:
            result.unexpected.append((parts[part_id].sku if part_id else None, serial))
    return result


# --- access --------------------------------------------------------------------------------

def is_channel_visitor(actor) -> bool:
    """Channel staff (neither HQ staff nor bound to an office): they spot-check the offices' spares on visits.

    They record spot checks of an office's stock only, and see only the counts they recorded.
    """
    if actor is None or getattr(actor, "is_hq", False):
        return False
    return Role.CHANNEL in actor.roles and Role.OFFICE not in actor.roles


def _ensure_channel_location(location: Location) -> None:
    if location.office_id is None:
        raise Forbidden(_("Channel staff spot-check the regional offices' spares; %(code)s is not an office's stock.",
                          code=location.code))


def count_kinds(actor) -> list[str]:
    """The kinds of count ``actor`` may record: offices weekly and monthly, channel staff spot checks, HQ all."""
    if is_channel_visitor(actor):
        return [SPOT]
    if visible_office_id(actor) is not None or not actor.has_role(*SPOT_CHECK_ROLES):
        return [k for k in COUNT_KINDS if k != SPOT]
    return list(COUNT_KINDS)


def countable_locations(actor) -> list[Location]:
    """Where ``actor`` may count: what they see (offices: their own), for channel staff every office's stock."""
    if is_channel_visitor(actor):
        locations = list(db.session.scalars(
            select(Location).where(Location.active.is_(True), Location.office_id.is_not(None))
            .order_by(Location.kind, Location.code)))
    else:
        locations = service.visible_locations(actor)
    return [loc for loc in locations if loc.physical and loc.kind != TRANSIT]


def may_see_expected(actor, count: StockCount) -> bool:
    """Blind counts show the ledger's figures to supervisors only until accepted."""
    if count.blind and count.status != ACCEPTED:
        return actor.has_role(Role.SUPERVISOR)
    return True


def get_count(actor, count_id: int) -> StockCount:
    """The count, if this user may see it (404 / 403 otherwise)."""
    count = service.by_id(StockCount, count_id)
    if count is None:
        raise NotFound(_("No count %(id)s.", id=count_id))
    if is_channel_visitor(actor):
        if count.counted_by_id != actor.id:
            raise Forbidden(_("Channel staff see the spot checks they recorded."))
        return count
    service.ensure_location_access(actor, count.location)
    if count.blind and visible_office_id(actor) is not None:
        raise Forbidden(_("Spot checks are HQ's."))
    return count


def reconciliation_for(actor, count: StockCount) -> Reconciliation:
    """The reconciliation, if this user may see the ledger's figures."""
    if not may_see_expected(actor, count):
        raise Forbidden(_("This is a blind count: the ledger's figures are for the supervisor."))
    return reconcile(count)


def counts_query(actor, *, location_id: int | None = None, status: str | None = None):
    """A select of the counts this user may see, newest first."""
    stmt = select(StockCount).join(Location, Location.id == StockCount.location_id).order_by(StockCount.id.desc())
    limit = visible_office_id(actor)
    if is_channel_visitor(actor):
        stmt = stmt.where(StockCount.counted_by_id == actor.id)
    elif limit is not None:
        stmt = stmt.where(Location.office_id == limit, StockCount.blind.is_(False))
    if location_id:
        stmt = stmt.where(StockCount.location_id == location_id)
    if status:
        stmt = stmt.where(StockCount.status == status)
    return stmt


def default_count_location(actor, locations: list[Location]) -> Location | None:
    """Where a new count most likely is: the office's main spare location, or HQ's store; never a bin."""
    limit = visible_office_id(actor)
    for loc in locations:
        if limit is not None and loc.kind == OFFICE and loc.office_id == limit:
            return loc
    for loc in locations:
        if limit is None and loc.code == service.SYSTEM_LOCATIONS["hq_store"][0]:
            return loc
    return next((loc for loc in locations if loc.parent_id is None), locations[0] if locations else None)


def _later(count: StockCount):
    """Counts of the same location after this one (by time, then by number)."""
    return or_(StockCount.counted_at > count.counted_at,
               and_(StockCount.counted_at == count.counted_at, StockCount.id > count.id))


def later_counts(count: StockCount, *, include_blind: bool = True) -> list[StockCount]:
    """Later counts of the same location that still matter (waiting or accepted)."""
    stmt = select(StockCount).where(StockCount.location_id == count.location_id, StockCount.id != count.id,
                                    StockCount.status.in_(PENDING + (ACCEPTED,)), _later(count))
    if not include_blind:
        stmt = stmt.where(StockCount.blind.is_(False))
    return list(db.session.scalars(stmt.order_by(StockCount.counted_at, StockCount.id)))


def _week_bounds(moment: datetime) -> tuple[datetime, datetime, datetime]:
    monday = local_day(moment) - timedelta(days=local_day(moment).weekday())
    start = datetime.combine(monday, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    return monday, start, start + timedelta(days=7)


def _recount_chain(count: StockCount) -> set[int]:
    """The count, the counts it repeats and the recounts of it."""
    chain, node = {count.id}, count
    while node is not None and node.recount_of_id and node.recount_of_id not in chain:
        chain.add(node.recount_of_id)
        node = db.session.get(StockCount, node.recount_of_id)
    frontier = {count.id}
    while frontier:
        frontier = set(db.session.scalars(select(StockCount.id).where(StockCount.recount_of_id.in_(frontier)))) - chain
        chain |= frontier
    return chain


def same_week_counts(count: StockCount) -> list[StockCount]:
    """Other counts of the same kind of the same location in the same Monday-to-Sunday week (not withdrawn).

    A recount and the count it repeats are one count for this purpose.
    """
    _monday, start, end = _week_bounds(count.counted_at)
    return list(db.session.scalars(
        select(StockCount).where(StockCount.location_id == count.location_id, StockCount.kind == count.kind,
                                 StockCount.status != WITHDRAWN, StockCount.counted_at >= start,
                                 StockCount.counted_at < end, StockCount.id.not_in(_recount_chain(count)))
        .order_by(StockCount.counted_at, StockCount.id)))


def count_warnings(count: StockCount) -> list[str]:
    """What the supervisor and the office should know before relying on this count (words, for page and API)."""
    warnings = []
    others = same_week_counts(count)
    if others:
        monday, _s, _e = _week_bounds(count.counted_at)
        warnings.append(_("%(loc)s has %(n)s other %(kind)s counts in the week of %(week)s: %(numbers)s.",
                          loc=count.location.code, n=len(others), kind=kind_label(count.kind),
                          week=monday.isoformat(), numbers=", ".join(o.number for o in others)))
    if count.status in PENDING:
        # An office's count never names an HQ spot check (blind, not the office's to see); accepting says it.
        later = later_counts(count, include_blind=count.blind)
        if later:
            warnings.append(_("%(n)s counted this location later: accept that count; this one will be superseded.",
                              n=later[0].number))
    return warnings


def kind_label(kind: str) -> str:
    return {"weekly": _("weekly"), "monthly": _("monthly"), "spot": _("spot check")}.get(kind, kind)


STATUS_LABELS = CountStatus.labels()


def status_label(status: str) -> str:
    """The count's state in words."""
    return CountStatus.label_of(status)


def recount_message(count: StockCount) -> str | None:
    """Why this count waits for a recount, in words (None if it does not)."""
    if count.status != RECOUNT_REQUIRED:
        return None
    if count.recount_reason == BY_SUPERVISOR:
        note = (count.recount_note or "").strip()
        if note:
            return _("The supervisor asked for a recount: %(note)s", note=note)
        return _("The supervisor asked for a recount.")
    return _("The variance of %(v)s RMB is over the recount threshold of %(t)s RMB: count again before acceptance.",
             v=count.variance_value, t=current_app.config["INVENTORY_RECOUNT_THRESHOLD"])


# --- submitting ----------------------------------------------------------------------------

@dataclass
class CountInput:
    """Parsed count lines: quantities by SKU and scanned serials (with their line numbers for errors)."""

    quantities: list[tuple[int, str, int]] = field(default_factory=list)  # (line, sku, qty)
    serials: list[tuple[int, str | None, str]] = field(default_factory=list)  # (line, sku or None, serial)


def parse_scans(text: str) -> CountInput:
    """Scanner input, one code per line: ``SERIAL``, or ``SKU SERIAL`` / ``SKU,SERIAL``."""
    data = CountInput()
    for n, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace("\t", " ").split()
        if not parts:
            continue
        if len(parts) == 1:
            data.serials.append((n, None, parts[0]))
        else:
            data.serials.append((n, parts[0], parts[1]))
    return data


COUNT_COLUMNS = sheets.Columns(
    aliases={
        "sku": ("sku", "part", "part no", "part number", "料号", "物料编码", "物料号", "物料代码", "物料", "编码",
                "商品编码", "配件编码"),
        "quantity": ("quantity", "qty", "count", "counted", "数量", "盘点数量", "实盘数量", "实盘数", "实际数量"),
        "serial": ("serial", "sn", "s/n", "serial number", "序列号", "条码", "机身号", "sn码"),
    },
    required=("sku",), codes=("sku", "serial"))


def parse_count_file(filename: str, content: bytes) -> CountInput:
    """Read a CSV or XLSX count sheet (columns sku, quantity, serial, in English or Chinese; header row first).

    Every line is returned as it stands (a SKU on several lines is summed when
    the count is submitted). Every bad row is reported with its line number
    (the first 50 and the total) and nothing is imported.
    """
    table = sheets.read_table(content, filename, COUNT_COLUMNS)
    if not table.has("quantity") and not table.has("serial"):
        raise sheets.file_error(_("The first row must name the columns: sku, quantity, serial."),
                                _("Line %(n)s: expected headers sku (物料编码), quantity (数量) and/or serial (序列号).",
                                  n=table.header_line))
    data, problems = CountInput(), []
    with sheets.paused_gc():  # many small tuples: see core.sheets.paused_gc
        for row in table.rows:
            n, sku, qty, serial = row.line, row["sku"], row["quantity"], row["serial"]
            if not sku:
                problems.append((n, _("Line %(n)s: the SKU is missing.", n=n)))
                continue
            if serial:
                try:
                    one = qty == "" or sheets.as_int(qty) == 1
                except ValueError:
                    one = False
                if not one:
                    problems.append((n, _("Line %(n)s: a serial line counts one unit; leave the quantity empty or 1.",
                                          n=n)))
                    continue
                data.serials.append((n, sku, serial))
                continue
            try:
                value = sheets.as_int(qty)
                if value < 0:
                    raise ValueError
            except ValueError:
                problems.append((n, _("Line %(n)s: the quantity %(q)r is not a whole number of 0 or more.",
                                      n=n, q=qty)))
                continue
            data.quantities.append((n, sku, value))
    # Name unknown SKUs here too, so one upload reports every bad row at once.
    known = _known_skus({sku for _n, sku, _q in data.quantities} | {sku for _n, sku, _s in data.serials})
    for n, sku, _x in data.quantities + data.serials:
        if sku not in known:
            problems.append((n, _("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku)))
    if problems:
        raise sheets.refuse(_("The file has %(n)s bad lines; nothing was imported.", n=len(problems)), problems)
    return data


def _known_skus(skus: set[str]) -> set[str]:
    # Only which SKUs exist: a plain column read, not a part object per line of the sheet. A long sheet is
    # matched against the catalogue's SKU column read once (tens of thousands of IN parameters cost
    # PostgreSQL seconds; the column of a catalogue of thousands of parts takes milliseconds).
    if len(skus) > 2000:
        return skus & set(db.session.scalars(select(Part.sku)))
    found: set[str] = set()
    for chunk in in_chunks(skus):
        found.update(db.session.scalars(select(Part.sku).where(Part.sku.in_(chunk))))
    return found


def submit_count(actor, *, location: Location, kind: str, data: CountInput, method: str = "form",
                 counted_at: datetime | None = None, full: bool = True, note: str = "",
                 recount_of: StockCount | None = None) -> StockCount:
    """Record a count. Offices count their own stock weekly or monthly; HQ staff do blind spot checks,
    and so do channel staff, of an office's stock only (manual 办事处 5.1.4).

    A count needs at least one line (a full count lists every part held, 0
    for none). Several lines of one SKU are added up. Unknown SKUs, serials
    scanned twice and serialized parts counted without serials are refused
    with their line numbers, and nothing is saved. A count dated before an
    accepted count of the same location is refused: it could never be accepted.
    """
    if actor is None:
        raise Forbidden(_("Sign in first."))
    channel = is_channel_visitor(actor)
    if channel:
        _ensure_channel_location(location)
    else:
        service.ensure_location_access(actor, location)
    if location.kind not in PHYSICAL_KINDS or location.kind == TRANSIT:
        raise ValidationFailed(_("Only a store, an office or a bin can be counted."), errors={"location": [location.code]})
    if kind not in COUNT_KINDS:
        raise ValidationFailed(_("Unknown kind of count."), errors={"kind": [_("One of: %(k)s", k=", ".join(COUNT_KINDS))]})
    is_office_user = visible_office_id(actor) is not None and not channel
    if kind == SPOT and (is_office_user or not actor.has_role(*SPOT_CHECK_ROLES)):
        raise Forbidden(_("Spot checks are done by HQ staff and channel staff."))
    if channel and kind != SPOT:
        raise Forbidden(_("Channel staff record spot checks; the office counts its own stock weekly and monthly."))
    now = utcnow()
    counted_at = counted_at or now
    if counted_at.tzinfo is None or counted_at > now + service.CLOCK_SKEW:
        raise ValidationFailed(_("The count time cannot be in the future."), errors={"counted_at": [_("In the future.")]})
    if recount_of is not None:
        if recount_of.location_id != location.id:
            raise ValidationFailed(_("A recount counts the same location."), errors={"location": [location.code]})
        COUNT_WORKFLOW.require(recount_of, "recount")
        if counted_at < recount_of.counted_at:
            raise ValidationFailed(_("A recount comes after the count it repeats."), errors={"counted_at": [_("Too early.")]})
    # Submissions and acceptances of one location's counts take turns: the checks below see every earlier one.
    lock_row(Location, location.id)
    settled = db.session.scalar(
        select(StockCount).where(StockCount.location_id == location.id, StockCount.status == ACCEPTED,
                                 StockCount.counted_at > counted_at)
        .order_by(StockCount.counted_at.desc()).limit(1))
    if settled is not None:
        number = settled.number if not (settled.blind and is_office_user) else _("an HQ spot check")
        raise Conflict(_("%(loc)s was counted later by %(n)s, already accepted: a count dated before it cannot "
                         "change the ledger.", loc=location.code, n=number), code="later_count_accepted")

    parts = _catalogue_facts([s for _n, s, _q in data.quantities] + [s for _n, s, _x in data.serials if s])
    problems: list[str] = []
    quantities: dict[int, int] = {}
    for n, sku, qty in data.quantities:
        part = parts.get(sku)
        if part is None:
            problems.append(_("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku))
        elif part.serialized and qty:
            problems.append(_("Line %(n)s: %(sku)s is serialized; scan or list its serials.", n=n, sku=sku))
        elif qty < 0:
            problems.append(_("Line %(n)s: the quantity cannot be negative.", n=n))
        else:
            # A sheet may list one SKU on several lines (several shelves): they add up.
            quantities[part.id] = quantities.get(part.id, 0) + qty
    serial_rows = []
    unresolved = [s for _n, sku, s in data.serials if not sku]
    known: dict[str, set[int]] = {}
    for chunk in in_chunks(unresolved):
        for pid, s in db.session.execute(select(SerialPosition.part_id, SerialPosition.serial)
                                         .where(SerialPosition.serial.in_(chunk))):
            known.setdefault(s, set()).add(pid)
    seen_serial: dict[str, int] = {}
    for n, sku, serial in data.serials:
        part_id = None
        if sku:
            part = parts.get(sku)
            if part is None:
                problems.append(_("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku))
                continue
            if not part.serialized:
                problems.append(_("Line %(n)s: %(sku)s is counted in bulk, not by serial.", n=n, sku=sku))
                continue
            part_id = part.id
        else:
            owners = known.get(serial, set())
            if len(owners) > 1:
                problems.append(_("Line %(n)s: serial %(s)s belongs to several parts; give the SKU too.", n=n, s=serial))
                continue
            part_id = next(iter(owners), None)
        if serial in seen_serial:
            problems.append(_("Line %(n)s: serial %(s)s was already scanned on line %(m)s.", n=n, s=serial, m=seen_serial[serial]))
            continue
        seen_serial[serial] = n
        serial_rows.append((part_id, serial))
        if part_id is not None:
            quantities[part_id] = quantities.get(part_id, 0) + 1
    if problems:
        raise ValidationFailed(_("The count has %(n)s bad lines; nothing was saved.", n=len(problems)),
                               errors={"lines": sheets.cap(problems)})
    if not data.quantities and not data.serials:
        # A header row alone is not "zero of everything": a full count lists 0 for what is not there.
        raise ValidationFailed(_("The count has no count line; nothing was saved. List every part counted "
                                 "(0 for a part that is not there)."), errors={"lines": [_("Nothing counted.")]},
                               code="empty_count")

    twin = _same_count_just_submitted(actor, location, kind, full, counted_at, quantities, serial_rows, recount_of)
    if twin is not None:
        raise Conflict(_("The same count of %(loc)s was submitted a moment ago as %(n)s.", loc=location.code,
                         n=twin.number), code="duplicate_count", count=twin.number)
    count = StockCount(number=next_number("CNT", local_today().strftime("%y%m")), location_id=location.id, kind=kind,
                       method=method, blind=kind == SPOT, full=full, counted_at=counted_at, status=SUBMITTED,
                       recount_of_id=recount_of.id if recount_of else None, counted_by_id=actor.id,
                       note=(note or "").strip())
    db.session.add(count)
    db.session.flush()
    # A count sheet may have tens of thousands of lines: written set-based, not as one ORM object each.
    insert_rows(db.session, CountLine.__table__,
                [{"count_id": count.id, "part_id": pid, "counted_qty": q, "ledger_qty": None}
                 for pid, q in quantities.items()])
    insert_rows(db.session, CountSerial.__table__,
                [{"count_id": count.id, "part_id": pid, "serial": s} for pid, s in serial_rows])
    db.session.expire(count, ["lines", "serials"])
    rec = reconcile(count)
    count.variance_value = rec.gross_value
    if recount_of is not None:
        COUNT_WORKFLOW.apply(actor, recount_of, "recount", superseded_by_id=count.id)
    elif rec.gross_value > Decimal(str(current_app.config["INVENTORY_RECOUNT_THRESHOLD"])):
        # Too large a difference to accept on one count: count again first. The count's first
        # state, written before anyone else can see the row, so no step of the workflow.
        count.status = RECOUNT_REQUIRED
        count.recount_reason = BY_THRESHOLD
    db.session.flush()
    return count


DUPLICATE_WINDOW = timedelta(minutes=10)


def _catalogue_facts(skus) -> dict:
    """SKU -> (id, sku, serialized) of those of ``skus`` in the catalogue: plain rows, one query per chunk."""
    found = {}
    for chunk in in_chunks(s for s in skus if s):
        found.update((row.sku, row) for row in db.session.execute(
            select(Part.id, Part.sku, Part.serialized).where(among(db.session, Part.sku, chunk))))
    return found


def _same_count_just_submitted(actor, location, kind, full, counted_at, quantities, serial_rows, recount_of):
    """A waiting count by the same person with the same content and time, made in the last minutes (a double submit)."""
    close = timedelta(minutes=1)
    candidates = db.session.scalars(
        select(StockCount).where(StockCount.location_id == location.id, StockCount.kind == kind,
                                 StockCount.full.is_(full), StockCount.counted_by_id == actor.id,
                                 StockCount.status.in_(PENDING),
                                 StockCount.recount_of_id.is_(None) if recount_of is None
                                 else StockCount.recount_of_id == recount_of.id,
                                 StockCount.created_at >= utcnow() - DUPLICATE_WINDOW,
                                 StockCount.counted_at >= counted_at - close, StockCount.counted_at <= counted_at + close))
    for other in candidates:
        if ({line.part_id: line.counted_qty for line in other.lines} == quantities
                and {(cs.part_id, cs.serial) for cs in other.serials} == set(serial_rows)):
            return other
    return None


# --- state changes -------------------------------------------------------------------------

def request_recount(actor, count: StockCount, note: str = "") -> StockCount:
    """The supervisor asks for a recount of a submitted count (their note is shown to the office)."""
    COUNT_WORKFLOW.apply(actor, count, "request_recount", recount_reason=BY_SUPERVISOR,
                         recount_note=(note or "").strip())
    db.session.flush()
    return count


def _may_withdraw_as(actor, count: StockCount) -> bool:
    """Whether ``actor`` is someone who may withdraw ``count`` (whatever its state)."""
    limit = visible_office_id(actor)
    own_office = limit is not None and limit == count.location.office_id
    return actor.has_role(Role.SUPERVISOR) or own_office or count.counted_by_id == actor.id


def is_count_party(actor, count: StockCount) -> bool:
    """The office whose stock was counted, whoever counted it, or the supervisor: who answers for a count."""
    return actor is not None and _may_withdraw_as(actor, count)


def may_withdraw(actor, count: StockCount) -> bool:
    """The office whose stock was counted, whoever counted it, or the supervisor, while it is not accepted."""
    if actor is None or "withdraw" not in COUNT_WORKFLOW.possible(count):
        return False
    return _may_withdraw_as(actor, count)


def allowed_actions(actor, count: StockCount) -> list[str]:
    """The steps ``actor`` may take on ``count`` now (the page's buttons): the workflow's rule, and who withdraws."""
    actions = [a for a in COUNT_WORKFLOW.allowed_actions(count, actor) if a in PAGE_ACTIONS]
    if "withdraw" in actions and not _may_withdraw_as(actor, count):
        actions.remove("withdraw")
    return actions


def withdraw_count(actor, count: StockCount, note: str = "") -> StockCount:
    """Take back a count that has not been accepted: by the office it counted, whoever counted it, or the supervisor."""
    if actor is None:
        raise Forbidden(_("Sign in first."))
    if not is_channel_visitor(actor):  # channel staff: their own spot checks only (may_withdraw)
        service.ensure_location_access(actor, count.location)
    if not _may_withdraw_as(actor, count) and "withdraw" in COUNT_WORKFLOW.possible(count):
        raise Forbidden(_("Only the office that counted, the person who counted or the supervisor can withdraw a count."))
    COUNT_WORKFLOW.apply(actor, count, "withdraw")
    if note:
        count.note = (count.note + "\n" + note.strip()).strip()
    db.session.flush()
    return count


def liable_party(location: Location) -> tuple[str, int | None]:
    """Who answers for a shortfall: the office, the factory shipping dept (vendor pool, DOMAIN D.6), or CS."""
    root = location.parent if location.parent_id else location
    if root.kind == OFFICE:
        return "office", root.office_id
    if root.kind == FACTORY_SHIPPING:
        return "factory_shipping", None
    return "cs", None


# --- acceptance ----------------------------------------------------------------------------

@dataclass
class Adjustment:
    """One movement acceptance will post (dated at the count's time)."""

    part: Part
    from_location: Location
    to_location: Location
    quantity: int = 1
    serial: str | None = None
    reason: str = "count_adjustment"


@dataclass
class AcceptancePlan:
    adjustments: list[Adjustment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)      # why the count contradicts the later ledger
    relocations: list[str] = field(default_factory=list)   # "serial from location" taken from elsewhere


def plan_acceptance(count: StockCount, rec: Reconciliation) -> AcceptancePlan:
    """The adjustments that bring the ledger as of the count's time to what was counted, and what stands in the way.

    Nothing is written. A unit written off must not have moved since the
    count; a bulk write-off must not make the location's ledger negative at
    any time since; a unit brought here from elsewhere must not have moved
    since and must come from a location not counted (and accepted) after
    this count.
    """
    plan = AcceptancePlan()
    loc, at = count.location, count.counted_at
    loss = service.system_location(COUNT_LOSS)
    bulk = [line for line in rec.lines if not line.serialized and line.variance]
    parts = {p.id: p for chunk in in_chunks(line.part_id for line in bulk)
             for p in db.session.scalars(select(Part).where(Part.id.in_(chunk)))}
    short = [line.part_id for line in bulk if line.variance < 0]
    later_moves: dict[int, list[int]] = {}
    m = Movement.__table__
    for chunk in in_chunks(short):
        rows = db.session.execute(
            select(m.c.part_id, m.c.to_location_id, m.c.quantity)
            .where(m.c.part_id.in_(chunk), m.c.at > at,
                   or_(m.c.to_location_id == loc.id, m.c.from_location_id == loc.id))
            .order_by(m.c.at, m.c.id))
        for pid, to_id, qty in rows:
            later_moves.setdefault(pid, []).append(qty if to_id == loc.id else -qty)
    for line in bulk:
        part = parts[line.part_id]
        if line.variance > 0:
            plan.adjustments.append(Adjustment(part, loss, loc, line.variance))
            continue
        want = -line.variance
        running = lowest = line.ledger
        for delta in later_moves.get(line.part_id, ()):
            running += delta
            lowest = min(lowest, running)
        if lowest < want:
            plan.problems.append(_("%(sku)s: %(c)s counted, but after the count more left %(loc)s than that "
                                   "(writing off %(q)s would take its ledger below zero).",
                                   sku=line.sku, c=line.counted, loc=loc.code, q=want))
            continue
        plan.adjustments.append(Adjustment(part, loc, loss, want))
    if rec.serials is not None:
        _plan_serials(count, rec.serials, loss, plan)
    return plan


def _plan_serials(count: StockCount, found: SerialResult, loss: Location, plan: AcceptancePlan) -> None:
    loc, at = count.location, count.counted_at
    skus = {sku for sku, _s in found.missing} | {sku for sku, _s, _w in found.elsewhere} | {
        sku for sku, _s in found.unexpected if sku}
    parts = service.parts_by_sku(skus)
    serials = {s for _k, s in found.missing} | {s for _k, s, _w in found.elsewhere} | {
        s for sku, s in found.unexpected if sku}
    now_at: dict = {}
    for chunk in in_chunks(serials):
        rows = db.session.execute(
            select(SerialPosition.part_id, SerialPosition.serial, SerialPosition.location_id, Movement.at)
            .join(Movement, Movement.id == SerialPosition.movement_id)
            .where(SerialPosition.serial.in_(chunk)))
        now_at.update(((pid, s), (lid, last)) for pid, s, lid, last in rows)
    for sku, serial in found.missing:
        where, last = now_at.get((parts[sku].id, serial), (None, None))
        if where != loc.id or last is None or last > at:
            plan.problems.append(_("Serial %(s)s was not found by this count, but it moved after the count.", s=serial))
            continue
        plan.adjustments.append(Adjustment(parts[sku], loc, loss, serial=serial))
    for sku, serial in found.unexpected:
        if not sku:
            continue  # a serial of no known part: shown, but there is nothing to book
        if (parts[sku].id, serial) in now_at:
            plan.problems.append(_("Serial %(s)s was entered in the ledger after the count.", s=serial))
            continue
        plan.adjustments.append(Adjustment(parts[sku], loss, loc, serial=serial))
    for sku, serial, _code in found.elsewhere:
        was = found.where_id.get(serial)
        where, last = now_at.get((parts[sku].id, serial), (None, None))
        if where != was or last is None or last > at:
            plan.problems.append(_("Serial %(s)s, found by this count, moved after the count.", s=serial))
            continue
        source = db.session.get(Location, was)
        if source.kind == COUNT_LOSS:
            # Written off by an earlier count and found again: a gain, like an unknown unit.
            plan.adjustments.append(Adjustment(parts[sku], source, loc, serial=serial))
            continue
        settled = db.session.scalar(
            select(StockCount.number).where(StockCount.location_id == source.id, StockCount.status == ACCEPTED,
                                            StockCount.counted_at >= at).limit(1))
        if settled:
            plan.problems.append(_("Serial %(s)s is registered at %(loc)s, which %(n)s counted after this count: "
                                   "it cannot be taken from there.", s=serial, loc=source.code, n=settled))
            continue
        plan.relocations.append(_("%(s)s from %(loc)s", s=serial, loc=source.code))
        plan.adjustments.append(Adjustment(parts[sku], source, loc, serial=serial, reason="count_relocation"))


def accept_count(actor, count: StockCount, *, confirm_relocations: bool = False) -> StockCount:
    """The supervisor accepts a count: the ledger as of its time becomes what was counted; the variance is charged.

    Adjustments go to and from the count-loss location, are dated at the
    count's time and reference the count. Refused (409, nothing posted): a
    count waiting for a recount, a count of a location with a later count
    (accept the later one: it supersedes this one), a count the later ledger
    contradicts, and, without ``confirm_relocations``, a count that takes
    units from another location. Accepting supersedes the location's earlier
    counts still waiting. The office (or party) liable is charged the value
    written off; units taken from elsewhere are that location's loss.
    """
    COUNT_WORKFLOW.check_role(actor, "accept")
    if count.status == CountStatus.RECOUNT_REQUIRED:
        # Not just "not now": say why the count waits and what to do.
        raise Conflict(_("Count %(n)s must be recounted before acceptance. %(why)s", n=count.number,
                         why=recount_message(count)), code="recount_required")
    COUNT_WORKFLOW.require(count, "accept")
    loc = count.location
    # Acceptances and submissions of one location's counts take turns; the location first, then the
    # count, in the same order as a submission (recount) takes them, so two never wait for each other.
    lock_row(Location, loc.id)
    COUNT_WORKFLOW.apply(actor, count, "accept")
    later = later_counts(count)
    if later:
        nxt = later[0]
        raise Conflict(_("%(loc)s has a later count, %(n)s (%(s)s): accept that one instead; it supersedes this one.",
                         loc=loc.code, n=nxt.number, s=status_label(nxt.status)),
                       code="later_count", later_count=nxt.number)
    rec = reconcile(count)
    plan = plan_acceptance(count, rec)
    if plan.problems:
        raise Conflict(_("Count %(n)s does not agree with what the ledger shows after it: ask for a recount or "
                         "withdraw it.", n=count.number), errors={"count": plan.problems}, code="count_contradicted")
    if plan.relocations and not confirm_relocations:
        raise Conflict(_("This count takes units registered at other locations: %(list)s. Confirm to move them "
                         "(%(v)s RMB, charged as those locations' loss).", list="; ".join(plan.relocations),
                         v=rec.relocated_value),
                       code="confirm_relocations", relocations=plan.relocations)
    common = dict(actor=actor, ref_type="count", ref_id=count.id, at=count.counted_at,
                  note=_("Count %(n)s", n=count.number))
    for adj in plan.adjustments:
        service.post_movement(part=adj.part, from_location=adj.from_location, to_location=adj.to_location,
                              quantity=adj.quantity, serial=adj.serial, reason=adj.reason, **common)
    existing = {line.part_id: line for line in count.lines}
    for line in rec.lines:
        row = existing.get(line.part_id)
        if row is None:
            row = CountLine(part_id=line.part_id, counted_qty=line.counted)
            count.lines.append(row)
        row.ledger_qty = line.ledger
    count.shortfall_value = rec.shortfall_value
    count.surplus_value = rec.surplus_value
    count.variance_value = rec.gross_value
    count.relocated_value = rec.relocated_value
    count.liable_party, count.liable_office_id = liable_party(loc)
    count.accepted_at = utcnow()
    count.accepted_by_id = actor.id
    earlier = db.session.scalars(select(StockCount).where(
        StockCount.location_id == loc.id, StockCount.id != count.id, StockCount.status.in_(PENDING),
        ~_later(count)))
    for old in list(earlier):
        COUNT_WORKFLOW.apply(actor, old, "supersede", superseded_by_id=count.id)
    db.session.flush()
    return count


def relocations_out(location_id: int) -> list[Movement]:
    """Units other locations' counts took from this location (its loss), newest first."""
    return list(db.session.scalars(
        select(Movement).where(Movement.from_location_id == location_id, Movement.reason == "count_relocation")
        .order_by(Movement.at.desc(), Movement.id.desc()).limit(200)))


def variance_by_location(start: datetime, end: datetime) -> list[dict]:
    """Count adjustments of counts accepted in [start, end), by location, at unit cost.

    One row per location touched: ``written_off`` (to count loss), ``found``
    (from count loss), ``relocated_in`` and ``relocated_out`` (units a count
    moved between locations: the source's loss). For the supervisor's
    variance figures, where the other location's loss must show too.
    """
    m, c, p, loc = Movement.__table__, StockCount.__table__, Part.__table__, Location.__table__
    value = func.sum(m.c.quantity * p.c.unit_cost)
    rows = db.session.execute(
        select(m.c.from_location_id, m.c.to_location_id, m.c.reason, value)
        .join(c, and_(m.c.ref_type == "count", m.c.ref_id == c.c.id))
        .join(p, p.c.id == m.c.part_id)
        .where(c.c.status == ACCEPTED, c.c.accepted_at >= start, c.c.accepted_at < end,
               m.c.reason.in_(["count_adjustment", "count_relocation"]))
        .group_by(m.c.from_location_id, m.c.to_location_id, m.c.reason)).all()
    loss_id = service.system_location(COUNT_LOSS).id
    out: dict[int, dict] = {}

    def row(location_id):
        return out.setdefault(location_id, {"location_id": location_id, "written_off": Decimal("0"),
                                            "found": Decimal("0"), "relocated_in": Decimal("0"),
                                            "relocated_out": Decimal("0")})

    for frm, to, reason, total in rows:
        total = Decimal(total or 0)
        if reason == "count_relocation":
            row(frm)["relocated_out"] += total
            row(to)["relocated_in"] += total
        elif to == loss_id:
            row(frm)["written_off"] += total
        elif frm == loss_id:
            row(to)["found"] += total
    if out:
        for lid, code, office_id in db.session.execute(
                select(loc.c.id, loc.c.code, loc.c.office_id).where(loc.c.id.in_(list(out)))):
            out[lid].update(code=code, office_id=office_id)
    return sorted(out.values(), key=lambda r: r.get("code", ""))


# --- export --------------------------------------------------------------------------------

def export_sheets(rec: Reconciliation) -> list[sheets.Sheet]:
    """The reconciliation as export sheets: the lines, then the serial findings (if any)."""
    lines = sheets.Sheet(rec.count.number, [
        sheets.Column(_l("SKU")), sheets.Column(_l("Model")), sheets.Column(_l("Counted"), "int"),
        sheets.Column(_l("Ledger"), "int"), sheets.Column(_l("Variance"), "int"),
        sheets.Column(_l("Unit cost"), "money"), sheets.Column(_l("Variance value"), "money")],
        ([line.sku, line.model, line.counted, line.ledger, line.variance, line.unit_cost, line.value]
         for line in rec.lines))
    # What the supervisor signs: the values written off, found and taken from other locations,
    # and each swapped unit in the words the count page uses.
    summary = [[_("Written off: %(s)s RMB; found: %(f)s RMB; recount threshold %(t)s RMB.",
                  s=rec.shortfall_value, f=rec.surplus_value, t=current_app.config["INVENTORY_RECOUNT_THRESHOLD"])]]
    if rec.relocated_value:
        summary.append([_("Units registered at other locations: %(v)s RMB (their loss).", v=rec.relocated_value)])
    if rec.serials is not None:
        summary += [[_("Swapped unit of %(sku)s: %(x)s missing; %(y)s found, registered at %(w)s. "
                       "Written off: %(v)s RMB.", sku=sku, x=gone, y=found, w=where, v=value)]
                    for sku, gone, found, where, value in rec.serials.swaps]
    summary_sheet = sheets.Sheet(_l("Summary"), [_l("Summary")], summary)
    if rec.serials is None:
        return [lines, summary_sheet]
    found = rec.serials
    rows = ([[s, sku, _l("missing"), ""] for sku, s in found.missing]
            + [[s, sku or "", _l("unexpected"), ""] for sku, s in found.unexpected]
            + [[s, sku, _l("registered elsewhere"), where] for sku, s, where in found.elsewhere])
    return [lines, sheets.Sheet(_l("Serials"), [_l("Serial"), _l("SKU"), _l("Finding"), _l("Registered at")], rows),
            summary_sheet]


def export_csv(rec: Reconciliation, *, locale=None) -> bytes:
    """The reconciliation as CSV (headers in ``locale``, else the request's language)."""
    return sheets.csv_bytes(export_sheets(rec), locale=locale)


def export_xlsx(rec: Reconciliation, *, locale=None) -> bytes:
    """The reconciliation as XLSX: the lines on the first sheet, serial findings on the second."""
    return sheets.xlsx_bytes(export_sheets(rec), locale=locale)
