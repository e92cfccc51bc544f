"""Creating and shipping shipments through the service: rules and refusals."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from tests.shipments.conftest import balance, count_rows, stock


def _units(*serials):
    return [{"kind": "unit", "serial": s, "model": "DT-100"} for s in serials]


def test_create_shipment_numbers_and_lines(app, world, user):
    from core.extensions import db
    from shipments.lookup import shipment_by_number
    from shipments.service import create_shipment

    with app.app_context():
        clerk = user("clerk")
        s = create_shipment(clerk, leg="dealer_hq", dealer_id=world.dealer_bj,
                            lines=_units(" sn-001 ", "SN-002") + [{"kind": "unit", "serial": "SN-003", "model": "X",
                                                                  "ref_type": "repair_unit", "ref_id": 12}],
                            carrier="顺丰", pieces=2, weight_kg="1.5", freight_cost="12")
        s2 = create_shipment(clerk, leg="hq_factory", lines=_units("SN-100"))
        db.session.commit()
        assert re.fullmatch(r"SH\d{4}-00001", s.number)
        assert s2.number.endswith("-00002")
        assert s.status == "packed" and s.reported_at is None
        assert [line.serial for line in s.lines] == ["SN-001", "SN-002", "SN-003"]
        assert s.lines[2].ref_type == "repair_unit" and s.lines[2].ref_id == 12
        # The dealer's office sees the dealer's parcels.
        assert s.office_id == world.bj
        assert s.freight_cost == Decimal("12.00") and s.weight_kg == Decimal("1.50")
        assert shipment_by_number(s.number.lower()).id == s.id


@pytest.mark.parametrize("kwargs, field", [
    ({"leg": "moon_hq", "lines": _units("A1")}, "leg"),
    ({"leg": "hq_factory", "lines": []}, "lines"),
    ({"leg": "hq_factory", "lines": [{"kind": "unit", "serial": ""}]}, "lines.0.serial"),
    ({"leg": "hq_factory", "lines": [{"kind": "box"}]}, "lines.0.kind"),
    ({"leg": "hq_factory", "lines": _units("A1", "a1")}, "lines.1.serial"),
    ({"leg": "hq_factory", "lines": [{"kind": "part", "part_id": 999999, "quantity": 1}]}, "lines.0.part_id"),
    ({"leg": "hq_factory", "lines": [{"kind": "part", "sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
    ({"leg": "dealer_hq", "lines": _units("A1")}, "dealer_id"),
    ({"leg": "hq_office", "lines": _units("A1")}, "office_id"),
    ({"leg": "hq_factory", "lines": _units("A1"), "paying_account": "ceo"}, "paying_account"),
    ({"leg": "hq_factory", "lines": _units("A1"), "freight_cost": "-3"}, "freight_cost"),
    ({"leg": "hq_factory", "lines": _units("A1"), "freight_cost": "abc"}, "freight_cost"),
    ({"leg": "hq_factory", "lines": _units("A1"), "freight_cost": "1.234"}, "freight_cost"),
    ({"leg": "hq_factory", "lines": _units("A1"), "pieces": 0}, "pieces"),
    ({"leg": "hq_factory", "lines": _units("A1"), "dealer_id": 424242}, "dealer_id"),
])
def test_bad_shipments_are_refused_and_nothing_is_written(app, world, user, kwargs, field):
    from shipments.models import Shipment, ShipmentLine
    from shipments.service import create_shipment

    with app.app_context():
        with pytest.raises(ValidationFailed) as err:
            create_shipment(user("clerk"), **kwargs)
        assert field in err.value.errors
    assert count_rows(app, Shipment) == 0 and count_rows(app, ShipmentLine) == 0


def test_part_line_quantity_and_serialised_part_rules(app, world, user):
    from shipments.service import create_shipment

    with app.app_context():
        clerk = user("clerk")
        with pytest.raises(ValidationFailed) as err:
            create_shipment(clerk, leg="vendor_factory", lines=[{"kind": "part", "part_id": world.parts["CAP-10"],
                                                                  "quantity": 0}])
        assert "lines.0.quantity" in err.value.errors
        with pytest.raises(ValidationFailed) as err:
            create_shipment(clerk, leg="vendor_factory", lines=[{"kind": "part", "part_id": world.serial_part,
                                                                  "quantity": 2}])
        assert "lines.0.serial" in err.value.errors
        with pytest.raises(ValidationFailed) as err:
            create_shipment(clerk, leg="vendor_factory", lines=[
                {"kind": "part", "part_id": world.parts["CAP-10"], "quantity": 1},
                {"kind": "part", "sku": "cap-10", "quantity": 2}])
        assert "lines.1.part_id" in err.value.errors


def test_a_unit_cannot_travel_in_two_open_shipments(app, world, user):
    from core.extensions import db
    from shipments.service import create_shipment

    with app.app_context():
        first = create_shipment(user("clerk"), leg="hq_factory", lines=_units("SN-9"))
        db.session.commit()
        with pytest.raises(Conflict) as err:
            create_shipment(user("clerk"), leg="hq_factory", lines=_units("sn-9"))
        assert first.number in err.value.message


def test_mark_shipped_records_waybill_and_refuses_twice(app, world, user):
    from core.extensions import db
    from shipments.lookup import shipment_by_waybill
    from shipments.service import create_shipment, mark_shipped

    with app.app_context():
        clerk = user("clerk")
        s = create_shipment(clerk, leg="hq_factory", lines=_units("SN-1"))
        other = create_shipment(clerk, leg="hq_factory", lines=_units("SN-2"))
        mark_shipped(clerk, s, waybill=" sf 123 ", carrier="顺丰", freight_cost="8.50")
        db.session.commit()
        assert s.status == "shipped" and s.waybill == "SF123" and s.reported_at is not None
        assert s.report_due is None  # not a factory leg
        assert shipment_by_waybill("sf123").id == s.id
        with pytest.raises(InvalidTransition):
            mark_shipped(clerk, s, waybill="SF999", carrier="顺丰")
        with pytest.raises(Conflict):
            mark_shipped(clerk, other, waybill="SF123", carrier="顺丰")
        with pytest.raises(ValidationFailed) as err:
            mark_shipped(clerk, other, waybill="", carrier="")
        assert set(err.value.errors) == {"waybill", "carrier"}
        with pytest.raises(ValidationFailed) as err:
            mark_shipped(clerk, other, waybill="SF5", carrier="x", shipped_at=date(2999, 1, 1))
        assert "shipped_at" in err.value.errors
        db.session.rollback()
        assert other.status == "packed" and other.waybill is None


def test_shipping_parts_moves_stock_into_transit_and_refuses_more_than_held(app, world, user):
    from core.extensions import db
    from shipments.service import create_shipment, mark_shipped

    stock(app, "CAP-10", "HQ", 5)
    with app.app_context():
        clerk = user("clerk")
        s = create_shipment(clerk, leg="hq_office", office_id=world.bj,
                            lines=[{"kind": "part", "sku": "CAP-10", "quantity": 3}])
        too_many = create_shipment(clerk, leg="hq_office", office_id=world.bj,
                                   lines=[{"kind": "part", "sku": "CAP-10", "quantity": 9}])
        db.session.commit()
        mark_shipped(clerk, s, waybill="ZT1", carrier="中通")
        db.session.commit()
        with pytest.raises(ValidationFailed):
            mark_shipped(clerk, too_many, waybill="ZT2", carrier="中通")
        db.session.rollback()
        assert too_many.status == "packed"
    assert balance(app, "CAP-10", "hq_store") == 2
    assert balance(app, "CAP-10", "transit") == 3


def test_office_user_may_ship_only_for_its_own_office(app, world, user):
    from shipments.lookup import get_shipment
    from shipments.service import create_shipment

    with app.app_context():
        bj = user("bj-office")
        s = create_shipment(bj, leg="office_hq", office_id=world.bj, lines=_units("OF-1"))
        with pytest.raises(Forbidden):
            create_shipment(bj, leg="office_hq", office_id=world.sh, lines=_units("OF-2"))
        with pytest.raises(Forbidden):
            create_shipment(bj, leg="hq_factory", lines=_units("OF-3"))
        with pytest.raises(Forbidden):
            get_shipment(user("sh-office"), s.number)
        assert get_shipment(bj, s.number).id == s.id
