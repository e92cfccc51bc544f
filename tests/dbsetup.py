"""Test databases: a SQLite file, or a throwaway PostgreSQL database per run.

``DEPOT_TEST_DATABASE_URL`` picks PostgreSQL (e.g.
``postgresql://postgres@127.0.0.1:5432/test``); each pytest run then creates
its own database next to the named one and drops it at the end, so parallel
runs never collide. Without it, tests use a SQLite file in a temp folder.
"""
from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import make_url


def is_postgres() -> bool:
    return os.environ.get("DEPOT_TEST_DATABASE_URL", "").startswith("postgresql")


def create_test_database(tmp_dir: str) -> tuple[str, callable]:
    """Return (url, drop) for a fresh empty database."""
    base = os.environ.get("DEPOT_TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_dir}/depot-test.sqlite"
        return url, lambda: None
    admin_url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"depot_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database: its commits need not wait for the WAL to reach the disk
        # (a crash of the server loses the run anyway). Thousands of tests commit thousands of times.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


def empty_all_tables(db) -> None:
    """Remove every row and restart every id, keep the schema (between tests).

    On PostgreSQL a TRUNCATE of every table costs about a second a test (each table gets new
    files); deleting from the few tables a test wrote to and restarting the sequences it drew
    from leaves the same empty database in a hundredth of that.
    """
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
            if conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))
            return
    try:
        delete_used_rows(db)
    except DBAPIError:
        # Rows a DELETE in dependency order cannot remove (a cycle of references): truncate them all.
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        return
    with db.engine.begin() as conn:
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                          "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))


def delete_used_rows(db) -> None:
    """Remove every row with DELETE, only from tables that have rows, keeping the schema.

    Much faster than TRUNCATE on PostgreSQL when a test touched a handful of tables;
    ids are not restarted.
    """
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        used = {row[0] for row in conn.execute(text(probe))}
        for t in reversed(tables):
            if t in used:
                conn.execute(text(f'DELETE FROM "{t}"'))
