"""Two clocks per repair, each with an owner (manual ch. 3, 二.2.1.1: 对外承诺七个工作日, 对内要求7天).

The dealer's promise (7 working days from CS acceptance) is paused while the
case waits for the dealer's answer or the supervisor's decision and resumed,
pushed by the paused working days, when it is settled. The factory's own
clock (7 calendar days from dispatch) is what chases the factory. CS keeps its
2-working-day dispatch clock. A promise-free route (Taiwan) is chased after 30
days at the repairer. Calendars: 2026 Spring Festival (Feb 15-23 off, Sat 14
and Sat 28 make-up working days) and National Day (Oct 1-7 off, Sat Oct 10 a
make-up working day; Fri Sep 25, Mid-Autumn, off).
"""
from __future__ import annotations

import re
from datetime import date
from unittest import mock

import pytest

from core.authz import SYSTEM
from core.tasks import service as task_service
from tests.repairs.conftest import at

D = date

# One step per row, in time order: (day, step, argument). Steps: receive (route code), inspect
# (finding or None), dealer (decision), settle (decision), dispatch, back, ship, and check (the
# late clock that day as the unit stands: None, or (owner, kind, days late)).
SCENARIOS = {
    # The finding: inspected 11-16, disputed, settled 11-24 and dispatched 11-25. The six working
    # days of the dispute move both CS clocks; on 11-26 nothing is late (the factory was mailed before).
    "dispute_settled_then_factory": dict(
        steps=[
            (D(2026, 11, 16), "receive", "FAC"), (D(2026, 11, 16), "inspect", "human_damage"),
            (D(2026, 11, 17), "dealer", "dispute"),
            (D(2026, 11, 20), "check", None),  # paused: nobody is late while the supervisor decides
            (D(2026, 11, 24), "settle", "repair"),
            (D(2026, 11, 25), "dispatch", None),
            (D(2026, 11, 26), "check", None),
            (D(2026, 12, 1), "check", None),  # the factory's 7 days end on 12-02
            (D(2026, 12, 1), "back", None), (D(2026, 12, 2), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 11, 26), ship_due=D(2026, 12, 3), factory_due=D(2026, 12, 2), paused_days=6),
        month="2026-12", figures=dict(ship_ok=1, ship_n=1, late_factory=0, late_cs=0),
    ),
    # The chase came too late: accepted 11-02, at the factory from 11-03. The factory's 7 calendar
    # days run out on 11-10, so it is chased on 11-11, not after the dealer's promise (11-11) broke.
    "factory_chased_after_its_seven_days": dict(
        steps=[
            (D(2026, 11, 2), "receive", "FAC"), (D(2026, 11, 2), "inspect", None),
            (D(2026, 11, 3), "dispatch", None),
            (D(2026, 11, 10), "check", None),
            (D(2026, 11, 11), "check", ("factory", "factory", 1)),
            (D(2026, 11, 13), "check", ("factory", "factory", 3)),  # and the promise is late too, but the factory is asked
            (D(2026, 11, 13), "back", None),
            (D(2026, 11, 16), "check", ("cs", "promise", 3)),  # back with CS: CS's promise, 11-12, 11-13, 11-16
            (D(2026, 11, 16), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 11, 4), ship_due=D(2026, 11, 11), factory_due=D(2026, 11, 10), paused_days=0),
        month="2026-11", figures=dict(ship_ok=0, ship_n=1, late_factory=1, late_cs=0),
    ),
    # A paid-repair hold across National Day: the dealer answers on 10-09. Two working days paused
    # (10-08, 10-09) move the dispatch clock to the make-up Saturday 10-10; CS sends on Monday 10-12:
    # CS's dispatch clock is late, and the factory is not blamed.
    "hold_across_national_day": dict(
        steps=[
            (D(2026, 9, 29), "receive", "FAC"), (D(2026, 9, 30), "inspect", "out_of_warranty"),
            (D(2026, 10, 9), "check", None),
            (D(2026, 10, 9), "dealer", "repair"),
            (D(2026, 10, 10), "check", None),
            (D(2026, 10, 12), "check", ("cs", "dispatch", 1)),
            (D(2026, 10, 12), "dispatch", None),
            (D(2026, 10, 16), "back", None),
            (D(2026, 10, 19), "check", None),
            (D(2026, 10, 19), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 10, 10), ship_due=D(2026, 10, 19), factory_due=D(2026, 10, 19), paused_days=2),
        month="2026-10", figures=dict(ship_ok=1, ship_n=1, late_factory=0, late_cs=0),
    ),
    # A dispute across National Day settled "return as is": three working days paused (9-30, 10-08,
    # 10-09). The promise ends on 10-19; shipped 10-20 is CS's lateness, never the factory's.
    "dispute_across_national_day_returned": dict(
        steps=[
            (D(2026, 9, 29), "receive", "FAC"), (D(2026, 9, 29), "inspect", "human_damage"),
            (D(2026, 9, 30), "dealer", "dispute"),
            (D(2026, 10, 9), "settle", "return"),
            (D(2026, 10, 19), "check", None),
            (D(2026, 10, 20), "check", ("cs", "promise", 1)),
            (D(2026, 10, 20), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 10, 12), ship_due=D(2026, 10, 19), factory_due=None, paused_days=3),
        month="2026-10", figures=dict(ship_ok=0, ship_n=1, late_factory=0, late_cs=1),
    ),
    # Spring Festival, no hold: accepted Fri 2-13, dispatch due 2-24 (after the make-up Saturday 2-14),
    # promise due 3-02. At the factory from 2-24: on 3-03 the promise broke while the factory is
    # within its 7 days (CS is chased); from 3-04 the factory's clock ran out and it is chased.
    "spring_festival_promise_then_factory": dict(
        steps=[
            (D(2026, 2, 13), "receive", "FAC"), (D(2026, 2, 13), "inspect", None),
            (D(2026, 2, 24), "check", None),
            (D(2026, 2, 24), "dispatch", None),
            (D(2026, 3, 3), "check", ("cs", "promise", 1)),
            (D(2026, 3, 4), "check", ("factory", "factory", 1)),
            (D(2026, 3, 5), "back", None), (D(2026, 3, 6), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 2, 24), ship_due=D(2026, 3, 2), factory_due=D(2026, 3, 3), paused_days=0),
        month="2026-03", figures=dict(ship_ok=0, ship_n=1, late_factory=1, late_cs=0),
    ),
    # A hold across the Spring Festival: the dealer wants it back as is on 2-25; four working days
    # paused (2-13, the make-up 2-14, 2-24, 2-25) move the promise from 2-28 to 3-05: shipped on time.
    "hold_across_spring_festival_returned": dict(
        steps=[
            (D(2026, 2, 12), "receive", "FAC"), (D(2026, 2, 12), "inspect", "human_damage"),
            (D(2026, 2, 24), "check", None),  # still waiting for the dealer: paused, not late
            (D(2026, 2, 25), "dealer", "return"),
            (D(2026, 3, 5), "check", None),
            (D(2026, 3, 5), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 2, 27), ship_due=D(2026, 3, 5), factory_due=None, paused_days=4),
        month="2026-03", figures=dict(ship_ok=1, ship_n=1, late_factory=0, late_cs=0),
    ),
    # Taiwan (no promise): away from 06-02, long outstanding after 30 days at the repairer, and
    # still listed 105 days on; not measured by the 7-day figures.
    "taiwan_long_outstanding": dict(
        steps=[
            (D(2026, 6, 1), "receive", "TW"), (D(2026, 6, 1), "inspect", None),
            (D(2026, 6, 2), "dispatch", None),
            (D(2026, 7, 2), "check", None),
            (D(2026, 7, 3), "check", ("repairer", "long_outstanding", 1)),
            (D(2026, 9, 15), "check", ("repairer", "long_outstanding", 75)),
            (D(2026, 9, 16), "back", None), (D(2026, 9, 17), "ship", None),
        ],
        dues=dict(dispatch_due=D(2026, 6, 3), ship_due=None, factory_due=D(2026, 7, 2), paused_days=0),
        month="2026-09", figures=dict(ship_ok=0, ship_n=0, late_factory=0, late_cs=0),
    ),
}


