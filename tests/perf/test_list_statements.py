"""Every list page and list API answers with the same number of SQL statements for 10 rows as for 1,000.

A list that loads something per row (a lazy relationship in a template, a query per row in a
schema) or counts in Python grows with the data; one page must cost a fixed number of
statements whatever the table holds. Rows are bulk-inserted (Core ``insert`` of many values),
so each case takes well under a second.

A new list is one line in :data:`LISTS`: its path, the roles that may read it, and the seeder
that adds ``n`` more of its rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, insert

SMALL, LARGE = 10, 1000
AUTH_STATEMENTS = ("SELECT api_token.", "SELECT user_account.", "UPDATE api_token")
PAST = date(2026, 6, 1)  # long before today: every clock that ran from here is overdue
T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)


@dataclass
class Seed:
    dealer: int
    office: int
    route: int
    made: int = 0  # rows made so far (unique numbers across the two rounds)
    bill: int | None = None


def _base(app) -> Seed:
    from core.directory.models import Dealer, Factory, Office, RepairRoute
    from core.extensions import db

    with app.app_context():
        office = Office(code="BJ", name="北京办事处", region="华北")
        db.session.add(office)
        db.session.flush()
        factory = Factory(code="FAC", name="东莞工厂维修部", email="repair@factory.example")
        db.session.add(factory)
        db.session.flush()
        route = RepairRoute(code="FAC", name="工厂维修", factory_id=factory.id, promise_days=7, dispatch_days=2)
        dealer = Dealer(code="D0001", name="北京数码科技有限公司", phone="138-1234-5678", office_id=office.id)
        db.session.add_all([route, dealer])
        db.session.commit()
        return Seed(dealer.id, office.id, route.id)


def _bulk(model, rows: list[dict]) -> list[int]:
    from core.extensions import db

    db.session.execute(insert(model), rows)
    return []


def _numbers(seed: Seed, n: int) -> range:
    start = seed.made
    seed.made += n
    return range(start, start + n)


def _parcels_with_units(seed: Seed, n: int, **unit) -> None:
    """``n`` parcels of one unit each (the unit's columns from ``unit``)."""
    from sqlalchemy import select

    from core.extensions import db
    from repairs.models import RepairUnit, ReturnParcel

    numbers = _numbers(seed, n)
    _bulk(ReturnParcel, [{"rma_number": f"R{i:07d}", "dealer_id": seed.dealer, "office_id": seed.office,
                          "inbound_waybill": f"WB{i:07d}", "created_at": T0} for i in numbers])
    ids = db.session.execute(select(ReturnParcel.id, ReturnParcel.rma_number)
                             .where(ReturnParcel.rma_number.in_([f"R{i:07d}" for i in numbers]))).all()
    _bulk(RepairUnit, [{"parcel_id": pid, "line_no": 1, "serial": f"S{rma}", "model": "SSD A400 240G",
                        "route_id": seed.route, **unit} for pid, rma in ids])


def seed_parcels(seed: Seed, n: int) -> None:
    _parcels_with_units(seed, n, state="declared")


def seed_overdue_units(seed: Seed, n: int) -> None:
    # Half wait for dispatch, half at the factory past its 7 days: both clocks' rows on the page.
    _parcels_with_units(seed, n // 2, state="received", received_at=T0, dispatch_due=PAST)
    _parcels_with_units(seed, n - n // 2, state="at_factory", received_at=T0, inspected_at=T0, dispatched_at=T0,
                        dispatch_due=PAST, ship_due=PAST + timedelta(days=9), factory_due=PAST + timedelta(days=7))


def seed_doa_overdue(seed: Seed, n: int) -> None:
    from doa import states as st
    from doa.models import DoaApplication

    state = sorted(st.APPROVAL_CLOCK)[0]
    _bulk(DoaApplication, [{"number": f"DOA{i:07d}", "dealer_id": seed.dealer, "office_id": seed.office,
                            "request": "replacement", "purchase_date": PAST, "state": state, "created_at": T0,
                            "approval_due": PAST + timedelta(days=i % 30)} for i in _numbers(seed, n)])


def seed_shipments(seed: Seed, n: int) -> None:
    from shipments.models import Shipment

    _bulk(Shipment, [{"number": f"SHP{i:07d}", "leg": "hq_dealer", "dealer_id": seed.dealer, "office_id": seed.office,
                      "waybill": f"SF{i:09d}", "carrier": "SF", "status": "shipped", "created_at": T0,
                      "shipped_at": T0} for i in _numbers(seed, n)])


def seed_tasks(seed: Seed, n: int) -> None:
    """Repairs dealer tasks, each about one unit of its own parcel (waiting for the dealer)."""
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task
    from repairs.models import RepairUnit

    first = seed.made
    _parcels_with_units(seed, n, state="awaiting_dealer", received_at=T0, inspected_at=T0)
    units = db.session.execute(select(RepairUnit.id, RepairUnit.parcel_id).where(RepairUnit.serial.in_(
        [f"SR{i:07d}" for i in range(first, first + n)]))).all()
    _bulk(Task, [{"process": "repairs", "kind": "quote", "case_type": "return_parcel", "case_id": parcel_id,
                  "subject_type": "repair_unit", "subject_id": unit_id, "dealer_id": seed.dealer,
                  "office_id": seed.office, "detail": f"#{unit_id}", "due_on": PAST, "status": "open",
                  "created_at": T0} for unit_id, parcel_id in units])


def seed_doa_tasks(seed: Seed, n: int) -> None:
    """DOA dealer tasks, each about its own application and held unit (as a receipt problem opens them)."""
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task
    from doa.models import DoaApplication, DoaHold

    numbers = list(_numbers(seed, n))
    _bulk(DoaApplication, [{"number": f"DOA{i:07d}", "dealer_id": seed.dealer, "office_id": seed.office,
                            "request": "replacement", "purchase_date": PAST, "state": "submitted", "created_at": T0,
                            "approval_due": PAST} for i in numbers])
    apps = db.session.execute(select(DoaApplication.id, DoaApplication.number).where(
        DoaApplication.number.in_([f"DOA{i:07d}" for i in numbers]))).all()
    _bulk(DoaHold, [{"serial": f"H{number}", "application_id": app_id, "dealer_id": seed.dealer,
                     "office_id": seed.office, "reason": "not_approved", "status": "held", "arrived_at": T0}
                    for app_id, number in apps])
    holds = dict(db.session.execute(select(DoaHold.application_id, DoaHold.id).where(
        DoaHold.application_id.in_([app_id for app_id, _n in apps]))).all())
    _bulk(Task, [{"process": "doa", "kind": "unapproved_arrival", "case_type": "doa_application", "case_id": app_id,
                  "subject_type": "doa_hold", "subject_id": holds[app_id], "dealer_id": seed.dealer,
                  "office_id": seed.office, "detail": f"#{app_id}", "due_on": PAST, "status": "open",
                  "created_at": T0} for app_id, _number in apps])


def seed_doa_holds(seed: Seed, n: int) -> None:
    """Units held on arrival, half with an application, all with the dealer."""
    from sqlalchemy import select

    from core.extensions import db
    from doa.models import DoaApplication, DoaHold

    numbers = list(_numbers(seed, n))
    _bulk(DoaApplication, [{"number": f"DOA{i:07d}", "dealer_id": seed.dealer, "office_id": seed.office,
                            "request": "replacement", "purchase_date": PAST, "state": "submitted", "created_at": T0,
                            "approval_due": PAST} for i in numbers[::2]])
    apps = dict(db.session.execute(select(DoaApplication.number, DoaApplication.id).where(
        DoaApplication.number.in_([f"DOA{i:07d}" for i in numbers[::2]]))).all())
    _bulk(DoaHold, [{"serial": f"H{i:07d}", "application_id": apps.get(f"DOA{i:07d}"), "dealer_id": seed.dealer,
                     "office_id": seed.office, "reason": "not_approved", "status": "held",
                     "arrived_at": T0 + timedelta(minutes=i)} for i in numbers])


def seed_bill_findings(seed: Seed, n: int) -> None:
    from core.extensions import db
    from shipments.models import FreightBill, FreightFinding

    if seed.bill is None:
        bill = FreightBill(period="2026-10", filename="oct.csv", checksum="0" * 64)
        db.session.add(bill)
        db.session.flush()
        seed.bill = bill.id
    _bulk(FreightFinding, [{"bill_id": seed.bill, "kind": ("no_shipment", "unbilled")[i % 2], "waybill": f"NS{i:07d}",
                            "billed": Decimal("1.50")} for i in _numbers(seed, n)])


def seed_bills(seed: Seed, n: int) -> None:
    """Imported bills (each by the same importer) with one line without a shipment each."""
    from sqlalchemy import select

    from core.accounts.models import User
    from core.extensions import db
    from shipments.models import FreightBill, FreightFinding

    importer = db.session.scalar(select(User.id).where(User.username == "importer"))
    if importer is None:
        user = User(username="importer", display_name="导入员", password_hash="x")
        db.session.add(user)
        db.session.flush()
        importer = user.id
    numbers = list(_numbers(seed, n))
    _bulk(FreightBill, [{"period": "2026-10", "filename": f"b{i}.csv", "checksum": f"{i:064d}",
                         "imported_by_id": importer, "imported_at": T0} for i in numbers])
    bills = db.session.scalars(select(FreightBill.id).where(FreightBill.checksum.in_([f"{i:064d}" for i in numbers])))
    _bulk(FreightFinding, [{"bill_id": bill_id, "kind": "no_shipment", "waybill": "NS"} for bill_id in bills])


def _ledger_places(seed: Seed) -> tuple[int, int, int]:
    """(part, HQ store, the office's location) for the ledger's and the counts' rows, made on first use."""
    from core.extensions import db
    from inventory import service
    from inventory.models import HQ_STORE, Part

    if "ledger_places" not in seed.__dict__:  # kept on the seed between the two rounds
        part = Part(sku="USB-64", model="USB 64GB", unit_cost=Decimal("30.00"))
        db.session.add(part)
        db.session.flush()
        places = (part.id, service.system_location(HQ_STORE).id, service.office_location(seed.office).id)
        seed.__dict__["ledger_places"] = places
    return seed.__dict__["ledger_places"]


def seed_movements(seed: Seed, n: int) -> None:
    """Ledger lines between HQ and the office, both ways."""
    from inventory.models import Movement

    part, hq, office = _ledger_places(seed)
    _bulk(Movement, [{"at": T0 + timedelta(minutes=i), "part_id": part, "from_location_id": (hq, office)[i % 2],
                      "to_location_id": (office, hq)[i % 2], "quantity": 1, "reason": "transfer", "note": "",
                      "recorded_at": T0} for i in _numbers(seed, n)])


def seed_counts(seed: Seed, n: int) -> None:
    """Submitted counts of the office's and HQ's stock."""
    from inventory.models import StockCount

    _part, hq, office = _ledger_places(seed)
    _bulk(StockCount, [{"number": f"CNT{i:07d}", "location_id": (hq, office)[i % 2], "kind": "weekly",
                        "method": "form", "blind": False, "full": True, "counted_at": T0, "status": "submitted",
                        "note": "", "created_at": T0} for i in _numbers(seed, n)])


def _bill_path(seed: Seed, api: bool) -> str:
    return f"/api/v1/shipments/freight-bills/{seed.bill}" if api else f"/shipments/freight/{seed.bill}"


def seed_overdue_work(seed: Seed, n: int) -> None:
    """Late work of several sections at once: units, DOA applications and repairs dealer tasks."""
    seed_overdue_units(seed, n)
    seed_doa_overdue(seed, n)
    seed_tasks(seed, n)


# (path or path maker, seeder, role that reads it)
LISTS = [
    ("/repairs/overdue", seed_overdue_units, "supervisor"),
    ("/api/v1/repairs/overdue", seed_overdue_units, "supervisor"),
    ("/repairs/parcels", seed_parcels, "service"),
    ("/api/v1/repairs/parcels", seed_parcels, "service"),
    ("/doa/overdue", seed_doa_overdue, "supervisor"),
    ("/api/v1/doa/overdue", seed_doa_overdue, "supervisor"),
    ("/doa/", seed_doa_overdue, "supervisor"),
    ("/api/v1/doa/applications", seed_doa_overdue, "supervisor"),
    ("/shipments/", seed_shipments, "supervisor"),
    ("/api/v1/shipments", seed_shipments, "supervisor"),
    ("/tasks?process=repairs", seed_tasks, "supervisor"),
    ("/api/v1/tasks?process=repairs", seed_tasks, "supervisor"),
    ("/shipments/freight", seed_bills, "supervisor"),
    (lambda seed: _bill_path(seed, False), seed_bill_findings, "supervisor"),
    (lambda seed: _bill_path(seed, True), seed_bill_findings, "supervisor"),
    ("/tasks", seed_tasks, "service"),
    ("/api/v1/tasks", seed_tasks, "service"),
    ("/api/v1/repairs/tasks", seed_tasks, "supervisor"),
    ("/tasks?process=doa", seed_doa_tasks, "supervisor"),
    ("/api/v1/tasks?process=doa", seed_doa_tasks, "supervisor"),
    ("/api/v1/doa/tasks", seed_doa_tasks, "supervisor"),
    ("/tasks?process=doa&status=all", seed_doa_tasks, "supervisor"),
    ("/doa/holds", seed_doa_holds, "supervisor"),
    ("/api/v1/doa/holds", seed_doa_holds, "supervisor"),
    ("/api/v1/overdue", seed_overdue_work, "supervisor"),
    ("/repairs/overdue", seed_overdue_work, "supervisor"),
    ("/api/v1/overdue?section=repair_unit&per_page=20", seed_overdue_work, "supervisor"),
    ("/inventory/movements", seed_movements, "supervisor"),
    ("/api/v1/inventory/movements", seed_movements, "supervisor"),
    ("/inventory/counts", seed_counts, "supervisor"),
    ("/api/v1/inventory/counts", seed_counts, "supervisor"),
    ("/api/v1/shipments/freight-bills", seed_bills, "supervisor"),
]


def _id(case) -> str:
    path, seeder, _role = case
    return path if isinstance(path, str) else seeder.__name__ + ("_api" if "True" in repr(path.__code__.co_consts)
                                                                 else "")


class StatementCounter:
    """Counts the statements the engine runs (``before_cursor_execute``) while active."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        # Who is asking is read again once a second (a token's or session's user), whatever the list:
        # on a busy machine that falls on one request and not the other, so it is left out.
        if not statement.lstrip().startswith(AUTH_STATEMENTS):
            self.statements.append(statement)


def _count(app, client, path: str) -> tuple[int, list[str]]:
    from core.extensions import db

    with app.app_context():
        engine = db.engine
    client.get(path)  # warm: the session's user, the catalogue, cached statements
    with StatementCounter(engine) as counter:
        resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:500])
    return len(counter.statements), counter.statements


@pytest.mark.parametrize("case", LISTS, ids=[f"{i:02d}-{c[1].__name__}-{c[0] if isinstance(c[0], str) else 'bill'}"
                                             for i, c in enumerate(LISTS)])
def test_a_page_costs_the_same_statements_for_10_and_1000_rows(app, login, api_as, case):
    from core.extensions import db

    path, seeder, role = case
    seed = _base(app)
    user = f"perf-{role}"
    client = api_as(role, username=user) if (path if isinstance(path, str) else "") .startswith("/api/") else None
    with app.app_context():
        seeder(seed, SMALL)
        db.session.commit()
    url = path if isinstance(path, str) else path(seed)
    if client is None:
        client = api_as(role, username=user) if url.startswith("/api/") else login(role, username=user)
    small, small_sql = _count(app, client, url)
    with app.app_context():
        seeder(seed, LARGE - SMALL)
        db.session.commit()
    large, large_sql = _count(app, client, url)
    print(f"{url}: {small} statements with {SMALL} rows, {large} with {LARGE}")
    assert small == large, "\n".join(large_sql)
