"""Stateful property test: counts, stock movements and serial swaps in any order.

Hypothesis drives random interleavings of bulk and serial movements, count
submissions (older and newer, full and partial, with serials registered at
other locations, i.e. swaps), recounts, withdrawals, recount requests and
acceptances (with and without the supervisor's confirmation), each through the
services in one transaction like a request. After every step:

- every balance equals the sum of its movements, and no physical one is negative;
- for every location, the ledger as of its latest accepted count's time equals
  that count (quantities, and for serialized parts the very serials);
- the value charged for every accepted count equals the value of what it wrote
  off (and its surplus what it brought in from count loss, its relocated value
  what it took from other locations);
- nothing is charged twice: only accepted counts have adjustments, no unit is
  written off twice by one count, and no count still waiting is older than an
  accepted count of its location (it would have been superseded).

Each example starts from an empty database. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select, text

from core.errors import DomainError
from core.extensions import db
from core.types import utcnow
from inventory import counts, service
from inventory.models import (
    COUNT_LOSS, DEALER, FINISHED_GOODS, HQ_STORE, PHYSICAL_KINDS, Balance, Location, Movement, Part, StockCount,
)

SERIALS = ["SA", "SB", "SC", "SD", "SE"]
COUNTED = 3          # physical locations counted: two offices and HQ
PLACES = COUNTED + 2  # plus the factory (source) and the dealers (sink)
OUTCOMES: Counter = Counter()  # what the runs exercised (printed with -s)
BULK_COST, SERIAL_COST = Decimal("3.00"), Decimal("50.00")


def _empty_used_tables():
    """A fresh database for each example: DELETE from the tables that have rows (TRUNCATE of every
    table costs PostgreSQL seconds an example)."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        used = {row[0] for row in conn.execute(text(probe))}
        for t in reversed(tables):
            if t in used:
                conn.execute(text(f'DELETE FROM "{t}"'))


def _run(app, machine_cls):
    app.config["INVENTORY_RECOUNT_THRESHOLD"] = 120
    run_state_machine_as_test(machine_cls)


