"""The inventory demo loader leaves a consistent ledger with something on every page."""
from __future__ import annotations

import random


def test_demo_loader(app, ctx, client):
    from core.directory.demo import load_directory
    from core.extensions import db
    from inventory.cli import ledger_mismatches
    from inventory.demo import load_inventory
    from inventory.models import Movement, SpareRequest, StockCount

    rng = random.Random(2026)
    lines = []
    load_directory(rng, lines.append)
    load_inventory(rng, lines.append)
    db.session.commit()
    assert ledger_mismatches() == []
    assert db.session.query(Movement).count() > 50
    assert db.session.query(StockCount).count() == 2
    assert {r.status for r in db.session.query(SpareRequest)} == {"received", "requested"}
    client.login("office-bj", "office-bj-demo")
    page = client.get("/inventory/").get_data(as_text=True)
    assert "OFF-BJ" in page and "OFF-SH" not in page and "HQ" not in page.split('id="balances"')[1]
