"""Migrations build the same schema as the models, from empty to head."""

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
