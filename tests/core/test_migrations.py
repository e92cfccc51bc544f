"""Migrations build the same schema as the models, from empty to head."""

from core.authz import SYSTEM
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.dbsetup import create_test_database


def test_upgrade_from_empty_to_head_matches_models(tmp_path):
    from flask_migrate import downgrade, upgrade

    from core import create_app
    from core.extensions import db

    url, drop = create_test_database(str(tmp_path))
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            engine = db.engine
            with engine.connect() as conn:
                ctx = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(ctx, db.metadata)
            assert diff == [], f"models and migrations differ (NOTE for helpers: the lead regenerates the migration at the end): {diff}"
            tables = set(inspect(engine).get_table_names())
            assert {"user_account", "dealer", "office", "audit_entry"} <= tables
            downgrade(revision="base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            db.session.remove()
            engine.dispose()
    finally:
        drop()


def test_dealer_and_doa_tasks_move_into_the_one_task_table_and_back(tmp_path):
    """Rows of dealer_task and doa_task are all in ``task`` after the upgrade, with their meaning; and back."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from core import create_app
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from repairs import inspection, intake, receiving

    url, drop = create_test_database(str(tmp_path))
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            office = Office(code="BJ", name="北京办")
            db.session.add(office)
            db.session.flush()
            dealer = Dealer(code="D1", name="北京数码", phone="13800001234", office_id=office.id)
            db.session.add(dealer)
            db.session.flush()
            parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"model": "SSD", "serial": "N1"}])
            unit = receiving.receive_unit(SYSTEM, "N1", parcel)
            inspection.inspect_unit(SYSTEM, unit, human_damage=True)
            db.session.commit()
            ids = {"parcel": parcel.id, "unit": unit.id, "dealer": dealer.id, "office": office.id}
            db.session.remove()

            downgrade(revision="d2f7a4c9b1e3")
            rows = db.session.execute(text("SELECT parcel_id, unit_id, kind, status FROM dealer_task")).all()
            assert [tuple(r) for r in rows] == [(ids["parcel"], ids["unit"], "human_damage", "open")]
            # An office id naming no office (the old column had no foreign key) and a DOA task.
            db.session.execute(text(
                "INSERT INTO dealer_task (parcel_id, unit_id, office_id, kind, detail, due_on, status, resolution, "
                "note, created_at) VALUES (:p, NULL, 999, 'missing', 'gone', '2026-11-17', 'agreed', 'agreed', "
                "'by phone', CURRENT_TIMESTAMP)"), {"p": ids["parcel"]})
            db.session.execute(text(
                "INSERT INTO doa_task (application_id, hold_id, dealer_id, office_id, kind, detail, due_on, status, "
                "note, created_at) VALUES (NULL, NULL, :d, :o, 'unapproved_arrival', 'arrived early', '2026-11-18', "
                "'disputed', 'dealer disagrees', CURRENT_TIMESTAMP)"), {"d": ids["dealer"], "o": ids["office"]})
            db.session.commit()
            db.session.remove()

            upgrade()
            rows = db.session.execute(text(
                "SELECT process, kind, case_type, case_id, subject_type, subject_id, dealer_id, office_id, status, "
                "resolution, note FROM task ORDER BY process, kind")).all()
            assert [tuple(r) for r in rows] == [
                ("doa", "unapproved_arrival", None, None, None, None, ids["dealer"], ids["office"], "disputed", None,
                 "dealer disagrees"),
                ("repairs", "human_damage", "return_parcel", ids["parcel"], "repair_unit", ids["unit"], ids["dealer"],
                 ids["office"], "open", None, ""),
                ("repairs", "missing", "return_parcel", ids["parcel"], None, None, ids["dealer"], None, "agreed",
                 "agreed", "by phone"),
            ]
            assert not {"dealer_task", "doa_task"} & set(inspect(db.engine).get_table_names())
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
