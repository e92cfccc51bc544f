"""Overdue work in bounded pages: each section's most overdue items and its total on the pages and in
/api/v1/overdue, one section paged on to its end (every item once), and the overdue list read from its index."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import event, insert, select, text

from core.authz import SYSTEM
from tests.repairs.conftest import world  # noqa: F401  (fixture)

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)


def _today(app) -> date:
    from core.calendar import local_today

    with app.app_context():
        return local_today()


def _late_units(app, world, n: int, *, first: int = 0) -> None:  # noqa: F811
    """``n`` received units past their dispatch day, nine due days shared among them (ties on the day)."""
    from core.extensions import db
    from repairs.models import RepairUnit, ReturnParcel

    today = _today(app)
    with app.app_context():
        numbers = range(first, first + n)
        db.session.execute(insert(ReturnParcel), [
            {"rma_number": f"RP{i:05d}", "dealer_id": world.dealer_bj, "office_id": world.office_bj,
             "inbound_waybill": f"WP{i:05d}", "created_at": T0} for i in numbers])
        parcels = db.session.execute(select(ReturnParcel.id, ReturnParcel.rma_number)
                                     .where(ReturnParcel.rma_number.in_([f"RP{i:05d}" for i in numbers]))).all()
        db.session.execute(insert(RepairUnit), [
            {"parcel_id": pid, "line_no": 1, "serial": f"S{rma}", "model": "SSD A400 240G", "route_id": world.fac_route,
             "state": "received", "received_at": T0, "dispatch_due": today - timedelta(days=10 + int(rma[2:]) % 9)}
            for pid, rma in parcels])
        db.session.commit()


def _late_applications(app, world, n: int) -> None:  # noqa: F811
    from core.extensions import db
    from doa import states as st
    from doa.models import DoaApplication

    today = _today(app)
    with app.app_context():
        db.session.execute(insert(DoaApplication), [
            {"number": f"DOAP{i:05d}", "dealer_id": world.dealer_bj, "office_id": world.office_bj,
             "request": "replacement", "purchase_date": today - timedelta(days=40),
             "state": sorted(st.APPROVAL_CLOCK)[0], "created_at": T0,
             "approval_due": today - timedelta(days=3 + i % 4)} for i in range(n)])
        db.session.commit()


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_a_section_paged_to_its_end_gives_every_item_once(app, world, api_as):  # noqa: F811
    _late_units(app, world, 37)
    client = api_as("supervisor")
    first = client.get("/api/v1/overdue?per_page=5").get_json()
    units = {s["kind"]: s for s in first["sections"]}["repair_unit"]
    assert units["total"] == 37 and len(units["items"]) == 5 and units["next"]
    assert units["link"] == "/repairs/overdue"
    seen, after, pages = [], None, 0
    while True:
        url = "/api/v1/overdue?section=repair_unit&per_page=5" + (f"&after={after}" if after else "")
        body = client.get(url).get_json()
        [section] = body["sections"]
        assert section["kind"] == "repair_unit" and section["total"] == 37
        seen += section["items"]
        pages += 1
        after = section["next"]
        if after is None:
            break
    assert pages == 8
    ids = [i["item_id"] for i in seen]
    assert len(ids) == len(set(ids)) == 37
    # Most overdue first: the due days never go back, and ties go by unit id.
    keys = [(i["due"], i["item_id"]) for i in seen]
    assert keys == sorted(keys)
    assert [i["item_id"] for i in first["sections"][0]["items"]] == ids[:5]


def test_a_forged_or_foreign_page_link_is_a_422_in_json(app, world, api_as):  # noqa: F811
    _late_units(app, world, 3)
    client = api_as("supervisor")
    for url in ("/api/v1/overdue?section=repair_unit&after=not-a-cursor",
                f"/api/v1/overdue?section=repair_unit&after={_cursor(['x', 1])}",
                f"/api/v1/overdue?section=repair_unit&after={_cursor(['2026-01-01'])}",
                f"/api/v1/overdue?section=office_count&after={_cursor(['2026-01-01', 1])}",
                "/api/v1/overdue?section=no_such_section",
                "/api/v1/overdue?after=" + _cursor(["2026-01-01", 1]),
                "/api/v1/overdue?per_page=0",
                "/api/v1/overdue?section=repair_unit&per_page=100000"):
        resp = client.get(url)
        assert resp.status_code == 422, (url, resp.status_code)
        assert resp.is_json and resp.get_json().get("errors"), url


def test_a_listed_section_pages_too(app, world, api_as):  # noqa: F811
    """A provider that only lists its items (no query) is paged in Python with the same cursors."""
    from core import chase

    today = _today(app)
    owner = chase.Owner("cs", "CS", ())

    def listed(day, actor):
        return [chase.ChaseItem(kind="test_listed", item_id=i, owner=owner, reference=f"L{i % 3}", description="x",
                                due=day - timedelta(days=1 + i % 4), late=1, link="/") for i in range(11)]

    chase.register_chase("test_listed", listed, title="Listed")
    try:
        client = api_as("supervisor")
        seen, after = [], None
        while True:
            url = "/api/v1/overdue?section=test_listed&per_page=4" + (f"&after={after}" if after else "")
            [section] = client.get(url).get_json()["sections"]
            assert section["total"] == 11 and section["link"] is None
            seen += section["items"]
            after = section["next"]
            if after is None:
                break
        assert sorted(i["item_id"] for i in seen) == list(range(11))
        assert [i["due"] for i in seen] == sorted(i["due"] for i in seen)
        assert seen[0]["due"] == (today - timedelta(days=4)).isoformat()
    finally:
        chase._PROVIDERS.pop("test_listed", None)


def test_the_overdue_page_shows_a_sections_first_items_its_total_and_its_list(app, world, login):  # noqa: F811
    _late_applications(app, world, 14)
    page = login("supervisor", username="boss-paging").get("/repairs/overdue").get_data(as_text=True)
    doa = page[page.index('id="chase-doa"'):]
    doa = doa[:doa.index("</section>")]
    assert " · 14</h2>" in doa
    assert doa.count('href="/doa/DOAP') == 2 * 10  # the first ten applications, one item per department
    assert "14 in all" in doa and 'href="/doa/overdue"' in doa
    # The oldest due first: the applications four days late are on the first page.
    assert "DOAP00003" in doa and "DOAP00000" not in doa


def test_the_sweep_still_reads_every_item(app, world):  # noqa: F811
    """The sweep (chase.sections) reads a queried section in chunks to its end."""
    from core import chase

    _late_units(app, world, 205)
    with app.app_context():
        [units] = chase.sections(_today(app), SYSTEM, kinds=["repair_unit"])
        assert len(units.items) == len({i.item_id for i in units.items}) == 205


def _overdue_page_sql(app, actor, **kw) -> tuple[str, object]:
    """The statement the overdue list's page runs, with its parameters."""
    from core.accounts.service import get_user
    from core.extensions import db
    from repairs import overdue

    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "chase_due" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            page = overdue.overdue_page(get_user(actor) if isinstance(actor, str) else actor, **kw)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        assert seen, "no page statement seen"
        return seen[0], page.next