def _task(unit):
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task

    return db.session.scalar(select(Task).where(Task.process == "repairs").where(Task.subject_type == "repair_unit", Task.subject_id == unit.id).order_by(Task.id.desc()))


@pytest.fixture()
def hq(make_user):
    """A customer-service clerk at headquarters (shipments need a signed-in sender)."""
    return make_user("hq-desk", "clerk", "service", "supervisor")


def run_steps(world, steps, serial="CLK1", user="hq-desk"):
    """Walk one unit through ``steps`` (state checks included) as ``user``; returns the unit."""
    from core.accounts.service import get_user
    from core.extensions import db
    from repairs import clocks, factory, inspection, intake, overdue, receiving

    who = get_user(user)
    unit = None
    for day, step, arg in steps:
        moment = at(day, 11)
        if step == "receive":
            parcel = intake.create_parcel(who, dealer_id=world.dealer_bj, at=at(day, 8),
                                           lines=[{"model": "SSD A400 240G", "serial": serial, "route": arg}])
            unit = receiving.receive_unit(who, serial, parcel, at=at(day, 9))
        elif step == "inspect":
            inspection.inspect_unit(who, unit, at=at(day, 10), **({arg: True} if arg else {}))
        elif step == "dealer":
            task_service.answer(who, _task(unit), arg, note="dealer on the phone", at=moment)
        elif step == "settle":
            task_service.settle(who, _task(unit), arg, note="supervisor", at=moment)
        elif step == "dispatch":
            factory.dispatch_to_factory(who, [unit], at=moment)
        elif step == "back":
            factory.receive_from_factory(who, unit, "repaired", at=moment)
        elif step == "ship":
            factory.ship_to_dealer(who, [unit], at=at(day, 16))
        elif step == "check":
            db.session.flush()
            late = clocks.late_clock(unit, day)
            got = None if late is None else (late.owner, late.kind, late.days_late)
            assert got == arg, (day, unit.state, got)
            listed = [u.id for u in overdue.overdue_units(SYSTEM, today=day)]
            assert (unit.id in listed) == (arg is not None), (day, listed)
        db.session.flush()
    db.session.commit()
    return unit


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_both_clocks_who_is_chased_and_the_figures(app, world, prices, shipments_ready, hq, name):
    from core.extensions import db
    from figures import service as figures
    from figures.periods import parse_month
    from repairs.models import RepairUnit

    scenario = SCENARIOS[name]
    with app.app_context():
        unit = db.session.get(RepairUnit, run_steps(world, scenario["steps"]).id)
        got = {key: getattr(unit, key) for key in scenario["dues"]}
        assert got == scenario["dues"]
        assert unit.state == "shipped" and unit.promise_paused_on is None

        report = figures.compute_report(parse_month(scenario["month"]), figures.Scope(None))
        rows = {str(r[0]): r for r in report.table("summary").rows}
        want = scenario["figures"]
        assert rows["Returned within 7 working days of acceptance"][2:4] == [want["ship_ok"], want["ship_n"]]
        assert rows["Returned late: the factory's clock ran out"][2] == want["late_factory"]
        assert rows["Returned late: customer service's clock ran out"][2] == want["late_cs"]


