"""Counts in the order real work produces them: older and newer counts, withdrawals, weekly repeats,
serial swaps, and the count form. Each rule is checked through the API and the pages."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from core.accounts.service import get_user
from core.authz import SYSTEM
from core.errors import ValidationFailed
from core.extensions import db
from core.types import utcnow
from inventory import counts, service
from inventory.models import Movement, Part, StockCount


@pytest.fixture()
def ssd(app, stock):
    """A 210 RMB SSD counted in bulk; one of them sits at the Beijing office since three hours ago."""
    with app.app_context():
        part = Part(sku="SSD-240G", model="SSD 240GB", unit_cost=Decimal("210.00"))
        db.session.add(part)
        db.session.flush()
        service.post_movement(actor=SYSTEM, part=part, from_location=service.system_location("finished_goods"),
                              to_location=service.get_location(stock.bj_loc), quantity=1, reason="receipt",
                              at=utcnow() - timedelta(hours=3))
        db.session.commit()
        return part.id


def _iso(hours_ago: float) -> str:
    return (utcnow() - timedelta(hours=hours_ago)).isoformat()


def _count(api, *, at_hours_ago, lines, location="OFF-BJ", kind="weekly", serials=()):
    resp = api.post("/api/v1/inventory/counts", json={
        "location": location, "kind": kind, "counted_at": _iso(at_hours_ago),
        "lines": [{"sku": s, "quantity": q} for s, q in lines],
        "serials": [{"sku": k, "serial": s} for k, s in serials]})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _balance(app, loc_id, part_id):
    with app.app_context():
        return service.balance_of(loc_id, part_id)


def _adjustments(app, count_id):
    with app.app_context():
        return db.session.query(Movement).filter_by(ref_type="count", ref_id=count_id).count()


def test_older_count_after_newer_one_is_refused_and_the_newer_supersedes_it(app, stock, ssd, api_as):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    sup = api_as("supervisor", username="sup")
    older = _count(office, at_hours_ago=2, lines=[("SSD-240G", 0)])   # did not find the SSD
    newer = _count(office, at_hours_ago=1, lines=[("SSD-240G", 1)])   # found it
    refused = sup.post(f"/api/v1/inventory/counts/{older['id']}/accept")
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == "later_count" and newer["number"] in body["message"]
    assert _balance(app, stock.bj_loc, ssd) == 1 and _adjustments(app, older["id"]) == 0
    # The older count tells the supervisor why, before anyone clicks.
    warned = sup.get(f"/api/v1/inventory/counts/{older['id']}").get_json()["warnings"]
    assert any(newer["number"] in w for w in warned)
    ok = sup.post(f"/api/v1/inventory/counts/{newer['id']}/accept")
    assert ok.status_code == 200 and ok.get_json()["shortfall_value"] == "0.00"
    assert _balance(app, stock.bj_loc, ssd) == 1
    gone = sup.get(f"/api/v1/inventory/counts/{older['id']}").get_json()
    assert gone["status"] == "superseded" and gone["superseded_by"] == newer["number"]
    # Nobody was charged for the SSD the newer count found.
    again = sup.post(f"/api/v1/inventory/counts/{older['id']}/accept")
    assert again.status_code == 409
    with app.app_context():
        assert sum(c.shortfall_value for c in db.session.query(StockCount)) == 0


def test_older_count_after_newer_one_on_the_page(app, stock, ssd, api_as, login):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    older = _count(office, at_hours_ago=2, lines=[("SSD-240G", 0)])
    newer = _count(office, at_hours_ago=1, lines=[("SSD-240G", 1)])
    boss = login("supervisor", username="boss-page")
    page = boss.submit(f"/inventory/counts/{older['id']}/accept", {}, form_page=f"/inventory/counts/{older['id']}",
                       follow_redirects=True).get_data(as_text=True)
    assert newer["number"] in page and "accept that one instead" in page
    assert _balance(app, stock.bj_loc, ssd) == 1 and _adjustments(app, older["id"]) == 0


def test_a_count_dated_before_an_accepted_one_is_refused(app, stock, ssd, api_as):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    sup = api_as("supervisor", username="sup")
    newer = _count(office, at_hours_ago=1, lines=[("SSD-240G", 1)])
    assert sup.post(f"/api/v1/inventory/counts/{newer['id']}/accept").status_code == 200
    late = office.post("/api/v1/inventory/counts", json={"location": "OFF-BJ", "kind": "weekly",
                                                         "counted_at": _iso(2), "lines": [{"sku": "SSD-240G",
                                                                                           "quantity": 0}]})
    assert late.status_code == 409 and newer["number"] in late.get_json()["message"]


def test_accepting_the_newest_of_several_writes_off_what_it_did_not_find(app, stock, ssd, api_as):
    """The ledger as of the latest accepted count equals it; the adjustment is dated at the count."""
    office = api_as("office", username="bj-api", office_id=stock.bj)
    sup = api_as("supervisor", username="sup")
    _count(office, at_hours_ago=2, lines=[("SSD-240G", 1)])
    newer = _count(office, at_hours_ago=1, lines=[("SSD-240G", 0)])
    ok = sup.post(f"/api/v1/inventory/counts/{newer['id']}/accept").get_json()
    assert ok["shortfall_value"] == "210.00" and ok["liable_party"] == "office"
    with app.app_context():
        [adj] = db.session.query(Movement).filter_by(ref_type="count", ref_id=newer["id"]).all()
        assert adj.at == db.session.get(StockCount, newer["id"]).counted_at
        # The accepted count still shows what it found against the ledger as of its time.
        rec = counts.reconcile(db.session.get(StockCount, newer["id"]))
        assert [(l.counted, l.ledger) for l in rec.lines if l.sku == "SSD-240G"] == [(0, 1)]
    assert _balance(app, stock.bj_loc, ssd) == 0


def test_office_withdraws_its_own_count_until_accepted(app, stock, ssd, api_as, login):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    other = api_as("office", username="sh-api", office_id=stock.sh)
    sup = api_as("supervisor", username="sup")
    c = _count(office, at_hours_ago=1, lines=[("SSD-240G", 0)])
    assert other.post(f"/api/v1/inventory/counts/{c['id']}/withdraw").status_code == 403
    gone = office.post(f"/api/v1/inventory/counts/{c['id']}/withdraw", json={"note": "miscounted"})
    assert gone.status_code == 200 and gone.get_json()["status"] == "withdrawn"
    assert sup.post(f"/api/v1/inventory/counts/{c['id']}/accept").status_code == 409
    assert _adjustments(app, c["id"]) == 0
    # Once accepted, a count stays.
    d = _count(office, at_hours_ago=0.5, lines=[("SSD-240G", 1)])
    assert sup.post(f"/api/v1/inventory/counts/{d['id']}/accept").status_code == 200
    late = office.post(f"/api/v1/inventory/counts/{d['id']}/withdraw")
    assert late.status_code == 409 and "accepted" in late.get_json()["message"]
    # The page: the office's own button.
    e = _count(office, at_hours_ago=0.2, lines=[("SSD-240G", 1)])
    bj = login("office", username="bj-page", office_id=stock.bj)
    assert "Withdraw this count" in bj.get(f"/inventory/counts/{e['id']}").get_data(as_text=True)
    page = bj.submit(f"/inventory/counts/{e['id']}/withdraw", {}, form_page=f"/inventory/counts/{e['id']}",
                     follow_redirects=True).get_data(as_text=True)
    assert "withdrawn" in page
    with app.app_context():
        assert db.session.get(StockCount, e["id"]).status == "withdrawn"


def test_several_counts_of_one_kind_in_a_week_get_a_warning(app, stock, ssd, api_as, login):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    first = _count(office, at_hours_ago=0.3, lines=[("SSD-240G", 1)])
    assert first["warnings"] == []
    second = _count(office, at_hours_ago=0.2, lines=[("SSD-240G", 1)])
    assert any(first["number"] in w and "weekly" in w for w in second["warnings"])
    monthly = _count(office, at_hours_ago=0.1, lines=[("SSD-240G", 1)], kind="monthly")
    assert not any("week of" in w for w in monthly["warnings"])  # another kind: no warning
    bj = login("office", username="bj-page", office_id=stock.bj)
    page = bj.get(f"/inventory/counts/{second['id']}").get_data(as_text=True)
    assert "count-warning" in page and first["number"] in page
    # Withdrawn counts do not count.
    office.post(f"/api/v1/inventory/counts/{first['id']}/withdraw")
    assert not any("week of" in w for w in office.get(f"/api/v1/inventory/counts/{second['id']}").get_json()["warnings"])


# --- serial swaps ---------------------------------------------------------------------------

@pytest.fixture()
def swap(app, stock):
    """BJ holds S0 and S1 (SSD-1T, 400 RMB); HQ holds S2-S4. BJ's count scans S0 and S2: S1 missing, S2 found."""
    with app.app_context():
        part = db.session.get(Part, stock.ssd)
        for s in ("S0", "S1"):
            service.post_movement(actor=SYSTEM, part=part, from_location=service.get_location(stock.hq),
                                  to_location=service.get_location(stock.bj_loc), serial=s, reason="t")
        db.session.commit()