def _plan(app, statement: str, parameters) -> str:
    from core.extensions import db

    with app.app_context():
        conn = db.session.connection()
        raw = conn.connection.driver_connection
        cursor = raw.cursor()
        if conn.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        else:
            # Only whether the index can give the order: with sorting priced out, a Sort left in the
            # plan is one the index cannot avoid.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        db.session.rollback()
        return plan


def test_the_overdue_list_is_read_from_its_index_in_order(app, world, make_user):  # noqa: F811
    """The supervisor's list (every office) and the sweep's: a range of ix_repair_unit_chase_due in its
    order, the first page and the pages after (no sort of the overdue units). An office's list starts
    from the office's parcels instead, and sorts what it finds there."""
    _late_units(app, world, 60)
    supervisor = make_user("boss-plan", "supervisor")
    for actor in (SYSTEM, supervisor):
        (statement, parameters), after = _overdue_page_sql(app, actor, per_page=10)
        for stmt, params in ((statement, parameters),
                             _overdue_page_sql(app, actor, per_page=10, after=after)[0]):
            plan = _plan(app, stmt, params)
            assert "ix_repair_unit_chase_due" in plan, plan
            assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan, plan


def test_the_migration_fills_chase_due_by_the_rule(app, world):  # noqa: F811
    """The migration's SQL gives every state the stored value the services write."""
    import importlib.util
    from pathlib import Path

    from core.extensions import db
    from repairs import clocks
    from repairs.models import RepairUnit

    spec = importlib.util.spec_from_file_location(
        "chase_due_migration", Path(__file__).parents[2] / "migrations/versions/c4d8e2f6a1b3_repair_unit_chase_due.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    d = date(2026, 10, 1)
    cases = [(state, dd, sd, fd) for state in ("declared", "received", "awaiting_dealer", "inspected", "at_factory",
                                               "ready_to_ship", "shipped", "scrapped")
             for dd, sd, fd in ((d, d + timedelta(days=3), d + timedelta(days=1)),
                                (d + timedelta(days=5), d, d + timedelta(days=9)),
                                (d, None, d - timedelta(days=2)), (None, d, None))]
    _late_units(app, world, len(cases))
    with app.app_context():
        units = list(db.session.scalars(select(RepairUnit).order_by(RepairUnit.id)))
        for unit, (state, dd, sd, fd) in zip(units, cases):
            unit.state, unit.dispatch_due, unit.ship_due, unit.factory_due = state, dd, sd, fd
        db.session.flush()
        db.session.execute(RepairUnit.__table__.update().values(chase_due=None))
        db.session.execute(text(migration.FILL))
        db.session.commit()
        for unit in db.session.scalars(select(RepairUnit).execution_options(populate_existing=True)):
            assert unit.chase_due == clocks.next_due(unit), (unit.state, unit.dispatch_due, unit.ship_due,
                                                             unit.factory_due)


def test_chase_due_follows_a_unit_through_every_step(app, world, make_user):  # noqa: F811
    """Received, accepted, at the factory, back, shipped; and a finding that pauses the clocks, settled:
    after each step the stored chase_due is the earliest running clock's day."""
    from core.accounts.service import get_user
    from core.extensions import db
    from core.tasks import service as task_service
    from repairs import clocks, dealer_tasks, factory, inspection, intake, receiving, service
    from repairs.models import RepairUnit

    boss = make_user("boss-steps", "supervisor")

    def check(serial: str, state: str) -> None:
        db.session.commit()
        unit = db.session.scalar(select(RepairUnit).where(RepairUnit.serial == serial)
                                 .execution_options(populate_existing=True))
        assert unit.state == state
        assert unit.chase_due == clocks.next_due(unit), (serial, state)
        assert (unit.chase_due is None) == (state in ("awaiting_dealer", "shipped", "declared"))

    with app.app_context():
        intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[
            {"model": "SSD A400 240G", "serial": "CD1"}, {"model": "SSD A400 240G", "serial": "CD2"}])
        db.session.commit()
        check("CD1", "declared")
        receiving.receive_unit(SYSTEM, "CD1")
        check("CD1", "received")
        inspection.inspect_unit(SYSTEM, service.unit_by_serial("CD1"))
        check("CD1", "inspected")
        factory.dispatch_to_factory(SYSTEM, [service.unit_by_serial("CD1")])
        check("CD1", "at_factory")
        factory.receive_from_factory(SYSTEM, service.unit_by_serial("CD1"), "repaired")
        check("CD1", "ready_to_ship")
        factory.ship_to_dealer(SYSTEM, [service.unit_by_serial("CD1")])
        check("CD1", "shipped")
        receiving.receive_unit(SYSTEM, "CD2")
        inspection.inspect_unit(SYSTEM, service.unit_by_serial("CD2"), human_damage=True)
        check("CD2", "awaiting_dealer")
        [task] = [t for t in dealer_tasks.parcel_tasks(service.unit_by_serial("CD2").parcel) if t.status == "open"]
        task_service.answer(get_user(boss), task, "repair")
        check("CD2", "inspected")


