"""`flask depot sweep` against a real SMTP server on loopback: every overdue item to its owner, once a day.

Repairs (the factory only on its own clock), dealer-contact tasks, factory
waybill reports and office spare counts all go through the one chase.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.authz import SYSTEM
from core.tasks import service as task_service
from tests.chase.conftest import (
    FACTORY_SHIPPING,
    SUPERVISOR,
    mails_to,
    recipient_sets,
    sweep,
)
from tests.repairs.conftest import at, world  # noqa: F401  (world: offices, dealers, factory and Taiwan routes)

MON = date(2026, 11, 2)
FACTORY = "repair@factory.example"
SH_OFFICE = "sh-office@depot.example"
BJ_OFFICE = "bj-office@depot.example"


def _users(make_user):
    make_user("svc", "service")
    make_user("boss", "supervisor")
    make_user("clerk1", "clerk")


def _disputed_then_dispatched(app, world, make_user):  # noqa: F811
    """Inspected 11-16 with human damage, disputed, settled 11-23 (repair, charge waived), dispatched 11-25."""
    from core.accounts.service import get_user
    from core.extensions import db
    from core.tasks.models import Task
    from repairs import factory, inspection, intake, receiving

    _users(make_user)
    with app.app_context():
        day = date(2026, 11, 16)
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj,
                                       lines=[{"model": "SSD", "serial": "HOLD-1"}], at=at(day, 8))
        unit = receiving.receive_unit(SYSTEM, "HOLD-1", parcel, at=at(day, 9))
        inspection.inspect_unit(SYSTEM, unit, human_damage=True, at=at(day, 10))
        task = db.session.query(Task).filter_by(subject_type="repair_unit", subject_id=unit.id).one()
        task_service.answer(get_user("svc"), task, "dispute", "dealer says it arrived broken", at=at(day, 15))
        task_service.settle(get_user("boss"), task, "repair", "goodwill: we repair it free", at=at(date(2026, 11, 23)))
        factory.dispatch_to_factory(get_user("svc"), [unit], carrier="顺丰", waybill="SF-HOLD-1",
                                    at=at(date(2026, 11, 25), 16))
        db.session.commit()
        assert unit.state == "at_factory" and unit.factory_due == date(2026, 12, 2)


def test_a_unit_disputed_for_a_week_is_not_the_factorys_until_seven_days_after_dispatch(app, world, make_user,  # noqa: F811
                                                                                        mailboxes):
    _disputed_then_dispatched(app, world, make_user)
    # The day after dispatch: the old rule (promise fixed at inspection) mailed the factory here.
    for day in ("2026-11-26", "2026-11-30", "2026-12-02"):
        result = sweep(app, day)
        assert result.exit_code == 0, result.output
        assert mails_to(mailboxes, FACTORY) == [], day
    # Seven calendar days at the factory have passed: now it is the factory's, and only the factory's.
    assert sweep(app, "2026-12-03").exit_code == 0
    [factory_mail] = mails_to(mailboxes, FACTORY)
    body = factory_mail.get_content()
    assert "HOLD-1" in body and "2026-12-02" in body and "1 day(s) late" in body
    assert "factory's 7 days" in body and "工厂" in body
    assert sorted(recipient_sets(mailboxes)) == [(SUPERVISOR, FACTORY)]  # CS's promise is not mailed as well


def _everything_late(app, world, make_user):  # noqa: F811
    """One overdue item of each kind on 2026-11-17; office BJ counted on time, SH did not."""
    from core.accounts.service import get_user
    from core.directory.models import Office
    from core.extensions import db
    from inventory import counts
    from inventory import service as inventory
    from inventory.models import Part
    from repairs import clocks, inspection, intake, receiving
    from repairs import states as st
    from shipments.service import create_shipment

    _users(make_user)
    make_user("bj-user", "office", office_id=world.office_bj)
    with app.app_context():
        # U1 at the factory past its 7 days, U2 never dispatched (CS), U9 declared but missing (a task).
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[
            {"model": "SSD", "serial": s} for s in ("U1", "U2", "U9")], at=at(MON, 8))
        for s in ("U1", "U2"):
            receiving.receive_unit(SYSTEM, s, parcel, at=at(MON, 9))
        receiving.complete_receipt(SYSTEM, parcel, at=at(MON, 11))
        u1 = parcel.units[0]
        inspection.inspect_unit(SYSTEM, u1, at=at(MON, 10))
        st.WORKFLOW.apply(SYSTEM, u1, "dispatch", at=at(MON, 15), dispatched_at=at(MON, 15),
                            factory_due=clocks.factory_due(MON, u1.route))
        # A DOA replacement packed at the factory on 11-02 and never reported.
        late = create_shipment(get_user("clerk1"), leg="fg_dealer", dealer_id=world.dealer_bj, paying_account="sales",
                               lines=[{"kind": "unit", "serial": "P-1", "model": "M"}])
        late.created_at = at(MON)
        # Both offices hold spares; only BJ counted last week (11-09..15) and last month (October).
        bj, sh = db.session.get(Office, world.office_bj), db.session.get(Office, world.office_sh)
        bj.email, sh.email = BJ_OFFICE, SH_OFFICE
        db.session.add(Part(sku="USB-64", model="USB 64GB", unit_cost=Decimal(30)))
        bj_loc = inventory.office_location(bj.id)
        inventory.office_location(sh.id)
        db.session.flush()
        for kind, day in (("monthly", date(2026, 10, 30)), ("weekly", date(2026, 11, 12))):
            counts.submit_count(get_user("bj-user"), location=bj_loc, kind=kind,
                                data=counts.CountInput(quantities=[(1, "USB-64", 0)]), counted_at=at(day))
        db.session.commit()
        return late.number


def test_every_owner_gets_one_mail_a_day_with_their_items(app, world, make_user, mailboxes):  # noqa: F811
    shipment = _everything_late(app, world, make_user)
    assert sweep(app, "2026-11-17").exit_code == 0
    expected = {tuple(sorted(r)): 1 for r in ((SUPERVISOR, FACTORY), (SUPERVISOR,), (FACTORY_SHIPPING, SUPERVISOR),
                                              (SH_OFFICE, SUPERVISOR))}
    assert dict(recipient_sets(mailboxes)) == expected
    factory = mails_to(mailboxes, FACTORY)[0].get_content()
    assert "U1" in factory and "U2" not in factory and "U9" not in factory
    [cs] = [m for r, m in mailboxes.messages if tuple(r) == (SUPERVISOR,)]
    cs_body = cs.get_content()
    assert "U2" in cs_body and "U1" not in cs_body
    # The missing unit's task, in words in both languages, linked to its parcel.
    assert "Contact the dealer about" in cs_body and "/repairs/parcels/" in cs_body and "U9" in cs_body
    report = mails_to(mailboxes, FACTORY_SHIPPING)[0]
    assert shipment in report.get_content() and "No waybill report" in report.get_content()
    assert "2026-11-03" in report.get_content()  # due the next working day after packing
    office = mails_to(mailboxes, SH_OFFICE)[0]
    assert "上海办事处" in office["Subject"]
    assert "no weekly count for 2026-11-09 – 2026-11-15" in office.get_content()
    assert "no monthly count for 2026-10" in office.get_content()
    assert mails_to(mailboxes, BJ_OFFICE) == []
    # Again the same day, twice: nothing more for anyone.
    for _ in range(2):
        result = sweep(app, "2026-11-17")
        assert result.exit_code == 0 and "No overdue units" in result.output
    assert sum(recipient_sets(mailboxes).values()) == 4
    # The next day everything is still late: one more mail to each owner.
    assert sweep(app, "2026-11-18").exit_code == 0
    assert dict(recipient_sets(mailboxes)) == {k: 2 for k in expected}


def test_dry_run_lists_the_owners_and_records_nothing(app, world, make_user, mailboxes):  # noqa: F811
    from core.chase import ChaseNotice
    from core.extensions import db

    _everything_late(app, world, make_user)
    result = sweep(app, "2026-11-17", "--dry-run")
    assert result.exit_code == 0 and result.output.count("would mail") == 4
    assert mailboxes.messages == []
    with app.app_context():
        assert db.session.query(ChaseNotice).count() == 0
    assert sweep(app, "2026-11-17").exit_code == 0 and len(mailboxes.messages) == 4


def test_a_second_sweep_planned_at_the_same_time_cannot_mail_again(app, world, make_user, mailboxes):  # noqa: F811
    """Two overlapping sweeps: the one that claims the items second finds them taken and sends nothing."""
    from sqlalchemy.exc import IntegrityError

    from core import chase
    from core.extensions import db

    _everything_late(app, world, make_user)
    with app.app_context():
        stale = chase.plan(date(2026, 11, 17))  # planned before the other sweep ran
        assert len(stale) == 4
        db.session.rollback()
    assert sweep(app, "2026-11-17").exit_code == 0 and len(mailboxes.messages) == 4
    with app.app_context():
        for group in stale:
            with pytest.raises(IntegrityError):
                chase.record(group, date(2026, 11, 17))
            db.session.rollback()
        assert chase.plan(date(2026, 11, 17)) == []


def test_an_answered_task_and_a_count_stop_their_chase(app, world, make_user, mailboxes):  # noqa: F811
    from core.accounts.service import get_user
    from core.extensions import db
    from core.tasks.models import Task
    from inventory import counts
    from inventory import service as inventory

    _everything_late(app, world, make_user)
    make_user("sh-user", "office", office_id=world.office_sh)
    with app.app_context():
        task = db.session.query(Task).filter_by(kind="missing").one()
        task_service.answer(get_user("svc"), task, "agreed", "dealer forgot to pack it")
        sh_loc = inventory.office_location(world.office_sh)
        for kind, day in (("monthly", date(2026, 10, 29)), ("weekly", date(2026, 11, 13))):
            counts.submit_count(get_user("sh-user"), location=sh_loc, kind=kind,
                                data=counts.CountInput(quantities=[(1, "USB-64", 0)]), counted_at=at(day))
        db.session.commit()
    assert sweep(app, "2026-11-17").exit_code == 0
    assert mails_to(mailboxes, SH_OFFICE) == []
    [cs] = [m for r, m in mailboxes.messages if tuple(r) == (SUPERVISOR,)]
    assert "U2" in cs.get_content() and "Contact the dealer" not in cs.get_content()


def test_a_week_later_the_office_is_chased_for_the_new_week(app, world, make_user, mailboxes):  # noqa: F811
    _everything_late(app, world, make_user)
    day = date(2026, 11, 17) + timedelta(days=7)
    assert sweep(app, day.isoformat()).exit_code == 0
    bj = mails_to(mailboxes, BJ_OFFICE)
    assert len(bj) == 1 and "no weekly count for 2026-11-16 – 2026-11-22" in bj[0].get_content()
    assert "no monthly count" not in bj[0].get_content()


def test_a_taiwan_unit_away_too_long_is_chased_to_the_repairer(app, world, make_user, mailboxes):  # noqa: F811
    """Taiwan repair makes no promise, but a unit away longer than the route allows is chased, not forgotten."""
    from core.extensions import db
    from repairs import clocks, inspection, intake, receiving
    from repairs import states as st

    sent = date(2026, 10, 1)
    with app.app_context():
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "SSD", "serial": "TW-1"}],
                                       at=at(sent, 8))
        unit = receiving.receive_unit(SYSTEM, "TW-1", parcel, at=at(sent, 9))
        inspection.inspect_unit(SYSTEM, unit, route_code="TW", at=at(sent, 10))
        st.WORKFLOW.apply(SYSTEM, unit, "dispatch", at=at(sent, 15), dispatched_at=at(sent, 15),
                            factory_due=clocks.factory_due(sent, unit.route))
        db.session.commit()
        due = unit.factory_due
    assert due == sent + timedelta(days=clocks.LONG_OUTSTANDING_DAYS)
    assert sweep(app, due.isoformat()).exit_code == 0
    assert mails_to(mailboxes, "rma@tw.example") == []
    assert sweep(app, (due + timedelta(days=75)).isoformat()).exit_code == 0
    [mail] = mails_to(mailboxes, "rma@tw.example")
    assert "台湾返修中心" in mail["Subject"] and "TW-1" in mail.get_content() and "75 day(s) late" in mail.get_content()
    assert "long outstanding" in mail.get_content()