def test_serial_swap_is_shown_valued_and_charged_and_needs_confirmation(app, stock, swap, api_as, login):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    sup = api_as("supervisor", username="sup")
    c = _count(office, at_hours_ago=0, lines=[("USB-64", 0)], serials=[("SSD-1T", "S0"), ("SSD-1T", "S2")])
    rec = sup.get(f"/api/v1/inventory/counts/{c['id']}/reconciliation").get_json()
    assert [(l["sku"], l["variance"]) for l in rec["lines"] if l["sku"] == "SSD-1T"] == [("SSD-1T", 0)]
    assert rec["swaps"] == [{"sku": "SSD-1T", "missing": "S1", "found": "S2", "found_registered_at": "HQ",
                             "value": "400.00"}]
    assert rec["shortfall_value"] == "400.00" and rec["relocated_value"] == "400.00"
    boss = login("supervisor", username="boss-page")
    page = boss.get(f"/inventory/counts/{c['id']}").get_data(as_text=True)
    assert "S1 missing; S2 found, registered at HQ" in page and 'name="confirm_relocations"' in page
    # Without the supervisor's confirmation nothing moves out of HQ.
    refused = sup.post(f"/api/v1/inventory/counts/{c['id']}/accept")
    assert refused.status_code == 409 and refused.get_json()["code"] == "confirm_relocations"
    assert "S2 from HQ" in refused.get_json()["message"]
    page = boss.submit(f"/inventory/counts/{c['id']}/accept", {}, form_page=f"/inventory/counts/{c['id']}",
                       follow_redirects=True).get_data(as_text=True)
    assert "S2 from HQ" in page
    assert _balance(app, stock.hq, stock.ssd) == 3 and _adjustments(app, c["id"]) == 0
    ok = sup.post(f"/api/v1/inventory/counts/{c['id']}/accept", json={"confirm_relocations": True})
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    # Charged the unit written off, at its cost; HQ's loss is kept apart.
    assert (body["shortfall_value"], body["surplus_value"], body["relocated_value"]) == ("400.00", "0.00", "400.00")
    assert _balance(app, stock.hq, stock.ssd) == 2 and _balance(app, stock.bj_loc, stock.ssd) == 2
    # HQ's loss on HQ's own page, and in the figures' source.
    with app.app_context():
        hq_id = stock.hq
    hq_page = boss.get(f"/inventory/counts?location={hq_id}").get_data(as_text=True)
    assert 'id="taken"' in hq_page and "S2" in hq_page and "OFF-BJ" in hq_page
    with app.app_context():
        rows = {r["code"]: r for r in counts.variance_by_location(utcnow() - timedelta(days=1),
                                                                   utcnow() + timedelta(days=1))}
        assert rows["HQ"]["relocated_out"] == Decimal("400.00")
        assert rows["OFF-BJ"]["written_off"] == Decimal("400.00")
        assert rows["OFF-BJ"]["relocated_in"] == Decimal("400.00")


