"""A count longer than one SQL statement can carry: its look-ups go in chunks, never a 500."""
from __future__ import annotations

import pytest

from core.extensions import db
from inventory import counts, service

pytestmark = pytest.mark.slow


def test_a_scan_list_longer_than_a_statement_takes(ctx, stock, user):
    """70,000 scanned serials: more parameters than PostgreSQL takes in one statement (65,535)."""
    data = counts.CountInput(serials=[(n, None, f"UNKNOWN{n:06d}") for n in range(1, 70_001)]
                             + [(70_001, None, "S0")])
    cnt = counts.submit_count(user("clerk1"), location=service.get_location(stock.hq), kind="spot", data=data,
                              full=False)
    db.session.flush()
    rec = counts.reconcile(cnt)
    assert rec.serials.matched == 1 and len(rec.serials.unexpected) == 70_000
    assert [(line.sku, line.counted, line.ledger) for line in rec.lines] == [("SSD-1T", 1, 5)]
    db.session.rollback()
