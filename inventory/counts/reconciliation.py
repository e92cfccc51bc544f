"""Reconciling counts against the ledger as of each count's time, as one set-based query for many counts."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import and_, bindparam, func, select, true, union, union_all

from core.extensions import db
from core.queries import among, in_chunks
from inventory.models import (
    Balance, CountLine, Location, Movement, Part, SerialPosition, StockCount,
)
from inventory.counts.states import ACCEPTED, LOSS_CODE


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

    in_span_of = and_(m.c.at > spans.c.since, m.c.at <= spans.c.until)
    lateral = db.session.get_bind().dialect.name == "postgresql"

    def span_moves(side, sign):
        if lateral:
            # PostgreSQL cannot estimate a range between a count and the next (a window
            # function), so it hash-joined the whole ledger, twice (1.4 s at 5,000,000
            # movements). Per span, the location's index is read over that span only.
            moved = (select(m.c.part_id, func.sum(m.c.quantity).label("quantity"))
                     .where(side == spans.c.location_id, in_span_of).group_by(m.c.part_id).lateral("moved"))
            return (select(spans.c.id, moved.c.part_id, (moved.c.quantity * sign).label("delta"))
                    .select_from(spans.join(moved, true())))
        return (select(spans.c.id, m.c.part_id, (m.c.quantity * sign).label("delta"))
                .join(m, and_(side == spans.c.location_id, in_span_of)))

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
    # Every part that ever moved at a location has a balance row there, so a full count's
    # scope covers parts held at T even if they have left since.
    balances: dict[int, dict[int, int]] = {}
    for chunk in in_chunks(loc for _cid, loc, _full in counts):
        for loc, pid, qty in db.session.execute(
                select(b.c.location_id, b.c.part_id, b.c.quantity)
                .where(among(db.session, b.c.location_id, chunk))).all():
            balances.setdefault(loc, {})[pid] = qty
    after = _moved_after(ids)
    # The ledger at each count's time, by part: the balance now less what moved in since
    # (a copy of the location's balances, changed only where something moved).
    ledgers: dict[int, dict[int, int]] = {}
    for cid, loc, _full in counts:
        ledger = dict(balances.get(loc, {}))
        for pid, delta in after.get(cid, {}).items():
            ledger[pid] = ledger.get(pid, 0) - delta
        ledgers[cid] = ledger
    scopes: dict[int, dict[int, tuple[int, int]]] = {cid: {} for cid in ledgers}
    # Each line becomes its (counted, ledger) pair as it is read: ids and quantities only (part
    # facts come once per part below), and no second walk over half a million lines.
    current = scope = ledger = None
    for cid, pid, qty in db.session.execute(
            select(cl.c.count_id, cl.c.part_id, cl.c.counted_qty).where(cl.c.count_id.in_(ids))).all():
        if cid != current:
            current, scope, ledger = cid, scopes[cid], ledgers[cid]
        scope[pid] = (qty, ledger.get(pid, 0))
    for cid, loc, full in counts:
        if full:
            # Uncounted parts held then: a part that ever moved here has a balance row.
            scope, ledger = scopes[cid], ledgers[cid]
            for pid in balances.get(loc, {}):
                if pid not in scope and ledger[pid]:
                    scope[pid] = (0, ledger[pid])
    scopes = sorted(scopes.items())
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