# --- count input ----------------------------------------------------------------------------

def test_new_count_defaults_to_the_office_spare_location_not_the_defective_bin(app, stock, login):
    with app.app_context():
        service.defective_location(service.get_location(stock.bj_loc))
        db.session.commit()
    bj = login("office", username="bj-page", office_id=stock.bj)
    form = bj.get("/inventory/counts/new").get_data(as_text=True)
    assert "OFF-BJ-DEF" in form
    assert f'value="{stock.bj_loc}" selected' in form
    assert 'selected>OFF-BJ-DEF' not in form


def test_failed_upload_keeps_the_users_choices(app, stock, login):
    with app.app_context():
        bin_id = service.defective_location(service.get_location(stock.bj_loc)).id
        db.session.commit()
    bj = login("office", username="bj-page", office_id=stock.bj)
    resp = bj.submit("/inventory/counts/new", {"location": str(bin_id), "kind": "monthly", "note": "shelf B",
                                               "file": (io.BytesIO(b"sku,quantity\nNOPE,1\n"), "c.csv")},
                     content_type="multipart/form-data", form_page="/inventory/counts/new")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "unknown SKU NOPE" in page
    assert f'value="{bin_id}" selected' in page and 'value="monthly" selected' in page and 'value="shelf B"' in page


def test_a_file_with_only_the_header_is_refused(app, stock, api_as, login):
    api = api_as("office", username="bj-api", office_id=stock.bj)
    resp = api.post("/api/v1/inventory/counts/upload", data={"location": "OFF-BJ", "kind": "weekly",
                                                             "file": (io.BytesIO(b"sku,quantity\n"), "c.csv")},
                    content_type="multipart/form-data")
    # The file reader or the count service refuses it (the rule lives in the service, for every way in).
    assert resp.status_code == 422, resp.get_json()
    with app.app_context():
        with pytest.raises(ValidationFailed) as err:
            counts.submit_count(get_user("bj-api"), location=service.get_location(stock.bj_loc), kind="weekly",
                                data=counts.CountInput())
        assert "no count line" in err.value.message
        db.session.rollback()
    empty = api.post("/api/v1/inventory/counts", json={"location": "OFF-BJ", "kind": "weekly"})
    assert empty.status_code == 422 and "no count line" in empty.get_json()["message"]
    bj = login("office", username="bj-page", office_id=stock.bj)
    page = bj.submit("/inventory/counts/new", {"location": str(stock.bj_loc), "kind": "weekly", "full": "1",
                                               "file": (io.BytesIO(b"sku,quantity\n"), "c.csv")},
                     content_type="multipart/form-data", form_page="/inventory/counts/new").get_data(as_text=True)
    assert "nothing to import" in page or "no count line" in page
    with app.app_context():
        assert db.session.query(StockCount).count() == 0


