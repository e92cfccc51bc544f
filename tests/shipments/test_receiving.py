"""Receiving: the receipt check (missing, extra, wrong) and the stock it posts."""
from __future__ import annotations

import pytest

from core.errors import InvalidTransition, ValidationFailed
from tests.shipments.conftest import balance, count_rows


def _mixed_shipment(app, world, user):
    """A vendor -> factory parcel: two units, 5 x CAP-10 (model X1), 2 x CBL-20; shipped."""
    from core.extensions import db
    from shipments.service import create_shipment, mark_shipped

    with app.app_context():
        clerk = user("clerk")
        s = create_shipment(clerk, leg="vendor_factory", vendor_id=world.vendor, lines=[
            {"kind": "unit", "serial": "U-1", "model": "M1"},
            {"kind": "unit", "serial": "U-2", "model": "M2"},
            {"kind": "part", "part_id": world.parts["CAP-10"], "quantity": 5},
            {"kind": "part", "part_id": world.parts["CBL-20"], "quantity": 2},
        ])
        mark_shipped(clerk, s, waybill="DB777", carrier="德邦")
        db.session.commit()
        return s.number


def test_receipt_lists_missing_extra_and_wrong_items_and_posts_what_arrived(app, world, user):
    from core.extensions import db
    from inventory.models import Movement
    from shipments.receiving import receive_shipment
    from shipments.lookup import shipment_by_number

    number = _mixed_shipment(app, world, user)
    assert balance(app, "CAP-10", "transit") == 5
    with app.app_context():
        s = shipment_by_number(number)
        receipt = receive_shipment(user("clerk"), s, [
            {"code": "u-1", "model": "M9"},        # declared unit, but another model: wrong
            "U-3",                                  # never declared: extra
            {"code": "CAP-10", "quantity": 3},      # 3 of 5
            {"code": "CAP-11", "quantity": 2},      # same model X1 instead of the 2 missing CAP-10: wrong
            "FAN-30",                               # a part nobody declared: extra
        ])
        db.session.commit()
        found = {(f.kind, f.code, f.quantity) for f in receipt.findings}
        assert found == {
            ("wrong", "U-1", 1), ("wrong", "CAP-11", 2),
            ("missing", "U-2", 1), ("missing", "CBL-20", 2),
            ("extra", "U-3", 1), ("extra", "FAN-30", 1),
        }
        states = {(line.serial or line.part.sku): (line.receive_state, line.received_quantity) for line in s.lines}
        assert states == {"U-1": ("wrong", 1), "U-2": ("missing", 0), "CAP-10": ("wrong", 3),
                          "CBL-20": ("missing", 0)}
        assert s.status == "received" and s.received_at is not None
        moves = list(db.session.scalars(db.select(Movement).where(Movement.ref_type == "shipment",
                                                                  Movement.ref_id == s.id,
                                                                  Movement.reason == "shipment_in")))
        assert [(m.part.sku, m.quantity, m.to_location.kind) for m in moves] == [("CAP-10", 3, "factory_shipping")]
    # The 3 CAP-10 that arrived are at the factory; the 2 missing and both cables stay in transit.
    assert balance(app, "CAP-10", "factory_shipping") == 3
    assert balance(app, "CAP-10", "transit") == 2
    assert balance(app, "CBL-20", "transit") == 2
    assert balance(app, "CAP-11", "factory_shipping") == 0  # wrong items are listed, not booked


def test_more_pieces_than_declared_are_extra_and_only_the_declared_are_booked(app, world, user):
    from core.extensions import db
    from shipments.receiving import receive_shipment
    from shipments.lookup import shipment_by_number

    number = _mixed_shipment(app, world, user)
    with app.app_context():
        s = shipment_by_number(number)
        receipt = receive_shipment(user("clerk"), s, ["U-1", "U-2", "CAP-10", {"code": "cap-10", "quantity": 5},
                                                      "CBL-20", "CBL-20", "U-1"])
        db.session.commit()
        assert [(f.kind, f.code, f.quantity) for f in receipt.findings] == [("extra", "CAP-10", 1)]
    assert balance(app, "CAP-10", "factory_shipping") == 5
    assert balance(app, "CBL-20", "factory_shipping") == 2


