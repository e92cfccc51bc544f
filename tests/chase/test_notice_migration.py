"""The chase notices migration keeps what was already mailed: a unit mailed today is not mailed again."""
from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from sqlalchemy import text

import core
from core.authz import SYSTEM
from tests.dbsetup import create_test_database

MIGRATION = Path(core.__file__).resolve().parents[1] / "migrations" / "versions" / "c4a5e0d2b7f1_chase_notice.py"


def _previous_revision() -> str:
    spec = importlib.util.spec_from_file_location("chase_notice_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision


def test_notices_survive_the_move_to_chase_notice_and_back(tmp_path):
    from flask_migrate import downgrade, upgrade

    from core import create_app
    from core.directory.models import Dealer
    from core.extensions import db
    from repairs import intake, receiving

    url, drop = create_test_database(str(tmp_path))
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            dealer = Dealer(code="D1", name="北京数码", phone="13800001234")
            db.session.add(dealer)
            db.session.flush()
            parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"model": "SSD", "serial": "N1"}])
            unit = receiving.receive_unit(SYSTEM, "N1", parcel)
            db.session.execute(text(
                "INSERT INTO chase_notice (kind, item_id, day, owner_key, recipients, sent_at) "
                "VALUES ('repair_unit', :u, :d, 'cs', 'boss@example.com', CURRENT_TIMESTAMP)"),
                {"u": unit.id, "d": date(2026, 11, 17)})
            db.session.commit()
            unit_id = unit.id
            db.session.remove()
            downgrade(revision=_previous_revision())
            rows = db.session.execute(text("SELECT unit_id, day, recipients FROM overdue_notice")).all()
            assert [(r[0], str(r[1]), r[2]) for r in rows] == [(unit_id, "2026-11-17", "boss@example.com")]
            db.session.remove()
            upgrade()
            rows = db.session.execute(text("SELECT kind, item_id, day FROM chase_notice")).all()
            assert [(r[0], r[1], str(r[2])) for r in rows] == [("repair_unit", unit_id, "2026-11-17")]
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
