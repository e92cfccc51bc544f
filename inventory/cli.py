"""``flask depot inventory-verify``: check that every balance equals the sum of its movements."""
from __future__ import annotations

import click
from sqlalchemy import func, select, union_all

from core.cli import depot_cli
from core.extensions import db
from inventory.models import Balance, Movement


def ledger_mismatches() -> list[tuple[int, int, int, int]]:
    """(location, part, balance, ledger sum) wherever the kept balance and the ledger disagree (a full scan)."""
    m = Movement.__table__
    flows = union_all(
        select(m.c.to_location_id.label("loc"), m.c.part_id, m.c.quantity.label("q")),
        select(m.c.from_location_id.label("loc"), m.c.part_id, (-m.c.quantity).label("q")),
    ).subquery()
    sums = {(loc, part): int(q) for loc, part, q in db.session.execute(
        select(flows.c.loc, flows.c.part_id, func.sum(flows.c.q)).group_by(flows.c.loc, flows.c.part_id))}
    kept = {(b.location_id, b.part_id): b.quantity for b in db.session.execute(
        select(Balance.location_id, Balance.part_id, Balance.quantity))}
    out = []
    for key in set(sums) | set(kept):
        if sums.get(key, 0) != kept.get(key, 0):
            out.append((key[0], key[1], kept.get(key, 0), sums.get(key, 0)))
    return sorted(out)


@depot_cli.command("inventory-verify")
def verify_command():
    """Recompute every balance from the ledger and report differences (exit 1 if any)."""
    bad = ledger_mismatches()
    for loc, part, kept, ledger in bad:
        click.echo(f"location {loc} part {part}: balance {kept}, ledger {ledger}")
    if bad:
        raise SystemExit(1)
    click.echo("every balance equals the sum of its movements")