def test_a_section_without_a_list_of_its_own_has_the_chase_section_page(app, world, login):  # noqa: F811
    """A section with no list of its own links the overdue page to ``/overdue/<kind>``, which pages all of
    it, most overdue first; an unknown section is a 404 and an office user is refused."""
    import re
    from html import unescape

    from core import chase

    owner = chase.Owner("cs", "CS", ())

    def listed(day, actor):
        return [chase.ChaseItem(kind="test_unlinked", item_id=i, owner=owner, reference=f"U{i:02d}",
                                description="x", due=day - timedelta(days=1 + i % 5), late=1 + i % 5, link="/")
                for i in range(23)]

    chase.register_chase("test_unlinked", listed, title="Unlinked", order=99)
    try:
        desk = login("supervisor", username="boss-unlinked")
        overview = desk.get("/repairs/overdue").get_data(as_text=True)
        part = overview[overview.index('id="chase-test_unlinked"'):]
        part = part[:part.index("</section>")]
        assert "23 in all" in part and 'href="/overdue/test_unlinked"' in part
        seen, url, pages = [], "/overdue/test_unlinked?per_page=10", 0
        while url:
            html = desk.get(url).get_data(as_text=True)
            assert "Unlinked · 23" in html
            seen += re.findall(r">(U\d\d)</a>", html)
            found = re.search(r'<a href="([^"]+)" rel="next">', html)
            url = unescape(found.group(1)) if found else None
            pages += 1
        assert sorted(seen) == [f"U{i:02d}" for i in range(23)] and len(seen) == 23 and pages == 3
        assert desk.get("/overdue/no_such_section").status_code == 404
        assert desk.get("/overdue/test_unlinked?after=x").status_code == 422
        for bad in ("0", "x", "100000"):
            resp = desk.get(f"/overdue/test_unlinked?per_page={bad}")
            assert resp.status_code == 422, bad
    finally:
        chase._PROVIDERS.pop("test_unlinked", None)
    office = login("office", username="bj-unlinked", office_id=world.office_bj)
    assert office.get("/overdue/repair_unit").status_code == 403
