"""Rule parameters are named once and the ones the company chooses follow their setting."""
from __future__ import annotations

from datetime import date

import pytest

from core.config import ConfigError, load_config


def test_the_recount_threshold_comes_from_the_environment(tmp_path):
    assert load_config(str(tmp_path), {"DEPOT_RECOUNT_THRESHOLD": "1200"})["INVENTORY_RECOUNT_THRESHOLD"] == 1200
    assert "INVENTORY_RECOUNT_THRESHOLD" not in load_config(str(tmp_path), {})
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"DEPOT_RECOUNT_THRESHOLD": "lots"})


def test_the_default_threshold_is_named_with_the_count_rules(app):
    from inventory.counts import RECOUNT_THRESHOLD

    assert RECOUNT_THRESHOLD == 500


def test_a_route_default_is_the_named_dispatch_rule_and_a_route_setting_changes_the_due_day(app):
    from core.directory.models import DISPATCH_DAYS, PROMISE_DAYS, Factory, RepairRoute
    from core.extensions import db
    from repairs import clocks

    with app.app_context():
        factory = Factory(code="F", name="factory")
        db.session.add(factory)
        db.session.flush()
        route = RepairRoute(code="R", name="route", factory_id=factory.id, promise_days=PROMISE_DAYS)
        db.session.add(route)
        db.session.flush()
        assert route.dispatch_days == DISPATCH_DAYS == clocks.DISPATCH_DAYS == 2
        monday = date(2026, 11, 2)
        assert clocks.dispatch_due(monday, clocks.dispatch_days(route)) == date(2026, 11, 4)
        route.dispatch_days = 3
        assert clocks.dispatch_due(monday, clocks.dispatch_days(route)) == date(2026, 11, 5)
        db.session.rollback()


def test_the_age_bands_are_named_from_the_rules_and_shown_in_words(app):
    from flask_babel import force_locale

    from core.directory.models import DISPATCH_DAYS, PROMISE_DAYS
    from repairs.clocks import BACKLOG_BANDS, LATE_BANDS

    assert BACKLOG_BANDS.spans == [(0, DISPATCH_DAYS), (DISPATCH_DAYS + 1, PROMISE_DAYS), (PROMISE_DAYS + 1, 10),
                                   (11, 20), (21, None)]
    assert [BACKLOG_BANDS.index(d) for d in (0, 2, 3, 7, 8, 20, 21, 400)] == [0, 0, 1, 1, 2, 3, 4, 4]
    # Ten days late is in "6-10", not also in the last band.
    assert [LATE_BANDS.key(d) for d in (1, 2, 3, 5, 6, 10, 11)] == ["1-2", "1-2", "3-5", "3-5", "6-10", "6-10", "11+"]
    with app.test_request_context():
        assert BACKLOG_BANDS.labels()[-1] == "21 or more working days"
        with force_locale("zh_CN"):
            assert LATE_BANDS.labels()[0] == "超期 1–2 天" and "working" not in BACKLOG_BANDS.labels()[1]
