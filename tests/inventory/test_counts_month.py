"""Reconciling many counts at once gives each count's own figures, with a fixed number of statements.

A month of counts shares one read of each location's later movements; these
tests hold that path to reconciling every count alone, on random ledgers
(backdated movements, counts at the same moment as movements or as each other,
a count's own adjustments dated at its time), and check that more counts per
location do not mean more statements.
"""
from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, select

from core.accounts.models import User
from core.accounts.service import create_user
from core.errors import DomainError
from core.extensions import db
from core.types import utcnow
from inventory import counts, service
from inventory.models import BIN, DEALER, FINISHED_GOODS, HQ_STORE, CountLine, Location, Part, StockCount

_ids = itertools.count(1)
LOCS, PARTS = 2, 3

move = st.tuples(st.just("move"), st.integers(0, LOCS + 1), st.integers(0, LOCS + 1), st.integers(0, PARTS - 1),
                 st.integers(1, 9), st.integers(0, 20))
count = st.tuples(st.just("count"), st.integers(0, LOCS - 1), st.integers(0, 20), st.booleans(),
                  st.dictionaries(st.integers(0, PARTS - 1), st.integers(0, 20), max_size=PARTS), st.booleans())


def _world(n):
    boss = db.session.scalar(select(User).where(User.username == "month-boss"))
    if boss is None:
        boss = create_user("month-boss", "month-boss-pass", ["supervisor", "clerk"])
    parts = [Part(sku=f"M{n}-{chr(90 - i)}", unit_cost=i + 1) for i in range(PARTS)]  # SKUs not in id order
    hq = service.system_location(HQ_STORE)
    locs = [Location(code=f"M{n}-L{i}", name=f"L{i}", kind=BIN, parent_id=hq.id) for i in range(LOCS)]
    db.session.add_all([*parts, *locs])
    db.session.flush()
    return boss, parts, locs + [service.system_location(FINISHED_GOODS), service.system_location(DEALER)]


def _add_count(n, location, at, full, lines):
    cnt = StockCount(number=f"M{n}-C{next(_ids)}", location_id=location.id, kind="weekly", counted_at=at, full=full)
    db.session.add(cnt)
    db.session.flush()
    db.session.add_all([CountLine(count_id=cnt.id, part_id=pid, counted_qty=qty) for pid, qty in lines.items()])
    return cnt


@given(ops=st.lists(st.one_of(move, count), min_size=1, max_size=30))
def test_many_counts_at_once_agree_with_each_count_alone(app, ops):
    n = next(_ids)
    with app.app_context():
        boss, parts, places = _world(n)
        base = utcnow().replace(microsecond=0) - timedelta(days=30)
        mine = []
        for op in ops:
            if op[0] == "move":
                _kind, frm, to, part, qty, hour = op
                try:
                    with db.session.begin_nested():
                        service.post_movement(actor=boss, part=parts[part], from_location=places[frm],
                                              to_location=places[to], quantity=qty, reason="prop",
                                              at=base + timedelta(hours=hour))
                except DomainError:
                    pass
            else:
                _kind, loc, hour, full, lines, adjusted = op
                at = base + timedelta(hours=hour)
                cnt = _add_count(n, places[loc], at, full, {parts[i].id: q for i, q in lines.items()})
                mine.append(cnt.id)
                if adjusted:
                    # As acceptance posts them: from count loss, dated at the count's time, referencing it.
                    try:
                        with db.session.begin_nested():
                            service.post_movement(actor=boss, part=parts[0], from_location=places[LOCS],
                                                  to_location=places[loc], quantity=2, reason="count_adjustment",
                                                  ref_type="count", ref_id=cnt.id, at=at)
                    except DomainError:
                        pass
        together = counts.reconcile_rows(mine)
        alone = [row for cid in sorted(mine) for row in counts.reconcile_rows([cid])]
        assert together == alone
        db.session.rollback()


def _statements(ids) -> int:
    seen = []

    def note(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        counts.reconcile_rows(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return len(seen)


def test_more_counts_per_location_take_no_more_statements(app):
    with app.app_context():
        n = next(_ids)
        boss, parts, places = _world(n)
        base = utcnow().replace(microsecond=0) - timedelta(days=30)
        for day in range(28):
            service.post_movement(actor=boss, part=parts[day % PARTS], from_location=places[LOCS],
                                  to_location=places[day % LOCS], quantity=3, reason="prop",
                                  at=base + timedelta(days=day, hours=1))
        per_location = {k: [_add_count(n, loc, base + timedelta(days=7 * w), True, {parts[0].id: w}).id
                            for loc in places[:LOCS] for w in range(k)] for k in (1, 4)}
        db.session.flush()
        assert _statements(per_location[1]) == _statements(per_location[4])
        db.session.rollback()