def test_a_clean_receipt_and_receiving_twice_is_refused(app, world, user):
    from core.extensions import db
    from inventory.models import Movement
    from shipments.models import ShipmentReceipt
    from shipments.receiving import receive_shipment
    from shipments.lookup import shipment_by_number

    number = _mixed_shipment(app, world, user)
    with app.app_context():
        s = shipment_by_number(number)
        receipt = receive_shipment(user("clerk"), s, ["U-1", "U-2", {"code": "CAP-10", "quantity": 5},
                                                      {"code": "CBL-20", "quantity": 2}])
        db.session.commit()
        assert receipt.clean
        with pytest.raises(InvalidTransition):
            receive_shipment(user("clerk"), s, ["U-1"])
        db.session.rollback()
    assert count_rows(app, ShipmentReceipt) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Movement)
                                 .where(Movement.reason == "shipment_in")) == 2


@pytest.mark.parametrize("scans, field", [
    ([], "scans"),
    ([{"code": ""}], "scans.0.code"),
    ([{"code": "U-1", "quantity": 0}], "scans.0.quantity"),
    ([{"code": "U-1", "colour": "red"}], "scans.0"),
    (["X" * 81], "scans.0.code"),
])
def test_bad_scans_change_nothing(app, world, user, scans, field):
    from shipments.models import ShipmentReceipt
    from shipments.receiving import receive_shipment
    from shipments.lookup import shipment_by_number

    number = _mixed_shipment(app, world, user)
    with app.app_context():
        s = shipment_by_number(number)
        with pytest.raises(ValidationFailed) as err:
            receive_shipment(user("clerk"), s, scans)
        assert field in err.value.errors
    with app.app_context():
        assert shipment_by_number(number).status == "shipped"
    assert count_rows(app, ShipmentReceipt) == 0
    assert balance(app, "CAP-10", "transit") == 5


def test_a_parcel_received_without_a_shipping_record_books_from_its_origin(app, world, user):
    from core.extensions import db
    from shipments.receiving import receive_shipment
    from shipments.service import create_shipment

    with app.app_context():
        clerk = user("clerk")
        s = create_shipment(clerk, leg="vendor_factory", vendor_id=world.vendor,
                            lines=[{"kind": "part", "sku": "FAN-30", "quantity": 4}])
        receive_shipment(clerk, s, [{"code": "FAN-30", "quantity": 4}])
        db.session.commit()
    assert balance(app, "FAN-30", "factory_shipping") == 4
    assert balance(app, "FAN-30", "transit") == 0


def test_unit_substituted_by_another_of_the_same_model_is_wrong(app, world, user):
    from shipments.receiving import check_receipt, parse_scans
    from shipments.service import create_shipment

    with app.app_context():
        s = create_shipment(user("clerk"), leg="hq_factory", lines=[{"kind": "unit", "serial": "A-1", "model": "M1"}])
        check = check_receipt(s, parse_scans([{"code": "B-7", "model": "m1"}]))
        assert [(f.kind, f.code, f.expected) for f in check.findings] == [("wrong", "B-7", "M1 A-1")]


def test_a_stray_item_scanned_twice_is_one_extra_finding(app, world, user):
    from shipments.receiving import check_receipt, parse_scans
    from shipments.service import create_shipment

    with app.app_context():
        s = create_shipment(user("clerk"), leg="hq_factory", lines=[{"kind": "unit", "serial": "A-1", "model": "M1"}])
        check = check_receipt(s, parse_scans(["A-1", "FAN-30", "fan-30", "Q-9"]))
        assert sorted((f.kind, f.code, f.quantity) for f in check.findings) == [
            ("extra", "FAN-30", 2), ("extra", "Q-9", 1)]
