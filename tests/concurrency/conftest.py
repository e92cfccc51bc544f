"""Fixtures of the tests that fire two identical requests at once."""
from __future__ import annotations

import pytest

from tests.concurrency.doubles import RaceWidener
from tests.dbsetup import delete_used_rows
from tests.live import LiveServer


@pytest.fixture()
def clean_after_double(app):
    """The suite's cleaning, done with DELETE on the tables a scenario wrote to: TRUNCATE of
    every table costs PostgreSQL two seconds a test, and a scenario touches a handful."""
    from core.calendar.service import forget_closures
    from core.extensions import db, limiter

    # A scenario may point the app's mail at a server of its own (dealer care's mail sink): put it back.
    mail = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    yield
    app.config.update(mail)
    with app.app_context():
        db.session.remove()
        delete_used_rows(db)
    forget_closures()
    limiter.reset()
    app.extensions["depot_principals"].clear()


@pytest.fixture(scope="module")
def live(app):
    """A threaded server on loopback with the race widener that holds each transaction's first write."""
    from core.extensions import db

    with app.app_context():
        engine = db.engine
    widener = RaceWidener(engine)
    with LiveServer(app) as server:
        server.widener = widener
        yield server
    widener.close()
