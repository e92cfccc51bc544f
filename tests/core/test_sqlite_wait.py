"""SQLite connections wait for the write lock themselves (core.sqlite)."""
import sqlite3
import threading
import time

import pytest

from core import sqlite as depot_sqlite


def _connect(path):
    conn = sqlite3.connect(path, factory=depot_sqlite.WaitingConnection, timeout=0, check_same_thread=False)
    depot_sqlite.set_pragmas(conn)
    return conn


@pytest.fixture
def db_path(tmp_path):
    path = str(tmp_path / "wait.sqlite")
    conn = _connect(path)
    conn.execute("CREATE TABLE scan (id INTEGER PRIMARY KEY, code TEXT)")
    conn.commit()
    conn.close()
    return path


def _hold_write_lock(path, seconds, started):
    holder = sqlite3.connect(path, timeout=0, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO scan (code) VALUES ('first')")
    started.set()
    time.sleep(seconds)
    holder.commit()
    holder.close()


def test_a_writer_waits_for_the_lock_and_then_writes(db_path):
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 0.2, started))
    holder.start()
    started.wait(5)
    conn = _connect(db_path)
    begun = time.monotonic()
    conn.execute("INSERT INTO scan (code) VALUES ('second')")
    conn.commit()
    waited = time.monotonic() - begun
    holder.join()
    # It waited for the holder's commit instead of failing with "database is locked".
    assert waited >= 0.15
    assert [r[0] for r in conn.execute("SELECT code FROM scan ORDER BY id")] == ["first", "second"]


def test_it_waits_in_short_steps_not_sqlites_millisecond_sleeps(db_path, monkeypatch):
    waits = []
    real_sleep = time.sleep
    monkeypatch.setattr(depot_sqlite, "sleep", lambda s: (waits.append(s), real_sleep(s)))
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 0.1, started))
    holder.start()
    started.wait(5)
    conn = _connect(db_path)
    conn.execute("INSERT INTO scan (code) VALUES ('second')")
    conn.commit()
    holder.join()
    # It retried: first after 0.1 ms, backing off to at most 5 ms a step, so it
    # notices the release within 5 ms (SQLite's own handler sleeps up to 100 ms).
    assert waits and waits[0] == pytest.approx(0.0001)
    assert max(waits) <= 0.005
    assert waits == sorted(waits)


def test_a_writer_gives_up_after_the_busy_timeout(db_path, monkeypatch):
    monkeypatch.setattr(depot_sqlite, "BUSY_TIMEOUT_SECONDS", 0.05)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 0.3, started))
    holder.start()
    started.wait(5)
    conn = _connect(db_path)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("INSERT INTO scan (code) VALUES ('second')")
    conn.rollback()
    holder.join()
    assert conn.execute("SELECT count(*) FROM scan").fetchone()[0] == 1


def test_other_errors_are_raised_at_once(db_path):
    conn = _connect(db_path)
    begun = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        conn.execute("INSERT INTO nowhere VALUES (1)")
    assert time.monotonic() - begun < 0.05


def test_the_apps_engine_pings_only_a_server_that_could_drop_it(app):
    """A pool's pre-request ping guards against a server that dropped the connection: kept for
    PostgreSQL, left out for the SQLite file (a statement for nothing on every request), whose
    connections are the waiting kind."""
    from core.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            assert engine.pool._pre_ping is False
            with engine.connect() as conn:
                assert isinstance(conn.connection.dbapi_connection, depot_sqlite.WaitingConnection)
        else:
            assert engine.pool._pre_ping is True
