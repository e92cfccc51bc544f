"""After receipt: a replacement within 7 working days, or a refund through product, finance and commerce."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.authz import SYSTEM
from tests.doa.conftest import approve, at, new_application


def _received(app, *, request, serials=("SN1",), day=None):
    """An application approved and received (on ``day`` if given); returns its number."""
    from core.accounts.service import get_user
    from core.extensions import db
    from doa import receipt

    with app.app_context():
        row = approve(new_application(request=request, serials=serials))
        receipt.receive(get_user("clerk"), row, list(serials), at=at(day) if day else None)
        db.session.commit()
        assert row.state == "received"
        return row.number


# --------------------------------------------------------------------------- replacement

def test_replacement_is_due_seven_working_days_after_receipt_across_the_national_day_holiday(ctx, world, user):
    from doa import overdue, receipt, replacement

    row = approve(new_application())
    # Received Wednesday 2026-09-30; 2026-10-01..07 are holidays, Saturday 2026-10-10 is a make-up
    # working day: 10-08, 10-09, 10-10, 10-12, 10-13, 10-14, 10-15.
    receipt.receive(user("clerk"), row, ["SN0001"], at=at(date(2026, 9, 30)))
    assert row.replacement_due == date(2026, 10, 15)
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 15)) == []
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 16)) == [row]
    assert overdue.overdue_rows(SYSTEM, today=date(2026, 10, 16))[0]["clock"] == "replacement"
    replacement.record_purchasing(user("purchasing"), row, [{"serial": "SN0001", "outcome": "repaired"}])
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 16)) == [row]  # still not shipped
    replacement.ship_replacement(user("clerk"), row, carrier="德邦", waybill="DB100200300")
    assert overdue.overdue_doa(SYSTEM, today=date(2026, 10, 16)) == []


def test_the_replacement_path_links_the_faulty_and_replacement_serials(app, world, bearer):
    number = _received(app, request="replacement", serials=("SN1", "SN2"))
    path = f"/api/v1/doa/applications/{number}"
    for role in ("clerk", "service", "channel", "product"):
        assert bearer(role).post(f"{path}/purchasing", json={"units": [
            {"serial": "SN1", "outcome": "repaired"}, {"serial": "SN2", "outcome": "repaired"}]}).status_code == 403
    # Every received unit needs an outcome; a swap needs the new serial.
    partial = bearer("purchasing").post(f"{path}/purchasing", json={"units": [{"serial": "SN1", "outcome": "repaired"}]})
    assert partial.status_code == 422 and "SN2" in str(partial.get_json()["errors"])
    no_serial = bearer("purchasing").post(f"{path}/purchasing", json={"units": [
        {"serial": "SN1", "outcome": "repaired"}, {"serial": "SN2", "outcome": "swapped"}]})
    assert no_serial.status_code == 422 and "units.1.replacement_serial" in no_serial.get_json()["errors"]
    early = bearer("clerk").post(f"{path}/replacement-shipment", json={"carrier": "德邦", "waybill": "DB1"})
    assert early.status_code == 409 and early.get_json()["current_state"] == "received"

    done = bearer("purchasing").post(f"{path}/purchasing", json={"units": [
        {"serial": "SN1", "outcome": "repaired"}, {"serial": "SN2", "outcome": "swapped", "replacement_serial": "new-9"}]})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["state"] == "replacement_ready" and body["purchasing_by"] == "purchasing"
    assert [(u["serial"], u["outcome"], u["replacement_serial"]) for u in body["units"]] == [
        ("SN1", "repaired", None), ("SN2", "swapped", "NEW-9")]

    no_waybill = bearer("clerk").post(f"{path}/replacement-shipment", json={"carrier": "德邦", "waybill": " "})
    assert no_waybill.status_code == 422
    shipped = bearer("clerk").post(f"{path}/replacement-shipment",
                                   json={"carrier": "德邦", "waybill": "db778899", "freight_cost": "25"})
    assert shipped.status_code == 200, shipped.get_json()
    body = shipped.get_json()
    assert body["state"] == "replacement_shipped" and body["replacement_waybill"] == "DB778899"
    from core.extensions import db
    from shipments.models import Shipment

    with app.app_context():
        shipment = db.session.scalar(select(Shipment).where(Shipment.number == body["replacement_shipment"]))
        assert (shipment.leg, shipment.paying_account, shipment.status) == ("fg_dealer", "sales", "shipped")
        assert sorted(line.serial for line in shipment.lines) == ["NEW-9", "SN1"]
    # The lookup finds the case by the replacement serial and by the outgoing waybill.
    for q in ("NEW-9", "SN2", "DB778899", number):
        found = bearer("service").get("/api/v1/doa/lookup", query_string={"q": q}).get_json()
        assert [a["number"] for a in found] == [number], q


def test_a_replacement_request_has_no_refund_steps(app, world, bearer):
    number = _received(app, request="replacement")
    resp = bearer("product").post(f"/api/v1/doa/applications/{number}/refund/product", json={"decision": "approve"})
    assert resp.status_code == 409
    assert resp.get_json()["allowed"] == ["purchasing_done"]


# --------------------------------------------------------------------------- refund

def test_the_refund_path_takes_product_then_finance_then_commerce(app, world, bearer):
    number = _received(app, request="refund")
    path = f"/api/v1/doa/applications/{number}/refund"

    # Out of order: finance and commerce are refused until their turn, with the state and the allowed steps.
    early = bearer("finance").post(f"{path}/finance", json={"decision": "approve"})
    assert early.status_code == 409
    assert early.get_json()["current_state"] == "received"
    assert early.get_json()["allowed"] == ["refund_product_approve", "refund_product_refuse"]
    assert bearer("commerce").post(f"{path}/credit", json={"credit_number": "XT1", "amount": "1.00"}).status_code == 409

    one = bearer("product").post(f"{path}/product", json={"decision": "approve"}).get_json()
    assert one["state"] == "refund_product_approved"
    assert one["refund_product_by"] == "product" and one["refund_product_at"]
    assert bearer("commerce").post(f"{path}/credit", json={"credit_number": "XT1", "amount": "1.00"}).status_code == 409

    two = bearer("finance").post(f"{path}/finance", json={"decision": "approve"}).get_json()
    assert two["state"] == "refund_finance_approved"
    assert two["refund_finance_by"] == "finance" and two["refund_finance_at"]

    blank = bearer("commerce").post(f"{path}/credit", json={"credit_number": " "})
    assert blank.status_code == 422
    three = bearer("commerce").post(f"{path}/credit", json={"credit_number": "XT2611-001", "amount": "259.00"}).get_json()
    assert three["state"] == "refunded"
    assert (three["credit_number"], three["credit_by"]) == ("XT2611-001", "commerce") and three["credit_at"]
    steps = [(e["action"], e["actor_name"]) for e in three["history"] if e["action"].startswith(("refund", "issue"))]
    assert steps == [("refund_product_approve", "product"), ("refund_finance_approve", "finance"),
                     ("issue_credit", "commerce")]
    assert all(e["at"] for e in three["history"])


@pytest.mark.parametrize(("step", "owner"), [("product", "product"), ("finance", "finance"), ("credit", "commerce")])
@pytest.mark.parametrize("outsider", ["service", "supervisor", "clerk", "channel", "sales", "purchasing"])
def test_each_refund_step_is_refused_to_a_user_without_that_departments_role(app, world, bearer, step, owner, outsider):
    number = _received(app, request="refund")
    path = f"/api/v1/doa/applications/{number}/refund"
    if step in ("finance", "credit"):
        bearer("product").post(f"{path}/product", json={"decision": "approve"})
    if step == "credit":
        bearer("finance").post(f"{path}/finance", json={"decision": "approve"})
    body = {"credit_number": "XT1", "amount": "99.00"} if step == "credit" else {"decision": "approve"}
    for role in {outsider, "finance", "commerce", "product"} - {owner}:
        assert bearer(role).post(f"{path}/{step}", json=body).status_code == 403, role
    assert bearer(owner).post(f"{path}/{step}", json=body).status_code == 200


def test_a_refused_refund_can_become_a_replacement(app, world, bearer, user):
    number = _received(app, request="refund")
    path = f"/api/v1/doa/applications/{number}"
    refused = bearer("finance")
    bearer("product").post(f"{path}/refund/product", json={"decision": "approve"})
    assert refused.post(f"{path}/refund/finance", json={"decision": "refuse"}).status_code == 422
    body = refused.post(f"{path}/refund/finance", json={"decision": "refuse", "reason": "已过退货期"}).get_json()
    assert body["state"] == "refund_refused" and body["closed_reason"] == "已过退货期"
    switched = bearer("service").post(f"{path}/switch-to-replacement", json={"note": "代理商同意换货"}).get_json()
    assert switched["state"] == "received" and switched["request"] == "replacement"
    assert switched["replacement_due"]
    assert switched["allowed_actions"] == ["purchasing_done"]


def test_the_refund_on_the_page(app, world, signed_in):
    number = _received(app, request="refund")
    for who, step, data in (("product", "refund-product", {"decision": "approve"}),
                            ("finance", "refund-finance", {"decision": "approve"}),
                            ("commerce", "refund-credit", {"credit_number": "XT9", "amount": "129.50"})):
        client = signed_in(who)
        assert f"/doa/{number}/step/{step}" in client.get(f"/doa/{number}").get_data(as_text=True)
        resp = client.submit(f"/doa/{number}/step/{step}", data, form_page=f"/doa/{number}")
        assert resp.status_code == 302
    page = signed_in("service").get(f"/doa/{number}").get_data(as_text=True)
    assert "refunded (credit issued)" in page and "XT9" in page and "129.50 CNY" in page
