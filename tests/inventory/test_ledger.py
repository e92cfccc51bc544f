"""The ledger: balances kept with each movement, refusals, reversals, serial positions."""
from __future__ import annotations

import pytest

from core.authz import SYSTEM
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from inventory import service
from inventory.cli import ledger_mismatches
from inventory.models import Balance, Movement, SerialPosition


def _parts(stock):
    from inventory.models import Part

    return db.session.get(Part, stock.usb), db.session.get(Part, stock.ssd)


def test_movement_updates_both_balances(ctx, stock, user):
    usb, _ = _parts(stock)
    hq, bj = service.get_location(stock.hq), service.get_location(stock.bj_loc)
    service.post_movement(actor=user("clerk1"), part=usb, from_location=hq, to_location=bj, quantity=30, reason="transfer")
    db.session.commit()
    assert service.balance_of(stock.hq, stock.usb) == 70
    assert service.balance_of(stock.bj_loc, stock.usb) == 30
    assert ledger_mismatches() == []


def test_negative_movement_is_refused_and_changes_nothing(ctx, stock, user):
    usb, _ = _parts(stock)
    hq, bj = service.get_location(stock.hq), service.get_location(stock.bj_loc)
    before = db.session.query(Movement).count()
    with pytest.raises(ValidationFailed) as err:
        service.post_movement(actor=user("clerk1"), part=usb, from_location=hq, to_location=bj, quantity=101,
                              reason="transfer")
    assert "Not enough stock" in err.value.message and err.value.extra["available"] == 100
    db.session.rollback()
    assert service.balance_of(stock.hq, stock.usb) == 100
    assert db.session.query(Movement).count() == before


def test_negative_movement_via_api_is_422(stock, api_as):
    api = api_as("clerk")
    resp = api.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "OFF-BJ",
                                                          "to_location": "HQ", "quantity": 1, "reason": "x"})
    assert resp.status_code == 422
    assert resp.get_json()["code"] == "insufficient_stock"
    assert api.get("/api/v1/inventory/balances?location=HQ&sku=USB").get_json()["items"][0]["quantity"] == 100


@pytest.mark.parametrize("payload, field", [
    ({"quantity": 0}, "quantity"),
    ({"to_location": "HQ"}, "to_location"),
    ({"sku": "SSD-1T"}, "serial"),
    ({"serial": "X1"}, "serial"),
    ({"at": "2099-01-01T00:00:00+00:00"}, "at"),
])
def test_bad_movements_get_clear_errors(stock, api_as, payload, field):
    api = api_as("clerk")
    body = {"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ", "quantity": 1, "reason": "t", **payload}
    resp = api.post("/api/v1/inventory/movements", json=body)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]
    assert len(api.get("/api/v1/inventory/movements?location=OFF-BJ").get_json()["items"]) == 0


def test_reversal_references_the_original_and_only_once(stock, api_as):
    api = api_as("clerk")
    mv = api.post("/api/v1/inventory/movements", json={"sku": "USB-64", "from_location": "HQ", "to_location": "OFF-BJ",
                                                        "quantity": 4, "reason": "transfer"}).get_json()
    rev = api.post(f"/api/v1/inventory/movements/{mv['id']}/reverse", json={})
    assert rev.status_code == 201
    body = rev.get_json()
    assert body["reverses_id"] == mv["id"] and body["from_location"] == "OFF-BJ" and body["to_location"] == "HQ"
    again = api.post(f"/api/v1/inventory/movements/{mv['id']}/reverse", json={})
    assert again.status_code == 409
    assert len(api.get("/api/v1/inventory/movements").get_json()["items"]) == 8  # 6 set-up + 1 + its reversal; nothing deleted
    balances = {b["location"]: b["quantity"] for b in
                api.get("/api/v1/inventory/balances?sku=USB-64").get_json()["items"]}
    assert balances["HQ"] == 100 and "OFF-BJ" not in balances


def test_reversal_that_would_go_negative_is_refused(ctx, stock, user):
    usb, _ = _parts(stock)
    hq, bj = service.get_location(stock.hq), service.get_location(stock.bj_loc)
    dealer = service.system_location("dealer")
    first = service.post_movement(actor=SYSTEM, part=usb, from_location=hq, to_location=bj, quantity=5, reason="t")
    service.post_movement(actor=SYSTEM, part=usb, from_location=bj, to_location=dealer, quantity=5, reason="swap_out")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        service.reverse_movement(user("clerk1"), first)


def test_serial_must_be_where_it_leaves_from(ctx, stock, user):
    _, ssd = _parts(stock)
    hq, bj, sh = (service.get_location(i) for i in (stock.hq, stock.bj_loc, stock.sh_loc))
    service.post_movement(actor=SYSTEM, part=ssd, from_location=hq, to_location=bj, serial="S1", reason="t")
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        service.post_movement(actor=SYSTEM, part=ssd, from_location=hq, to_location=sh, serial="S1", reason="t")
    assert err.value.extra["registered_at"] == "OFF-BJ"
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        service.post_movement(actor=SYSTEM, part=ssd, from_location=hq, to_location=sh, serial="NOPE", reason="t")
    db.session.rollback()
    pos = db.session.query(SerialPosition).filter_by(serial="S1").one()
    assert pos.location_id == stock.bj_loc


def test_reversal_of_a_reversal_is_refused(ctx, stock, user):
    usb, _ = _parts(stock)
    hq, bj = service.get_location(stock.hq), service.get_location(stock.bj_loc)
    m = service.post_movement(actor=SYSTEM, part=usb, from_location=hq, to_location=bj, quantity=1, reason="t")
    r = service.reverse_movement(SYSTEM, m)
    with pytest.raises(Conflict):
        service.reverse_movement(SYSTEM, r)


def test_balance_read_does_not_touch_the_ledger(ctx, stock):
    # Reading a balance is a primary-key lookup on the balance table.
    from sqlalchemy import event

    statements = []
    engine = db.engine

    def spy(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert service.balance_of(stock.hq, stock.usb) == 100
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert statements and all("inv_movement" not in s for s in statements)
    assert db.session.get(Balance, (stock.hq, stock.usb)).quantity == 100


def test_a_sku_search_takes_percent_and_underscore_literally(stock, api_as):
    api = api_as("clerk")
    assert [b["quantity"] for b in api.get("/api/v1/inventory/balances?location=HQ&sku=sb-6").get_json()["items"]] == [100]
    for literal in ("U_B", "%", "USB%64"):
        assert api.get("/api/v1/inventory/balances", query_string={"sku": literal}).get_json()["items"] == []
        assert api.get("/api/v1/inventory/movements", query_string={"sku": literal}).get_json()["items"] == []