# --------------------------------------------------------------------------- the findings, service / page / API

def _disputed_then_dispatched(app, world):
    """The finding's unit: inspected 11-16, disputed, settled 11-24, dispatched 11-25."""
    steps = [s for s in SCENARIOS["dispute_settled_then_factory"]["steps"]
             if s[1] not in ("check", "back", "ship")]
    with app.app_context():
        return run_steps(world, steps).id


def test_dispute_is_not_the_factorys_delay_service_page_api(app, world, prices, shipments_ready, hq, login,
                                                            api_as):
    from core.extensions import db
    from repairs import overdue
    from repairs.models import RepairUnit

    unit_id = _disputed_then_dispatched(app, world)
    with app.app_context():
        unit = db.session.get(RepairUnit, unit_id)
        assert overdue.overdue_units(SYSTEM, today=D(2026, 11, 26)) == []
        rows = overdue.overdue_report(SYSTEM, today=D(2026, 12, 3))["rows"]
        assert [(r["unit"].id, r["owner"], r["clock"], r["late"]) for r in rows] == [(unit.id, "factory", "factory", 1)]

    with mock.patch("repairs.overdue.local_today", return_value=D(2026, 11, 26)):
        page = login("supervisor").get("/repairs/overdue").get_data(as_text=True)
        assert "CLK1" not in re.sub(r'value="[^"]*"', "", page)
        assert api_as("supervisor").get("/api/v1/repairs/overdue").json["items"] == []
    with mock.patch("repairs.overdue.local_today", return_value=D(2026, 12, 3)):
        page = login("service", username="desk2").get("/repairs/overdue").get_data(as_text=True)
        rows = api_as("service", username="api-desk2").get("/api/v1/repairs/overdue").json["items"]
    assert "CLK1" in page and "factory · factory&#39;s 7 days" in page and "back from the factory" in page
    assert [(r["unit"]["serial"], r["owner"], r["clock"], r["clock_label"], r["late"], r["working_days"])
            for r in rows] == [("CLK1", "factory", "factory", "factory's 7 days", 1, False)]
    assert rows[0]["owner_label"] == "factory" and rows[0]["due"] == "2026-12-02"


