"""Data and client processes for the concurrency and crash tests.

The data is made with the packages' own services (a dealer's parcels with
declared units, a bulk spare part with stock at HQ, two offices' spare
locations). Each client process (``multiprocessing`` with ``spawn``: a fresh
interpreter) builds its own app and database engine and talks to the API
through it, like a scanner station of its own.
"""
from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass, field

OFFICE_A, OFFICE_B = "CCA", "CCB"
DEALER = "CC-DEALER"
PART = "CC-BULK-SSD"
INITIAL_STOCK = 30
SCAN_PATH = "/api/v1/repairs/scan"
MOVE_PATH = "/api/v1/inventory/movements"
# Physical spare locations the workers move stock between.
ROUTES = [("HQ", f"OFF-{OFFICE_A}"), (f"OFF-{OFFICE_A}", "HQ"), (f"OFF-{OFFICE_A}", f"OFF-{OFFICE_B}"),
          (f"OFF-{OFFICE_B}", "HQ"), ("HQ", f"OFF-{OFFICE_B}"), (f"OFF-{OFFICE_B}", f"OFF-{OFFICE_A}")]


@dataclass
class Setup:
    serials: list
    tokens: list  # one clerk (and bearer token) per client process
    supervisor_token: str = ""
    part_id: int = 0
    locations: dict = field(default_factory=dict)  # code -> id


def seed(app, *, parcels: int, units: int, clerks: int, stock: bool = True) -> Setup:
    """Parcels of declared units, ``clerks`` clerks with tokens, and optionally spare stock at HQ."""
    from core.accounts.service import create_token, create_user
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from inventory import service as inv
    from repairs import intake

    with app.app_context():
        a = Office(code=OFFICE_A, name="Concurrency office A", region="华北")
        b = Office(code=OFFICE_B, name="Concurrency office B", region="华东")
        db.session.add_all([a, b])
        db.session.flush()
        db.session.add(Dealer(code=DEALER, name="Concurrency dealer", phone="13800001234", office_id=a.id))
        sup = create_user("cc-supervisor", "cc-supervisor-pass", ["supervisor"])
        tokens = []
        for i in range(clerks):
            clerk = create_user(f"cc-clerk-{i}", f"cc-clerk-{i}-pass", ["clerk"])
            tokens.append(create_token(clerk, f"scanner {i}")[1])
        serials = []
        for p in range(parcels):
            lines = [{"serial": f"CC{p:02d}U{u:03d}", "model": "SSD-512"} for u in range(units)]
            intake.create_parcel(sup, dealer_code=DEALER, lines=lines, source="api")
            serials.extend(line["serial"] for line in lines)
        setup = Setup(serials=serials, tokens=tokens, supervisor_token=create_token(sup, "supervisor")[1])
        if stock:
            part = inv.create_part(sup, sku=PART, model="SSD-512")
            hq = inv.system_location("hq_store")
            locs = [hq, inv.office_location(a.id), inv.office_location(b.id)]
            inv.post_movement(actor=sup, part=part, from_location=inv.system_location("finished_goods"),
                              to_location=hq, quantity=INITIAL_STOCK, reason="receipt")
            setup.part_id = part.id
            setup.locations = {loc.code: loc.id for loc in locs}
        db.session.commit()
    return setup


def scan_jobs(serials, mode: str, rng: random.Random) -> list:
    order = list(serials)
    rng.shuffle(order)
    return [("scan", {"mode": mode, "code": s}) for s in order]


def move_jobs(count: int, rng: random.Random) -> list:
    jobs = []
    for _ in range(count):
        src, dst = rng.choice(ROUTES)
        jobs.append(("move", {"sku": PART, "from_location": src, "to_location": dst,
                              "quantity": rng.randint(1, 3), "reason": "transfer"}))
    return jobs


def interleave(a: list, b: list, rng: random.Random) -> list:
    out, i, j = [], 0, 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and rng.random() < len(a) / (len(a) + len(b))):
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out


