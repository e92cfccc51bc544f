"""The repairs services check their own roles: the API, the pages, the CLI all go through them.

And no service takes nobody (None) for the system: work no person starts passes
``core.authz.SYSTEM``; None is refused everywhere.
"""
from __future__ import annotations

from datetime import date

import pytest

from core.authz import SYSTEM
from core.errors import Forbidden
from core.tasks import service as task_service


def _get(name):
    from core.accounts.service import get_user

    return get_user(name)


@pytest.fixture()
def disputed(app, world, make_user):
    """A held unit whose dealer disputes the quote: the supervisor settles it."""
    from core.extensions import db
    from repairs import dealer_tasks, inspection, intake, receiving

    for name, role in (("sr-clerk", "clerk"), ("sr-service", "service"), ("sr-boss", "supervisor")):
        make_user(name, role)
    make_user("sr-office", "office", office_id=world.office_bj)
    with app.app_context():
        parcel = intake.create_parcel(_get("sr-service"), dealer_id=world.dealer_bj,
                                       lines=[{"model": "SSD", "serial": "ROLE1"}])
        unit = receiving.receive_unit(_get("sr-clerk"), "ROLE1", parcel)
        inspection.inspect_unit(_get("sr-clerk"), unit, human_damage=True)
        task = db.session.scalars(dealer_tasks.tasks(_get("sr-service"), status="open")).one()
        task_service.answer(_get("sr-service"), task, "dispute")
        db.session.commit()
        return task.id


def test_a_clerk_cannot_settle_a_dispute_through_the_service(app, disputed):
    from repairs import dealer_tasks

    with app.test_request_context():
        task = dealer_tasks.get_task(_get("sr-clerk"), disputed)
        with pytest.raises(Forbidden) as err:
            task_service.settle(_get("sr-clerk"), task, "repair", "goodwill")
        assert err.value.message == "Only the supervisor settles disputes."
        for who in ("sr-service", "sr-office"):
            with pytest.raises(Forbidden):
                task_service.settle(_get(who), task, "repair", "goodwill")
        assert task.status == "disputed"
        task_service.settle(_get("sr-boss"), task, "repair", "goodwill")
        assert task.status != "disputed"


def test_repairs_steps_check_the_roles_the_pages_did(app, world, disputed):
    from repairs import dealer_tasks, intake, overdue, prices, receiving

    with app.test_request_context():
        clerk, office = _get("sr-clerk"), _get("sr-office")
        with pytest.raises(Forbidden):  # registering a parcel is the desk's and the offices'
            intake.create_parcel(clerk, dealer_id=world.dealer_bj, lines=[{"model": "SSD", "serial": "ROLE2"}])
        with pytest.raises(Forbidden):  # a physical step is HQ's hands', not an office's
            receiving.receive_unit(office, "ROLE2")
        with pytest.raises(Forbidden):  # answering for the dealer is the desk's
            task_service.answer(clerk, dealer_tasks.get_task(clerk, disputed), "agreed")
        with pytest.raises(Forbidden):
            overdue.overdue_report(clerk)
        with pytest.raises(Forbidden) as err:
            prices.add_price(_get("sr-service"), model="X", effective_from=date(2026, 1, 1), amount="10")
        assert err.value.message == "Only the supervisor changes prices."


def test_services_refuse_nobody(app, world, disputed):
    """None is not the system: every service refuses it; SYSTEM passes."""
    from core import chase
    from core.directory import service as directory
    from core.directory.dealer_import import import_dealers
    from inventory import service as inventory
    from repairs import dealer_tasks, intake, overdue, receiving, search
    from doa import lookup as doa_lookup
    from doa import overdue as doa_overdue
    from shipments import late_reports

    refused = [
        lambda: intake.create_parcel(None, dealer_id=world.dealer_bj, lines=[{"model": "SSD", "serial": "N0"}]),
        lambda: receiving.receive_unit(None, "ROLE1"),
        lambda: dealer_tasks.get_task(None, disputed),
        lambda: search.parcels(None),
        lambda: overdue.overdue_units(None),
        lambda: doa_overdue.overdue_doa(None),
        lambda: doa_lookup.find_doa("ROLE1", None),
        lambda: late_reports.late_reports(None),
        lambda: chase.sections(date(2026, 11, 30), None),
        lambda: directory.search_dealers(None),
        lambda: import_dealers(None, b"code,name\nD9,Nine\n", filename="d.csv"),
        lambda: inventory.visible_locations(None),
    ]
    with app.test_request_context():
        for n, call in enumerate(refused):
            with pytest.raises(Forbidden):
                call()
                pytest.fail(f"call {n} took None")
        # The system may: the sweep, the CLI and the demo loaders pass it.
        assert isinstance(overdue.overdue_units(SYSTEM), list)
        assert isinstance(chase.sections(date(2026, 11, 30), SYSTEM), list)
        assert directory.search_dealers(SYSTEM).total == 2
