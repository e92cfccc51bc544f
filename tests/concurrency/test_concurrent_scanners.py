"""Several scanner stations at once: no lost update, no double transition, no negative stock.

``CLIENTS`` processes (each its own app and engine) are released together.
Each scans *every* unit (so every unit is fought over by all of them) while
posting stock movements between HQ and two offices; then all of them inspect
every unit, again with movements in between. Afterwards:

- every unit was received once and inspected once (one event each, one
  "done" answer each; the losers got 409, never a 5xx);
- every acknowledged movement is in the ledger and nothing else is; each
  balance equals the sum of its movements; no physical location went below
  zero; the stock adds up to what came in.

Runs on PostgreSQL (row locks, guarded updates) and on SQLite (WAL, one writer).
"""
from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path

import pytest

from tests.concurrency import scenario

CLIENTS = int(os.environ.get("DEPOT_CC_CLIENTS", "4"))
PARCELS, UNITS = 3, 8  # 24 units, each scanned by every client in both phases
MOVES_PER_PHASE = 15
ARTIFACTS = Path(os.environ.get("DEPOT_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))

pytestmark = pytest.mark.slow


def _check_phase(responses, serials, mode):
    problems = []
    scans = [r for r in responses if r[0] == "scan"]
    server_errors = [r for r in responses if r[2] >= 500]
    problems += [f"5xx: {r}" for r in server_errors]
    done = Counter(r[1]["code"] for r in scans if r[2] == 200 and r[3] == "done")
    for serial in serials:
        if done[serial] != 1:
            problems.append(f"{mode} {serial}: {done[serial]} clients were told 'done'")
    odd = [r for r in scans if not (r[2] == 200 and r[3] in ("done", "already_done")) and r[2] != 409]
    problems += [f"unexpected scan answer: {r}" for r in odd[:10]]
    moves = [r for r in responses if r[0] == "move"]
    odd_moves = [r for r in moves if r[2] not in (201, 409, 422)]
    problems += [f"unexpected movement answer: {r}" for r in odd_moves[:10]]
    return problems


def test_concurrent_scans_and_movements(app, _database):
    from sqlalchemy import select

    from core.extensions import db
    from inventory.models import Movement

    setup = scenario.seed(app, parcels=PARCELS, units=UNITS, clerks=CLIENTS)
    rngs = [random.Random(1000 + i) for i in range(CLIENTS)]
    figures = {"clients": CLIENTS, "units": len(setup.serials), "scans": 0, "movements_sent": 0}
    problems = []
    acknowledged_moves: list[int] = []

    for mode, action, state in (("receive", "receive", "received"), ("inspect", "inspect_ok", "inspected")):
        jobs = [scenario.interleave(scenario.scan_jobs(setup.serials, mode, rng),
                                    scenario.move_jobs(MOVES_PER_PHASE, rng), rng) for rng in rngs]
        responses = scenario.run_clients(_database, setup.tokens, jobs)
        assert len(responses) == sum(len(j) for j in jobs), "a client process died"
        figures["scans"] += sum(1 for r in responses if r[0] == "scan")
        figures["movements_sent"] += sum(1 for r in responses if r[0] == "move")
        figures[f"{mode}_status"] = dict(Counter(f"{r[2]} {r[3] if r[0] == 'scan' else r[4] or ''}".strip()
                                                 for r in responses))
        problems += _check_phase(responses, setup.serials, mode)
        acknowledged_moves += [r[3] for r in responses if r[0] == "move" and r[2] == 201]
        expected = {"receive": 1} if mode == "receive" else {"receive": 1, "inspect_ok": 1}
        problems += scenario.unit_problems(app, setup.serials, state, expected)
        problems += scenario.ledger_problems(app, setup)

    with app.app_context():
        in_ledger = set(db.session.scalars(select(Movement.id).where(Movement.part_id == setup.part_id,
                                                                    Movement.reason == "transfer")))
    if in_ledger != set(acknowledged_moves):
        problems.append(f"ledger has {len(in_ledger)} transfers, {len(acknowledged_moves)} were acknowledged; "
                        f"lost: {sorted(set(acknowledged_moves) - in_ledger)[:10]}, "
                        f"phantom: {sorted(in_ledger - set(acknowledged_moves))[:10]}")
    figures["movements_acknowledged"] = len(acknowledged_moves)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"concurrency-figures-{_dialect(_database)}.json").write_text(json.dumps(figures, indent=2))
    print("concurrency figures:", json.dumps(figures))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
    assert len(acknowledged_moves) > 0


def _dialect(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"
