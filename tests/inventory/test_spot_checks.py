"""Spot checks (抽查) of an office's spares by channel staff on a visit (manual 办事处 5.1.4).

Channel staff record blind spot checks of any regional office's stock, through
the service, the page and the API; they never see the ledger's figures of an
open check, nor other people's counts, nor HQ's stock. Offices still cannot
spot-check, and HQ staff keep their rights.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.authz import SYSTEM
from core.errors import Forbidden
from core.extensions import db
from core.types import utcnow
from inventory import counts, service
from inventory.models import Part, StockCount


@pytest.fixture()
def office_stock(app, stock, make_user):
    """20 USB-64 at the BJ office (moved from HQ an hour ago) and a channel user, "channel-li"."""
    make_user("channel-li", "channel")
    with app.app_context():
        part = db.session.get(Part, stock.usb)
        service.post_movement(actor=SYSTEM, part=part, from_location=service.get_location(stock.hq),
                              to_location=service.get_location(stock.bj_loc), quantity=20, reason="t",
                              at=utcnow() - timedelta(hours=1))
        db.session.commit()
        stock.bj_code = service.get_location(stock.bj_loc).code
    return stock


def _data(qty):
    return counts.CountInput(quantities=[(1, "USB-64", qty)])


def test_channel_staff_record_a_blind_spot_check_of_an_office_through_the_service(ctx, office_stock, user):
    channel = user("channel-li")
    cnt = counts.submit_count(channel, location=service.get_location(office_stock.bj_loc), kind="spot",
                              data=_data(18), full=False)
    db.session.commit()
    assert cnt.kind == "spot" and cnt.blind and cnt.counted_by_id == channel.id
    assert counts.get_count(channel, cnt.id).id == cnt.id
    assert not counts.may_see_expected(channel, cnt)
    with pytest.raises(Forbidden):
        counts.reconciliation_for(channel, cnt)
    # The office counted never sees the blind check; the supervisor sees the shortfall of 2.
    with pytest.raises(Forbidden):
        counts.get_count(user("bj-user"), cnt.id)
    rec = counts.reconciliation_for(user("boss"), cnt)
    assert [(line.counted, line.ledger) for line in rec.lines] == [(18, 20)]


def test_channel_staff_only_spot_check_office_stock(ctx, office_stock, user):
    channel = user("channel-li")
    for kind in ("weekly", "monthly"):  # the office's own counts stay the office's
        with pytest.raises(Forbidden):
            counts.submit_count(channel, location=service.get_location(office_stock.bj_loc), kind=kind,
                                data=_data(18))
    with pytest.raises(Forbidden):  # HQ's store is CS's to check
        counts.submit_count(channel, location=service.get_location(office_stock.hq), kind="spot", data=_data(1))
    db.session.rollback()
    assert db.session.query(StockCount).count() == 0
    assert counts.count_kinds(channel) == ["spot"]
    assert {loc.office_id for loc in counts.countable_locations(channel)} == {office_stock.bj, office_stock.sh}


def test_channel_staff_see_only_the_counts_they_recorded(ctx, office_stock, user, make_user):
    make_user("channel-wu", "channel")
    mine = counts.submit_count(user("channel-li"), location=service.get_location(office_stock.bj_loc), kind="spot",
                               data=_data(20), full=False)
    theirs = counts.submit_count(user("clerk1"), location=service.get_location(office_stock.sh_loc), kind="spot",
                                 data=_data(0), full=False)
    db.session.commit()
    listed = db.session.scalars(counts.counts_query(user("channel-li"))).all()
    assert [c.id for c in listed] == [mine.id]
    with pytest.raises(Forbidden):
        counts.get_count(user("channel-li"), theirs.id)
    with pytest.raises(Forbidden):
        counts.get_count(user("channel-wu"), mine.id)


def test_other_roles_keep_their_rights(ctx, office_stock, user, make_user):
    with pytest.raises(Forbidden):  # an office does not spot-check itself
        counts.submit_count(user("bj-user"), location=service.get_location(office_stock.bj_loc), kind="spot",
                            data=_data(20))
    make_user("finance-zhao", "finance")
    with pytest.raises(Forbidden):
        counts.submit_count(user("finance-zhao"), location=service.get_location(office_stock.bj_loc), kind="spot",
                            data=_data(20))
    db.session.rollback()
    assert counts.submit_count(user("clerk1"), location=service.get_location(office_stock.hq), kind="spot",
                               data=_data(80), full=False).blind
    assert counts.submit_count(user("bj-user"), location=service.get_location(office_stock.bj_loc), kind="weekly",
                               data=_data(20)).kind == "weekly"
    db.session.rollback()


def test_channel_staff_record_a_spot_check_on_the_page(office_stock, login):
    channel = login("channel", username="channel-page")
    form = channel.get("/inventory/counts/new")
    assert form.status_code == 200  # was 403
    html = form.get_data(as_text=True)
    assert 'value="spot"' in html and 'value="weekly"' not in html
    assert office_stock.bj_code in html and ">20<" not in html  # blind: no ledger figures on the form
    resp = channel.submit("/inventory/counts/new", {"location": office_stock.bj_loc, "kind": "spot",
                                                    "qty-%d" % office_stock.usb: "18"},
                          form_page="/inventory/counts/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = channel.get(resp.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert ">18<" in text and 'id="reconciliation"' not in text and ">20<" not in text
    listing = channel.get("/inventory/counts").get_data(as_text=True)
    assert "CNT" in listing
    # HQ's store: refused with a readable page, nothing saved.
    refused = channel.submit("/inventory/counts/new", {"location": office_stock.hq, "kind": "spot",
                                                       "qty-%d" % office_stock.usb: "1"},
                             form_page="/inventory/counts/new")
    assert refused.status_code == 403


def test_channel_staff_record_a_spot_check_through_the_api(office_stock, api_as):
    channel = api_as("channel")
    resp = channel.post("/api/v1/inventory/counts", json={"location": office_stock.bj_code, "kind": "spot",
                                                          "full": False, "lines": [{"sku": "USB-64", "quantity": 18}]})
    assert resp.status_code == 201, resp.get_json()  # was 403
    body = resp.get_json()
    assert body["blind"] is True and body["kind"] == "spot"
    assert channel.get(f"/api/v1/inventory/counts/{body['id']}").status_code == 200
    assert channel.get(f"/api/v1/inventory/counts/{body['id']}/reconciliation").status_code == 403
    assert [c["id"] for c in channel.get("/api/v1/inventory/counts").get_json()["items"]] == [body["id"]]
    weekly = channel.post("/api/v1/inventory/counts", json={"location": office_stock.bj_code, "kind": "weekly",
                                                            "lines": [{"sku": "USB-64", "quantity": 18}]})
    assert weekly.status_code == 403 and weekly.get_json()["message"]
    hq = channel.post("/api/v1/inventory/counts", json={"location": "HQ", "kind": "spot",
                                                        "lines": [{"sku": "USB-64", "quantity": 1}]})
    assert hq.status_code == 403
    # The one who counted may withdraw an open spot check.
    assert channel.post(f"/api/v1/inventory/counts/{body['id']}/withdraw", json={"note": "数错了"}).status_code == 200
    # Offices still may not spot-check.
    office = api_as("office", username="api-bj", office_id=office_stock.bj)
    assert office.post("/api/v1/inventory/counts", json={"location": office_stock.bj_code, "kind": "spot",
                                                         "lines": [{"sku": "USB-64", "quantity": 20}]}).status_code == 403