def test_pause_is_shown_on_the_unit_page_the_api_and_the_dealers_status_page(app, world, prices, login, api_as,
                                                                               client):
    from core.extensions import db
    from repairs import inspection, intake, receiving
    from repairs.models import RepairUnit

    with app.app_context():
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, at=at(D(2026, 11, 16), 8),
                                       lines=[{"model": "SSD A400 240G", "serial": "P1"}])
        unit = receiving.receive_unit(SYSTEM, "P1", parcel, at=at(D(2026, 11, 16), 9))
        inspection.inspect_unit(SYSTEM, unit, human_damage=True, at=at(D(2026, 11, 16), 10))
        task_service.answer(SYSTEM, _task(unit), "dispute", at=at(D(2026, 11, 17)))
        db.session.commit()
        unit_id, rma = unit.id, parcel.rma_number

    with mock.patch("repairs.views.local_today", return_value=D(2026, 11, 20)):
        page = login("supervisor").get(f"/repairs/units/{unit_id}").get_data(as_text=True)
    assert "paused since 2026-11-16, waiting for the supervisor&#39;s decision" in page
    assert "dealer promise" in page and "CS dispatch clock" in page

    body = api_as("supervisor").get(f"/api/v1/repairs/units/{unit_id}").json
    assert body["promise_paused_on"] == "2026-11-16"
    promise = next(c for c in body["clocks"] if c["kind"] == "promise")
    assert promise["status"] == "paused" and promise["owner"] == "cs" and promise["paused_since"] == "2026-11-16"
    assert promise["due"] is None  # not known until the case is settled

    token = client.csrf_token("/status")
    page = client.post("/status", data={"rma_number": rma, "phone_last4": "5678", "csrf_token": token})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "our promise is paused since 2026-11-16" in text

    with app.app_context():
        task = _task(db.session.get(RepairUnit, unit_id))
        task_service.settle(SYSTEM, task, "repair", note="goodwill", at=at(D(2026, 11, 24)))
        db.session.commit()
    body = api_as("supervisor", username="sup2").get(f"/api/v1/repairs/units/{unit_id}").json
    assert body["promise_paused_on"] is None and body["paused_days"] == 6
    assert body["ship_due"] == "2026-12-03" and body["dispatch_due"] == "2026-11-26"


