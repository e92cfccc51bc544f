"""DOA pages by role, navigation, the overdue and lookup helpers for repairs, and the demo data."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from core.authz import SYSTEM
from tests.doa.conftest import new_application

PAGES = ["/doa/", "/doa/new", "/doa/receive", "/doa/holds", "/tasks?process=doa", "/doa/overdue"]


@pytest.mark.parametrize(("role", "allowed"), [
    ("service", {"/doa/", "/doa/new", "/doa/receive", "/doa/holds", "/tasks?process=doa", "/doa/overdue"}),
    ("clerk", {"/doa/", "/doa/receive", "/doa/holds"}),
    ("channel", {"/doa/", "/doa/holds"}),
    ("office-bj", {"/doa/", "/doa/holds", "/tasks?process=doa", "/doa/overdue"}),
])
def test_pages_answer_by_role(app, approved_number, signed_in, role, allowed):
    client = signed_in(role)
    for path in PAGES:
        assert client.get(path).status_code == (200 if path in allowed else 403), path
    assert client.get(f"/doa/{approved_number}").status_code == 200


def test_anonymous_users_are_sent_to_sign_in_but_dealers_reach_their_pages(app, approved_number, client):
    for path in PAGES + [f"/doa/{approved_number}"]:
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/api/v1/doa/applications").status_code == 401
    assert client.get("/doa-apply").status_code == 200
    assert client.get("/doa-apply/status").status_code == 200


def test_navigation_shows_doa_to_who_works_on_it(app, world, signed_in):
    assert 'href="/doa/"' in signed_in("channel").get("/doa/").get_data(as_text=True)
    clerk_page = signed_in("clerk").get("/doa/").get_data(as_text=True)
    assert 'href="/doa/receive"' in clerk_page


def test_the_list_finds_by_serial_and_marks_overdue(app, approved_number, signed_in):
    client = signed_in("service")
    page = client.get("/doa/?q=sn1").get_data(as_text=True)
    assert approved_number in page
    assert approved_number not in client.get("/doa/?q=nothing-like-it").get_data(as_text=True)
    assert client.get("/doa/?state=bogus").status_code == 200


def test_the_detail_page_shows_the_steps_a_user_may_take(app, approved_number, signed_in):
    page = f"/doa/{approved_number}"
    clerk = signed_in("clerk").get(page).get_data(as_text=True)
    assert f"{page}/step/receipt" in clerk and f"{page}/step/cancel" not in clerk
    service = signed_in("service").get(page).get_data(as_text=True)
    assert f"{page}/step/cancel" in service and f"{page}/attachments" in service
    assert "approved: dealer may ship" in service


def test_receiving_on_the_page(app, approved_number, signed_in):
    client = signed_in("clerk")
    resp = client.submit(f"/doa/{approved_number}/step/receipt",
                         {"serials": "SN1", "carrier": "顺丰", "waybill": "SF1"}, form_page=f"/doa/{approved_number}")
    assert resp.status_code == 302
    page = client.get(f"/doa/{approved_number}").get_data(as_text=True)
    assert "Received." in page and "Replacement due" in page


def test_helpers_for_the_repairs_lookup_and_overdue_page(app, approved_number, user):
    from doa import lookup
    from doa import overdue as doa_overdue

    with app.app_context():
        assert [a.number for a in lookup.find_doa("sn1", SYSTEM)] == [approved_number]
        assert [a.number for a in lookup.find_doa("D0001", SYSTEM)] == [approved_number]
        assert [a.number for a in lookup.find_doa("北京数码", SYSTEM)] == [approved_number]
        assert lookup.find_doa("SN1", actor=user("office-sh")) == []
        assert lookup.find_doa("", SYSTEM) == [] and lookup.find_doa("x" * 101, SYSTEM) == []
        assert doa_overdue.overdue_doa(SYSTEM) == []


def test_the_api_is_documented(app, client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/doa/applications/{number}/refund/finance" in paths
    assert "/api/v1/doa/attachments/{attachment_id}" in paths


def test_the_demo_loader_makes_applications_in_various_states(app):
    from core.directory.demo import load_directory
    from core.extensions import db
    from doa.demo import load_doa
    from doa.models import DoaApplication, DoaHold

    lines = []
    with app.app_context():
        rng = random.Random(2026)
        load_directory(rng, lines.append)
        load_doa(rng, lines.append)
        db.session.commit()
        states = set(db.session.scalars(select(DoaApplication.state)))
        assert {"submitted", "approved", "refused", "received", "replacement_shipped", "refunded"} <= states
        assert db.session.scalar(select(DoaHold.id)) is not None
        numbers = list(db.session.scalars(select(DoaApplication.number)))
    assert any(line.startswith("doa:") for line in lines)
    # Every demo case's page renders, for CS and for a department.
    for username in ("service", "product"):
        client = app.test_client()
        assert client.login(username, f"{username}-demo").status_code == 302
        for number in numbers:
            assert client.get(f"/doa/{number}").status_code == 200, number
        for path in ("/doa/", "/doa/holds"):
            assert client.get(path).status_code == 200
    supervisor = app.test_client()
    supervisor.login("supervisor", "supervisor-demo")
    overdue = supervisor.get("/doa/overdue").get_data(as_text=True)
    assert "internal approval" in overdue and "replacement shipped" in overdue
    assert supervisor.get("/tasks?process=doa&status=all").status_code == 200


def test_a_dealer_name_is_found_by_its_beginning_with_underscore_taken_literally(app, world):
    from doa import lookup

    from core.directory.models import Dealer
    from core.extensions import db

    with app.app_context():
        db.session.add_all([Dealer(code="D0091", name="A_B 数码", office_id=world["bj"]),
                            Dealer(code="D0092", name="AXB 数码", office_id=world["bj"])])
        db.session.flush()
        first = new_application(dealer_code="D0091", serials=("SNX1",)).number
        new_application(dealer_code="D0092", serials=("SNX2",))
        db.session.commit()
        assert [a.number for a in lookup.find_doa("A_B", SYSTEM)] == [first]
        assert lookup.find_doa("_B", SYSTEM) == []