def client_process(db_url: str, token: str, jobs: list, barrier, results) -> None:
    """One scanner station: its own app and engine; sends ``jobs`` as fast as it can."""
    os.environ["DEPOT_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="depot-cc-")
    os.environ.setdefault("DEPOT_SECRET_KEY", "concurrency-test-key")
    from core import create_app
    from core.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "concurrency-test-key", "SQLALCHEMY_DATABASE_URI": db_url,
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 1})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/healthz")  # connect before the start line
    out = []
    try:
        barrier.wait(120)
        for kind, payload in jobs:
            path = SCAN_PATH if kind == "scan" else MOVE_PATH
            resp = client.post(path, json=payload, headers=headers)
            body = resp.get_json(silent=True) or {}
            out.append((kind, payload, resp.status_code, body.get("status") if kind == "scan" else body.get("id"),
                        body.get("code")))
    finally:
        results.put(out)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run_clients(db_url: str, tokens: list, jobs_per_client: list, timeout: float = 300) -> list:
    """Start one process per client, release them together, return every response."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(jobs_per_client))
    results = ctx.Queue()
    procs = [ctx.Process(target=client_process, args=(db_url, tokens[i], jobs, barrier, results), daemon=True)
             for i, jobs in enumerate(jobs_per_client)]
    for p in procs:
        p.start()
    collected = []
    try:
        for _ in procs:
            collected.extend(results.get(timeout=timeout))
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    return collected


def ledger_problems(app, setup: Setup) -> list[str]:
    """Every balance equals the sum of its movements; no physical location below zero."""
    from sqlalchemy import func, select

    from core.extensions import db
    from inventory.models import PHYSICAL_KINDS, Balance, Location, Movement

    problems = []
    with app.app_context():
        inflow = dict(db.session.execute(select(Movement.to_location_id, func.sum(Movement.quantity))
                                         .where(Movement.part_id == setup.part_id)
                                         .group_by(Movement.to_location_id)).all())
        outflow = dict(db.session.execute(select(Movement.from_location_id, func.sum(Movement.quantity))
                                          .where(Movement.part_id == setup.part_id)
                                          .group_by(Movement.from_location_id)).all())
        physical_total = 0
        for bal, loc in db.session.execute(select(Balance, Location).join(Location, Balance.location_id == Location.id)
                                           .where(Balance.part_id == setup.part_id)).all():
            expected = (inflow.get(loc.id) or 0) - (outflow.get(loc.id) or 0)
            if bal.quantity != expected:
                problems.append(f"{loc.code}: balance {bal.quantity}, movements say {expected}")
            if loc.kind in PHYSICAL_KINDS:
                physical_total += bal.quantity
                if bal.quantity < 0:
                    problems.append(f"{loc.code}: negative stock {bal.quantity}")
        for loc_id in set(inflow) | set(outflow):
            if db.session.get(Balance, (loc_id, setup.part_id)) is None:
                problems.append(f"location {loc_id} has movements but no balance row")
        if physical_total != INITIAL_STOCK:
            problems.append(f"physical stock adds up to {physical_total}, not {INITIAL_STOCK}")
    return problems


def unit_problems(app, serials, expected_state: str, actions: dict) -> list[str]:
    """Each unit is in ``expected_state`` with exactly ``actions[action]`` events of each action."""
    from sqlalchemy import func, select

    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit

    problems = []
    with app.app_context():
        units = {u.serial: u for u in db.session.scalars(select(RepairUnit).where(RepairUnit.serial.in_(serials)))}
        counts = {}
        for unit_id, action, n in db.session.execute(
            select(RepairEvent.unit_id, RepairEvent.action, func.count())
            .group_by(RepairEvent.unit_id, RepairEvent.action)
        ):
            counts[(unit_id, action)] = n
        for serial in serials:
            unit = units.get(serial)
            if unit is None:
                problems.append(f"{serial}: missing")
                continue
            if unit.state != expected_state:
                problems.append(f"{serial}: state {unit.state}, expected {expected_state}")
            for action, n in actions.items():
                got = counts.get((unit.id, action), 0)
                if got != n:
                    problems.append(f"{serial}: {got} '{action}' events, expected {n}")
    return problems
