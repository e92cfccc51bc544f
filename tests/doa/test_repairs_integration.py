"""DOA cases share the repairs scan station, the status lookup and the overdue page."""
from __future__ import annotations

from datetime import date

from tests.doa.conftest import approve, at, new_application


def _make(app, *, approved: bool, serials=("SN1",), when=None) -> str:
    from core.extensions import db

    with app.app_context():
        row = new_application(serials=serials, when=when)
        if approved:
            approve(row)
        db.session.commit()
        return row.number


def test_the_scan_station_refuses_an_unapproved_doa_arrival_and_keeps_it(app, world, bearer):
    number = _make(app, approved=False)
    resp = bearer("clerk").post("/api/v1/repairs/scan", json={"mode": "doa_receive", "code": "SN1"})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "refused" and "NOT accepted as DOA" in body["message"]
    assert body["unit"]["serial"] == "SN1" and body["unit"]["rma_number"] == number
    from sqlalchemy import select

    from core.extensions import db
    from doa.models import DoaHold

    with app.app_context():
        assert [h.serial for h in db.session.scalars(select(DoaHold))] == ["SN1"]


def test_the_scan_station_receives_an_approved_doa_parcel(app, world, bearer):
    number = _make(app, approved=True, serials=("SN1", "SN2"))
    clerk = bearer("clerk")

    def scan(code, context=None, findings=()):
        body = {"mode": "doa_receive", "code": code, "findings": list(findings)}
        if context:
            body["parcel"] = context
        resp = clerk.post("/api/v1/repairs/scan", json=body)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    # An RMA parcel left as context from the repairs receive mode does not get in the way.
    start = scan(number, context="RMA2611-0001")
    assert start["status"] == "context" and start["context"] == number
    assert scan("SN1", number)["status"] == "done"
    damaged = scan("SN2", number, findings=["human_damage"])
    assert "Human damage noted." in damaged["message"]
    done = scan(number, number)
    assert done["context"] is None and "with a problem" in done["message"]
    from doa import lookup

    with app.app_context():
        assert lookup.application_by_number(number).state == "receipt_problem"


def test_the_status_lookup_shows_doa_cases(app, world, signed_in):
    number = _make(app, approved=True, serials=("LOOK1",))
    page = signed_in("service").get("/repairs/lookup?q=LOOK1").get_data(as_text=True)
    assert number in page and "DOA exchanges" in page
    assert "Nothing found" not in page
    assert number not in signed_in("office-sh").get("/repairs/lookup?q=LOOK1").get_data(as_text=True)


def test_the_overdue_page_shows_doa_cases(app, world, signed_in):
    number = _make(app, approved=False, when=at(date(2026, 9, 1)))
    page = signed_in("supervisor").get("/repairs/overdue").get_data(as_text=True)
    assert "Overdue DOA cases" in page and number in page
    assert "internal approval (1 working day)" in page


def test_the_scan_station_page_offers_the_doa_mode(app, world, signed_in):
    page = signed_in("clerk").get("/repairs/scan").get_data(as_text=True)
    assert 'data-mode="doa_receive"' in page and "MODE-DOA" in page
