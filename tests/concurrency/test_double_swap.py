"""Two identical swaps from the vendor pool at once: one unit swapped, and the pool's and the
defectives' balances moved once (beyond the generic double-request probe)."""
from __future__ import annotations

import pytest


@pytest.mark.slow
def test_two_identical_swaps_at_once_give_one_200_and_one_409(app, live, clean_after_double):
    """Both requests in flight at once (a threaded server, each transaction's first write held back so
    both read before either writes; SQLite and PostgreSQL): one swap, one movement, one shipment."""
    from core.extensions import db
    from inventory import service, vendor
    from inventory.models import Part
    from tests.concurrency import doubles
    from tests.concurrency.doubles_repairs import _swapped, vendor_unit

    env = doubles.Env(app)
    with app.app_context():
        unit = vendor_unit(env)
        case = doubles.Case("POST", f"/api/v1/repairs/units/{unit.id}/swap", env.user("clerk"), _swapped(unit),
                            json={})
        db.session.commit()
        before = case.probe()
    answers = doubles.fire_twice(doubles.make_actors(app, live.url, case), case, live.widener)
    statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
    assert statuses == [200, 409], [getattr(a, "text", a) for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["code"] == "invalid_transition" and "shipped" in str(refused.json()), refused.json()
    with app.app_context():
        db.session.remove()
        assert case.probe() == tuple(b + 1 for b in before)
        part = db.session.scalar(db.select(Part).where(Part.sku == "DBL-MX-HDD"))
        assert service.balance_of(vendor.pool_location().id, part.id) == 1
        assert service.balance_of(vendor.hq_defectives().id, part.id) == 1