def test_taiwan_unit_away_105_days_is_long_outstanding_service_page_api(app, world, shipments_ready, hq, login,
                                                                         api_as):
    from repairs import overdue

    with app.app_context():
        run_steps(world, [(D(2026, 6, 1), "receive", "TW"), (D(2026, 6, 1), "inspect", None),
                          (D(2026, 6, 2), "dispatch", None)], serial="TW1")
        report = overdue.overdue_report(SYSTEM, today=D(2026, 9, 15))
        assert [(r["unit"].serial, r["owner"], r["clock"], r["late"]) for r in report["rows"]] == [
            ("TW1", "repairer", "long_outstanding", 75)]
    with mock.patch("repairs.overdue.local_today", return_value=D(2026, 9, 15)):
        page = login("supervisor").get("/repairs/overdue").get_data(as_text=True)
        rows = api_as("supervisor").get("/api/v1/repairs/overdue").json["items"]
    assert "TW1" in page and "long outstanding at repairer (30 days)" in page and "Nothing is overdue" not in page
    assert [(r["unit"]["serial"], r["owner"], r["clock"]) for r in rows] == [("TW1", "repairer", "long_outstanding")]


def test_route_settings_are_edited_with_the_route_and_count_at_once(app, world, shipments_ready, hq, login, api_as):
    """The factory's days and the promise-free chase are per route; a dispatch-days edit counts at once."""
    from core.extensions import db
    from repairs import factory, inspection, intake, receiving, service

    admin = api_as("admin")
    route = admin.get(f"/api/v1/routes/{world.fac_route}").json
    assert route["factory_chase_days"] == 7 and route["chase_after_days"] == 30
    with app.app_context():
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, at=at(D(2026, 11, 2), 8),
                                       lines=[{"model": "M", "serial": s} for s in ("R1", "R2")])
        receiving.receive_unit(SYSTEM, "R1", parcel, at=at(D(2026, 11, 2), 9))  # dispatch days 2: due 11-04
        db.session.commit()
        rma = parcel.rma_number
    resp = admin.patch(f"/api/v1/routes/{world.fac_route}", json={"factory_chase_days": 10, "dispatch_days": 3})
    assert resp.status_code == 200, resp.json
    assert admin.patch(f"/api/v1/routes/{world.fac_route}", json={"factory_chase_days": 0}).status_code == 422
    with app.app_context():
        from core.accounts.service import get_user
        from repairs.models import RepairUnit

        unit = receiving.receive_unit(SYSTEM, "R2", service.parcel_by_rma(rma), at=at(D(2026, 11, 2), 9))
        assert unit.dispatch_due == D(2026, 11, 5)  # the edit counts from the next unit, not a minute later
        inspection.inspect_unit(SYSTEM, unit, at=at(D(2026, 11, 2), 10))
        factory.dispatch_to_factory(get_user(hq), [unit], at=at(D(2026, 11, 3)))
        db.session.commit()
        assert db.session.get(RepairUnit, unit.id).factory_due == D(2026, 11, 13)

    page = login("admin", username="admin2").get(f"/directory/routes/{world.fac_route}/edit").get_data(as_text=True)
    assert 'name="factory_chase_days"' in page and 'name="chase_after_days"' in page


def test_on_time_figures_net_of_pauses_against_the_old_rule(app, world, prices, shipments_ready, hq):
    """The finding's unit is on time for the 7-day figure: its due day moved with the dispute."""
    from core.calendar import SHANGHAI
    from core.extensions import db
    from figures import service as figures
    from figures.periods import parse_month
    from repairs.models import RepairUnit

    with app.app_context():
        unit = run_steps(world, SCENARIOS["dispute_settled_then_factory"]["steps"])
        unit = db.session.get(RepairUnit, unit.id)
        # Shipped 12-02: later than 7 working days from the inspection (11-25), within the promise net
        # of the six paused working days (12-03).
        assert unit.ship_due == D(2026, 12, 3) and unit.paused_days == 6
        assert unit.shipped_at.astimezone(SHANGHAI).date() == D(2026, 12, 2)
        rows = {str(r[0]): r for r in figures.compute_report(parse_month("2026-12"), figures.Scope(None))
                .table("summary").rows}
        assert rows["Returned within 7 working days of acceptance"][2:5] == [1, 1, 100.0]


