"""Property-based: random movements, counts and reversals never break the ledger.

After every random sequence each balance equals the sum of its movements,
no physical location is below zero, and each serial's position is the
to-location of its latest movement.
"""
from __future__ import annotations

import itertools
import threading

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.authz import SYSTEM
from core.errors import DomainError
from core.extensions import db
from inventory import counts, service
from inventory.cli import ledger_mismatches
from inventory.models import (
    Balance,
    Location,
    Movement,
    Part,
    SerialPosition,
    StockCount,
)

_ids = itertools.count(1)

LOCS = 3  # physical locations per example; index 3 = the outside source, 4 = dealer
SERIALS = ["A", "B", "C", "D"]

op = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 4), st.integers(0, 4), st.integers(1, 12)),
    st.tuples(st.just("serial"), st.integers(0, 4), st.integers(0, 4), st.sampled_from(SERIALS)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("count"), st.integers(0, LOCS - 1), st.integers(0, 15), st.lists(st.sampled_from(SERIALS), unique=True)),
    st.tuples(st.just("accept"), st.integers(0, 10)),
)


# Examples and health checks come from the profile in tests/conftest.py (bounded in CI).
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_random_sequences_keep_the_ledger_consistent(app, ops):
    from core.accounts.models import User
    from core.accounts.service import create_user
    from inventory.models import BIN, DEALER, FINISHED_GOODS, HQ_STORE

    n = next(_ids)
    app.config["INVENTORY_RECOUNT_THRESHOLD"] = 10**9
    with app.app_context():
        # Examples share the test's database; each one works on its own parts and locations.
        boss = db.session.scalar(select(User).where(User.username == "prop-boss"))
        if boss is None:
            boss = create_user("prop-boss", "prop-boss-pass", ["supervisor", "clerk"])
            db.session.commit()
        bulk = Part(sku=f"P{n}-BULK", unit_cost=3)
        ser = Part(sku=f"P{n}-SER", serialized=True, unit_cost=50)
        hq = service.system_location(HQ_STORE)
        locs = [Location(code=f"P{n}-L{i}", name=f"L{i}", kind=BIN, parent_id=hq.id) for i in range(LOCS)]
        db.session.add_all([bulk, ser, *locs])
        db.session.commit()
        places = locs + [service.system_location(FINISHED_GOODS), service.system_location(DEALER)]
        serial_of = {s: f"P{n}-{s}" for s in SERIALS}
        done: list[int] = []
        my_counts: list[int] = []
        for step in ops:
            try:
                kind = step[0]
                if kind == "move":
                    m = service.post_movement(actor=boss, part=bulk, from_location=places[step[1]],
                                              to_location=places[step[2]], quantity=step[3], reason="prop")
                    done.append(m.id)
                elif kind == "serial":
                    m = service.post_movement(actor=boss, part=ser, from_location=places[step[1]],
                                              to_location=places[step[2]], serial=serial_of[step[3]], reason="prop")
                    done.append(m.id)
                elif kind == "reverse" and done:
                    original = db.session.get(Movement, done[step[1] % len(done)])
                    done.append(service.reverse_movement(boss, original).id)
                elif kind == "count":
                    data = counts.CountInput(quantities=[(1, bulk.sku, step[2])],
                                             serials=[(i + 2, ser.sku, serial_of[s]) for i, s in enumerate(step[3])])
                    c = counts.submit_count(boss, location=places[step[1]], kind="spot", data=data)
                    my_counts.append(c.id)
                elif kind == "accept" and my_counts:
                    c = db.session.get(StockCount, my_counts[step[1] % len(my_counts)])
                    counts.accept_count(boss, c)
                db.session.commit()
            except DomainError:
                db.session.rollback()

        loc_ids = [loc.id for loc in places]
        for part in (bulk, ser):
            for loc_id in loc_ids:
                kept = service.balance_of(loc_id, part.id)
                ins = db.session.scalar(select(func.coalesce(func.sum(Movement.quantity), 0)).where(
                    Movement.part_id == part.id, Movement.to_location_id == loc_id))
                outs = db.session.scalar(select(func.coalesce(func.sum(Movement.quantity), 0)).where(
                    Movement.part_id == part.id, Movement.from_location_id == loc_id))
                assert kept == ins - outs
        assert all(b.quantity >= 0 for b in db.session.scalars(select(Balance).where(Balance.location_id.in_([l.id for l in locs]))))
        for pos in db.session.scalars(select(SerialPosition).where(SerialPosition.part_id == ser.id)):
            last = db.session.scalar(select(Movement).where(Movement.part_id == ser.id, Movement.serial == pos.serial)
                                     .order_by(Movement.id.desc()).limit(1))
            assert pos.location_id == last.to_location_id
        # Physical serial counts agree with the bulk balance of the serialized part.
        for loc in locs:
            assert service.balance_of(loc.id, ser.id) == len(service.serials_at(loc.id, ser.id))
        # A fresh count reconciled now matches the ledger exactly.
        for loc in locs:
            # Another kind than the random counts: the same content again would be a double submit.
            c = counts.submit_count(boss, location=loc, kind="monthly", data=counts.CountInput(
                quantities=[(1, bulk.sku, service.balance_of(loc.id, bulk.id))],
                serials=[(i + 2, ser.sku, sp.serial) for i, sp in enumerate(service.serials_at(loc.id, ser.id))]))
            rec = counts.reconcile(c)
            assert all(line.variance == 0 for line in rec.lines)
            assert not rec.serials.missing and not rec.serials.elsewhere and not rec.serials.unexpected
            db.session.rollback()
        assert ledger_mismatches() == []


def test_concurrent_takes_never_go_negative(app, stock):
    """Two sessions take the same last units at once: exactly one wins (guarded UPDATE)."""
    from inventory.models import DEALER

    with app.app_context():
        hq, bj = service.get_location(stock.hq), service.get_location(stock.bj_loc)
        part = db.session.get(Part, stock.usb)
        service.post_movement(actor=SYSTEM, part=part, from_location=hq, to_location=bj, quantity=10, reason="t")
        db.session.commit()
    results = []
    barrier = threading.Barrier(2)

    def take():
        with app.app_context():
            p = db.session.get(Part, stock.usb)
            src = service.get_location(stock.bj_loc)
            dealer = service.system_location(DEALER)
            db.session.commit()
            barrier.wait()
            try:
                service.post_movement(actor=SYSTEM, part=p, from_location=src, to_location=dealer, quantity=7,
                                      reason="swap_out")
                db.session.commit()
                results.append("ok")
            except DomainError:
                db.session.rollback()
                results.append("refused")
            except Exception as exc:  # noqa: BLE001 - a serialization/lock error also means "not taken"
                db.session.rollback()
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1, results
    with app.app_context():
        assert service.balance_of(stock.bj_loc, stock.usb) == 3
        assert ledger_mismatches() == []