def test_repeated_lines_of_one_sku_are_added_up(app, stock, api_as):
    api = api_as("office", username="bj-api", office_id=stock.bj)
    resp = api.post("/api/v1/inventory/counts/upload", data={
        "location": "OFF-BJ", "kind": "weekly", "full": "false",
        "file": (io.BytesIO(b"sku,quantity\nUSB-64,3\nMX-CDR,1\nUSB-64,4\n"), "c.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert sorted((l["sku"], l["counted"]) for l in resp.get_json()["lines"]) == [("MX-CDR", 1), ("USB-64", 7)]


def test_recount_message_states_the_real_reason(app, stock, api_as, login):
    with app.app_context():
        service.post_movement(actor=SYSTEM, part=db.session.get(Part, stock.usb), from_location=service.get_location(stock.hq),
                              to_location=service.get_location(stock.bj_loc), quantity=40, reason="t",
                              at=utcnow() - timedelta(hours=2))
        db.session.commit()
    office = api_as("office", username="bj-api", office_id=stock.bj)
    sup = api_as("supervisor", username="sup")
    small = _count(office, at_hours_ago=1, lines=[("USB-64", 39)])   # 30 RMB short: under the threshold
    asked = sup.post(f"/api/v1/inventory/counts/{small['id']}/recount", json={"note": "shelf C was not counted"})
    assert asked.status_code == 200
    body = asked.get_json()
    assert body["recount_reason"] == "supervisor" and "shelf C was not counted" in body["recount_message"]
    bj = login("office", username="bj-page", office_id=stock.bj)
    page = bj.get(f"/inventory/counts/{small['id']}").get_data(as_text=True)
    assert "The supervisor asked for a recount: shelf C was not counted" in page
    assert "threshold" not in page.split('id="recount-reason"')[1].split("</p>")[0]
    refused = sup.post(f"/api/v1/inventory/counts/{small['id']}/accept")
    assert refused.status_code == 409 and "supervisor asked" in refused.get_json()["message"]
    # Over the threshold, the message says so.
    big = _count(office, at_hours_ago=0.5, lines=[("USB-64", 10)])
    assert big["status"] == "recount_required" and big["recount_reason"] == "threshold"
    assert "over the recount threshold" in big["recount_message"]
    assert "over the recount threshold" in bj.get(f"/inventory/counts/{big['id']}").get_data(as_text=True)


def test_a_later_spot_check_stops_the_office_count_without_showing_it_to_the_office(app, stock, ssd, api_as):
    office = api_as("office", username="bj-api", office_id=stock.bj)
    clerk = api_as("clerk", username="hq-clerk")
    sup = api_as("supervisor", username="sup")
    own = _count(office, at_hours_ago=2, lines=[("SSD-240G", 1)])
    spot = _count(clerk, at_hours_ago=1, lines=[("SSD-240G", 1)], kind="spot")
    assert office.get(f"/api/v1/inventory/counts/{own['id']}").get_json()["warnings"] == []
    refused = sup.post(f"/api/v1/inventory/counts/{own['id']}/accept")
    assert refused.status_code == 409 and spot["number"] in refused.get_json()["message"]
    # The clerk who counted may withdraw the spot check; another office may not.
    assert api_as("office", username="sh-api", office_id=stock.sh).post(
        f"/api/v1/inventory/counts/{spot['id']}/withdraw").status_code == 403
    assert clerk.post(f"/api/v1/inventory/counts/{spot['id']}/withdraw").status_code == 200
    assert sup.post(f"/api/v1/inventory/counts/{own['id']}/accept").status_code == 200


def test_the_reconciliation_export_names_the_swap_and_its_values(app, stock, swap, api_as, login):
    import io

    from openpyxl import load_workbook

    office = api_as("office", username="bj-api", office_id=stock.bj)
    c = _count(office, at_hours_ago=0, lines=[("USB-64", 0)], serials=[("SSD-1T", "S0"), ("SSD-1T", "S2")])
    boss = login("supervisor", username="boss-page")
    book = load_workbook(io.BytesIO(boss.get(f"/inventory/counts/{c['id']}/export.xlsx").data))
    summary = [row[0] for row in book.worksheets[-1].iter_rows(min_row=2, values_only=True)]
    assert any("Written off: 400.00 RMB" in line for line in summary)
    assert any("400.00 RMB (their loss)" in line for line in summary)
    assert any("S1 missing; S2 found, registered at HQ" in line for line in summary)
    text = boss.get(f"/inventory/counts/{c['id']}/export.csv").data.decode("utf-8-sig")
    assert "S1 missing; S2 found, registered at HQ" in text
