"""The brands revision (b7a3d51e9c20) keeps every row on the way down and up; units come back without a brand."""
from sqlalchemy import inspect, text

from core.authz import SYSTEM
from tests.dbsetup import create_test_database


def test_brand_columns_go_and_come_back_with_the_rows_kept(tmp_path):
    from flask_migrate import downgrade, upgrade

    from core import create_app
    from core.directory.models import Brand, Dealer, Office
    from core.extensions import db
    from repairs import intake

    url, drop = create_test_database(str(tmp_path))
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            office = Office(code="BJ", name="北京办")
            db.session.add_all([office, Brand(code="M", name="Maxell", model_prefixes="MX")])
            db.session.flush()
            dealer = Dealer(code="D1", name="北京数码", office_id=office.id)
            db.session.add(dealer)
            db.session.flush()
            parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"model": "MX-1", "serial": "N1"}])
            assert parcel.units[0].brand_id is not None
            db.session.commit()
            # The unit's history points at it: SQLite must rebuild repair_unit without losing or refusing it.
            assert db.session.execute(text("SELECT count(*) FROM repair_event WHERE unit_id IS NOT NULL")).scalar()
            db.session.remove()

            downgrade(revision="7ca93adf5a6e")
            columns = {c["name"] for c in inspect(db.engine).get_columns("repair_unit")}
            assert "brand_id" not in columns
            assert "model_prefixes" not in {c["name"] for c in inspect(db.engine).get_columns("brand")}
            db.session.remove()

            upgrade()
            assert [tuple(r) for r in db.session.execute(text("SELECT serial, model, brand_id FROM repair_unit"))] \
                == [("N1", "MX-1", None)]
            assert [tuple(r) for r in db.session.execute(text("SELECT code, model_prefixes FROM brand"))] \
                == [("M", "")]
            if db.engine.dialect.name == "sqlite":  # foreign keys are enforced again after the rebuild
                assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
