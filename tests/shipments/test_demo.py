"""The demo loader builds shipments on every leg and a freight bill with mismatches."""
from __future__ import annotations

import random
from datetime import date

import pytest


# Early in a month the recent shipments reach back into the month before; the bill
# must still find exactly the one factory leg it leaves out, on any day.
@pytest.mark.parametrize("today", [None, date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 31)])
def test_demo_loader(app, world, make_user, monkeypatch, today):
    from sqlalchemy import func, select

    from core.extensions import db
    from shipments.demo import load_shipments
    from shipments.freight import finding_counts
    from shipments.models import FreightBill, Shipment

    if today is not None:
        monkeypatch.setattr("shipments.demo.local_today", lambda: today)
    make_user("supervisor", "supervisor")
    messages = []
    with app.app_context():
        load_shipments(random.Random(1), messages.append)
        db.session.commit()
        legs = set(db.session.scalars(select(Shipment.leg)))
        assert legs == {"dealer_hq", "hq_factory", "factory_dealer", "fg_dealer", "factory_hq", "hq_office",
                        "office_hq", "hq_vendor", "vendor_factory"}
        bill = db.session.scalar(select(FreightBill))
        counts = finding_counts(bill)
        assert counts["amount_diff"] == 1 and counts["no_shipment"] == 1 and counts["unbilled"] == 1
        assert db.session.scalar(select(func.count()).select_from(Shipment).where(Shipment.status == "received")) >= 2
    assert "freight bill" in messages[-1]