def test_the_migration_starts_the_clocks_of_units_already_under_way(tmp_path):
    """Units at the factory get their chase day; units waiting for a decision are paused since inspection."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from core import create_app
    from core.extensions import db
    from tests.dbsetup import create_test_database

    url, drop = create_test_database(str(tmp_path))
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="5e55a0b1c2d3")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO factory (id, code, name, contact, phone, address, created_at) "
                                  "VALUES (1, 'F', 'F', '', '', '', CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO repair_route (id, code, name, factory_id, promise_days, dispatch_days, "
                                  "active) VALUES (1, 'FAC', 'Factory', 1, 7, 2, true), "
                                  "(2, 'TW', 'Taiwan', 1, NULL, 2, true)"))
                conn.execute(text("INSERT INTO dealer (id, code, name, contact, phone, region, address, "
                                  "channel_rep, active, created_at) VALUES (1, 'D1', 'D', '', '', '', '', '', true, "
                                  "CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO return_parcel (id, rma_number, dealer_id, inbound_carrier, source, "
                                  "note, created_at, created_by) VALUES (1, 'RMA2611-0001', 1, '', 'form', '', "
                                  "CURRENT_TIMESTAMP, '')"))
                # Dispatched 2026-11-02 17:00 UTC = 11-03 01:00 in Shanghai; inspected 11-16 02:00 UTC.
                for uid, state, route, dispatched, inspected in (
                        (1, "at_factory", 1, "2026-11-02 17:00:00", "2026-11-02 02:00:00"),
                        (2, "at_factory", 2, "2026-11-02 17:00:00", "2026-11-02 02:00:00"),
                        (3, "disputed", 1, None, "2026-11-16 02:00:00")):
                    conn.execute(text(
                        "INSERT INTO repair_unit (id, parcel_id, line_no, serial, model, fault, warranty_claimed, "
                        "declared, state, route_id, dispatched_at, inspected_at, human_damage, no_stock, "
                        "out_of_warranty, inspection_note, updated_at) VALUES (:id, 1, :id, :serial, 'M', '', true, "
                        "true, :state, :route, :dispatched, :inspected, false, false, false, '', CURRENT_TIMESTAMP)"),
                        {"id": uid, "serial": f"M{uid}", "state": state, "route": route,
                         "dispatched": dispatched, "inspected": inspected})
            upgrade(revision="a7c3d9e1f2b4")
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT id, factory_due, promise_paused_on, paused_days FROM repair_unit "
                                         "ORDER BY id")).all()
                routes = conn.execute(text("SELECT factory_chase_days, chase_after_days FROM repair_route "
                                           "ORDER BY id")).all()
            as_text = [tuple(str(v) if v is not None else None for v in row) for row in rows]
            assert as_text == [("1", "2026-11-10", None, "0"), ("2", "2026-12-03", None, "0"),
                               ("3", None, "2026-11-16", "0")]
            assert [tuple(r) for r in routes] == [(7, 30), (7, 30)]
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_the_scan_card_and_lookup_flag_a_unit_whose_factory_clock_ran_out(app, world, prices, shipments_ready, hq):
    """The station's card reads the same clocks as the unit page: a unit past the factory's 7 days is overdue
    there too, though the dealer's promise has not run out yet."""
    from repairs import service
    from repairs.card import UnitCard
    from repairs.scan import unit_view

    with app.app_context():
        run_steps(world, [(D(2026, 11, 2), "receive", None), (D(2026, 11, 2), "inspect", None),
                          (D(2026, 11, 2), "dispatch", None)], serial="CARD1")
        unit = service.unit_by_serial("CARD1")
        card = UnitCard.of(unit)
        assert card.factory_due == unit.factory_due == D(2026, 11, 9)
        assert unit.ship_due > D(2026, 11, 10)  # the promise still runs
        assert card.is_overdue(D(2026, 11, 10)) and unit.is_overdue(D(2026, 11, 10))
        assert not card.is_overdue(D(2026, 11, 9))
        with mock.patch("repairs.scan.local_today", return_value=D(2026, 11, 10)):
            assert unit_view(unit)["overdue"] is True