def test_counts_in_any_order_keep_the_ledger_and_the_charges_right(app, ctx):
    from core.accounts.service import create_user
    from core.directory.models import Office

    class Counts(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            db.session.remove()
            _empty_used_tables()
            self.boss = create_user("boss", "boss-pass", ["supervisor", "clerk"])
            offices = [Office(code=f"O{i}", name=f"Office {i}", region="华北") for i in range(2)]
            db.session.add_all(offices)
            db.session.flush()
            self.bulk = Part(sku="BULK", unit_cost=BULK_COST)
            self.ser = Part(sku="SER", serialized=True, unit_cost=SERIAL_COST)
            db.session.add_all([self.bulk, self.ser])
            db.session.flush()
            self.places = [service.office_location(offices[0].id), service.office_location(offices[1].id),
                           service.system_location(HQ_STORE), service.system_location(FINISHED_GOODS),
                           service.system_location(DEALER)]
            service.system_location(COUNT_LOSS)
            db.session.commit()
            self.place_ids = [p.id for p in self.places]
            self.count_ids: list[int] = []

        def _do(self, action, what=""):
            try:
                result = action()
                db.session.commit()
                if what:
                    event(f"{what}: done")
                    OUTCOMES[f"{what}: done"] += 1
                return result
            except DomainError as err:
                db.session.rollback()
                if what:
                    event(f"{what}: refused ({err.code})")
                    OUTCOMES[f"{what}: refused ({err.code})"] += 1
                return None

        def _place(self, i):
            return db.session.get(Location, self.place_ids[i])

        def _count(self, i):
            """Mostly a count still waiting (where the interesting orders are), sometimes any count."""
            waiting = list(db.session.scalars(select(StockCount.id).where(StockCount.status.in_(counts.PENDING))
                                              .order_by(StockCount.id)))
            pool = waiting if waiting and i % 4 else self.count_ids
            return db.session.get(StockCount, pool[i % len(pool)]) if pool else None

        # --- stock movements -------------------------------------------------------------

        @rule(loc=st.integers(0, COUNTED - 1), qty=st.integers(1, 8), serial=st.sampled_from(SERIALS))
        def receive(self, loc, qty, serial):
            """Stock arrives from the factory: some bulk units and, if it is not in our stores, one serial."""
            self._do(lambda: service.post_movement(actor=self.boss, part=self.bulk, from_location=self._place(3),
                                                   to_location=self._place(loc), quantity=qty, reason="prop"), "receive")
            self._do(lambda: service.post_movement(actor=self.boss, part=self.ser, from_location=self._place(3),
                                                   to_location=self._place(loc), serial=serial, reason="prop"),
                     "receive serial")

        @rule(src=st.integers(0, PLACES - 1), dst=st.integers(0, PLACES - 1), qty=st.integers(1, 8))
        def move_bulk(self, src, dst, qty):
            self._do(lambda: service.post_movement(actor=self.boss, part=self.bulk, from_location=self._place(src),
                                                   to_location=self._place(dst), quantity=qty, reason="prop"))

        @rule(src=st.integers(0, PLACES - 1), dst=st.integers(0, PLACES - 1), serial=st.sampled_from(SERIALS))
        def move_serial(self, src, dst, serial):
            self._do(lambda: service.post_movement(actor=self.boss, part=self.ser, from_location=self._place(src),
                                                   to_location=self._place(dst), serial=serial, reason="prop"))

        # --- counts ----------------------------------------------------------------------

        def _submit(self, loc_i, qty, serials, minutes_ago, full, recount_of=None):
            data = counts.CountInput(quantities=[(1, "BULK", qty)],
                                     serials=[(n + 2, "SER", s) for n, s in enumerate(serials)])
            at = utcnow() - timedelta(minutes=minutes_ago)
            cnt = self._do(lambda: counts.submit_count(self.boss, location=self._place(loc_i), kind="weekly", data=data,
                                                       counted_at=at, full=full, recount_of=recount_of),
                           "recount" if recount_of else "submit")
            if cnt is not None:
                self.count_ids.append(cnt.id)

        @rule(loc=st.integers(0, COUNTED - 1), how=st.sampled_from(["random", "swap", "off_by_one"]),
              qty=st.integers(0, 12), serials=st.lists(st.sampled_from(SERIALS), unique=True, max_size=4),
              minutes_ago=st.integers(0, 240), full=st.booleans(), other=st.sampled_from(SERIALS),
              drop=st.integers(0, 10), then_accept=st.booleans())
        def submit(self, loc, how, qty, serials, minutes_ago, full, other, drop, then_accept):
            """A count: random figures, or what the ledger holds now with one unit swapped (a serial here
            replaced by one registered elsewhere), or one short of it."""
            if how != "random":
                here = [sp.serial for sp in service.serials_at(self.place_ids[loc], self.ser.id)]
                serials = list(here)
                qty = service.balance_of(self.place_ids[loc], self.bulk.id)
                if how == "swap" and serials and other not in serials:
                    serials[drop % len(serials)] = other
                elif how == "off_by_one":
                    qty = max(0, qty - 1)
                    serials = serials[1:]
                minutes_ago, full = 0, True  # as of now: the movements of this example all happened just now
            self._submit(loc, qty, serials, minutes_ago, full)
            if then_accept:
                # The supervisor looks at the location's counts at once and accepts the latest one.
                self.accept(0, other in SERIALS[:3], loc)

        @rule(i=st.integers(0, 50), qty=st.integers(0, 12),
              serials=st.lists(st.sampled_from(SERIALS), unique=True, max_size=4), minutes_later=st.integers(0, 60))
        def recount(self, i, qty, serials, minutes_later):
            old = self._count(i)
            if old is None or old.status != counts.RECOUNT_REQUIRED:
                return
            minutes_ago = max(0, int((utcnow() - old.counted_at).total_seconds() // 60) - minutes_later)
            loc_i = self.place_ids.index(old.location_id)
            self._submit(loc_i, qty, serials, minutes_ago, old.full, recount_of=old)

        @rule(i=st.integers(0, 50), confirm=st.booleans(), latest_of=st.one_of(st.none(), st.integers(0, COUNTED - 1)))
        def accept(self, i, confirm, latest_of):
            """Accept a count: any one, or the latest waiting count of a location (the usual case)."""
            if latest_of is None:
                cnt = self._count(i)
            else:
                cnt = db.session.scalar(
                    select(StockCount).where(StockCount.location_id == self.place_ids[latest_of],
                                             StockCount.status == "submitted")
                    .order_by(StockCount.counted_at.desc(), StockCount.id.desc()).limit(1))
            if cnt is None:
                return
            # Whatever a later count of the location found, an older count must not charge for it.
            later = [(c.number, c.status) for c in db.session.scalars(select(StockCount).where(
                StockCount.location_id == cnt.location_id, StockCount.id != cnt.id,
                StockCount.status.in_(["submitted", "recount_required", "accepted"])))
                if (c.counted_at, c.id) > (cnt.counted_at, cnt.id)]
            done = self._do(lambda: counts.accept_count(self.boss, cnt, confirm_relocations=confirm), "accept")
            assert done is None or not later, (cnt.number, later)
            if done is not None and done.relocated_value:
                OUTCOMES["accept: done, units taken from another location"] += 1
            if done is not None and done.shortfall_value:
                OUTCOMES["accept: done, written off"] += 1
            if done is not None and done.surplus_value:
                OUTCOMES["accept: done, found"] += 1

        @rule(i=st.integers(0, 50))
        def ask_recount(self, i):
            cnt = self._count(i)
            if cnt is not None:
                self._do(lambda: counts.request_recount(self.boss, cnt, "count shelf B too"), "recount request")

        @rule(i=st.integers(0, 50))
        def withdraw(self, i):
            cnt = self._count(i)
            if cnt is not None:
                self._do(lambda: counts.withdraw_count(self.boss, cnt), "withdraw")

        # --- invariants ------------------------------------------------------------------

        def _movements(self):
            return list(db.session.scalars(select(Movement).order_by(Movement.at, Movement.id)))

        @invariant()
        def balances_are_the_sum_of_movements_and_never_negative(self):
            net: dict = defaultdict(int)
            for m in self._movements():
                net[(m.from_location_id, m.part_id)] -= m.quantity
                net[(m.to_location_id, m.part_id)] += m.quantity
            for bal in db.session.scalars(select(Balance)):
                assert bal.quantity == net.get((bal.location_id, bal.part_id), 0), (bal.location_id, bal.part_id)
                if bal.location.kind in PHYSICAL_KINDS:
                    assert bal.quantity >= 0, (bal.location.code, bal.part_id, bal.quantity)

        @invariant()
        def ledger_as_of_the_latest_accepted_count_equals_it(self):
            movements = self._movements()
            for loc_id in self.place_ids[:COUNTED]:
                latest = db.session.scalar(
                    select(StockCount).where(StockCount.location_id == loc_id, StockCount.status == "accepted")
                    .order_by(StockCount.counted_at.desc(), StockCount.id.desc()).limit(1))
                if latest is None:
                    continue
                qty, where = 0, {}
                for m in movements:
                    if m.at > latest.counted_at:
                        continue
                    if m.part_id == self.bulk.id:
                        qty += m.quantity if m.to_location_id == loc_id else 0
                        qty -= m.quantity if m.from_location_id == loc_id else 0
                    elif m.part_id == self.ser.id:
                        where[m.serial] = m.to_location_id
                counted = {line.part_id: line.counted_qty for line in latest.lines}
                if latest.full or self.bulk.id in counted:
                    assert qty == counted.get(self.bulk.id, 0), (latest.number, qty, counted)
                held = {s for s, loc in where.items() if loc == loc_id}
                scanned = {cs.serial for cs in latest.serials}
                if latest.full or scanned:
                    assert held == scanned, (latest.number, held, scanned)

        @invariant()
        def each_count_is_charged_once_for_what_it_wrote_off(self):
            loss_id = service.system_location(COUNT_LOSS).id
            by_count: dict = defaultdict(list)
            for m in self._movements():
                if m.ref_type == "count":
                    by_count[m.ref_id].append(m)
            for cnt in db.session.scalars(select(StockCount)):
                moves = by_count.get(cnt.id, [])
                if cnt.status != "accepted":
                    assert moves == [], (cnt.number, cnt.status)
                    continue
                cost = {self.bulk.id: BULK_COST, self.ser.id: SERIAL_COST}
                written_off = sum((m.quantity * cost[m.part_id] for m in moves if m.to_location_id == loss_id),
                                  Decimal(0))
                found = sum((m.quantity * cost[m.part_id] for m in moves if m.from_location_id == loss_id),
                            Decimal(0))
                relocated = sum((m.quantity * cost[m.part_id] for m in moves if m.reason == "count_relocation"),
                                Decimal(0))
                assert cnt.shortfall_value == written_off, (cnt.number, cnt.shortfall_value, written_off)
                assert cnt.surplus_value == found, (cnt.number, cnt.surplus_value, found)
                assert cnt.relocated_value == relocated, (cnt.number, cnt.relocated_value, relocated)
                units = [(m.part_id, m.serial, m.from_location_id, m.to_location_id) for m in moves]
                assert len(units) == len(set(units)), (cnt.number, units)
                assert all(m.at == cnt.counted_at for m in moves)
            for loc_id in self.place_ids[:COUNTED]:
                accepted = db.session.scalar(
                    select(StockCount.counted_at).where(StockCount.location_id == loc_id,
                                                        StockCount.status == "accepted")
                    .order_by(StockCount.counted_at.desc()).limit(1))
                if accepted is not None:
                    stale = db.session.scalar(select(StockCount.number).where(
                        StockCount.location_id == loc_id, StockCount.status.in_(counts.PENDING),
                        StockCount.counted_at < accepted).limit(1))
                    assert stale is None, stale

        def teardown(self):
            db.session.remove()

    _run(app, Counts)
    print("count outcomes:", dict(sorted(OUTCOMES.items())))
