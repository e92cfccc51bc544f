"""SQLite, the embedded database: connection settings, and waiting for the write lock.

SQLite lets one connection write at a time. A second writer gets SQLITE_BUSY,
and SQLite's own busy handler then sleeps 1 ms, 2 ms, 5 ms ... before trying
again. A scan's write transaction holds the lock for a fraction of a
millisecond, so with two server processes scanning at once most of that sleep
was wasted: in the repairs benchmark the workers sat idle a quarter of the time.
Depot's connections therefore wait themselves, retrying a busy statement after
0.1 ms and backing off to 5 ms, for as long as SQLite would have (30 s).

Only plain SQLITE_BUSY is retried: that is returned before a statement changes
anything, so running it again is safe. Every other error is raised at once.
"""
from __future__ import annotations

import sqlite3
from time import monotonic, sleep

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_SECONDS = 30.0
_FIRST_WAIT = 0.0001
_LONGEST_WAIT = 0.005
PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL")


def _retrying(operation, *args):
    """Run ``operation``; while SQLite answers "busy", wait a little and run it again."""
    deadline = None
    wait = _FIRST_WAIT
    while True:
        try:
            return operation(*args)
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                raise
            now = monotonic()
            if deadline is None:
                deadline = now + BUSY_TIMEOUT_SECONDS
            elif now >= deadline:
                raise
            sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)


class WaitingCursor(sqlite3.Cursor):
    """A cursor whose statements wait for the write lock (see the module docstring)."""

    def execute(self, sql, parameters=(), /):
        if not self.connection.in_transaction and sql[:9].upper() == "SAVEPOINT":
            # sqlite3 opens a transaction only before INSERT/UPDATE/DELETE. A SAVEPOINT sent
            # outside one starts its own, and releasing it would COMMIT at once: a refused
            # request's first-use rows (a location, a sequence) would outlive its rollback.
            _retrying(super().execute, "BEGIN", ())
        return _retrying(super().execute, sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        # A busy executemany has changed nothing: the first row is where it asks for the lock.
        return _retrying(super().executemany, sql, seq_of_parameters)


class WaitingConnection(sqlite3.Connection):
    """A connection whose cursors and commits wait for the write lock."""

    def cursor(self, factory=WaitingCursor):
        return super().cursor(factory)

    # sqlite3's shortcuts make a plain cursor in C; these make a waiting one.
    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def commit(self):
        return _retrying(super().commit)


def engine_options(options: dict) -> dict:
    """``options`` (SQLAlchemy engine options) with Depot's SQLite connection settings."""
    # A file database has no server that could drop the connection: pinging it before
    # every request is a wasted statement (PostgreSQL's connections keep the ping).
    options["pool_pre_ping"] = False
    connect_args = options.setdefault("connect_args", {})
    connect_args.setdefault("factory", WaitingConnection)
    # SQLite's own handler off: the connection does the waiting.
    connect_args.setdefault("timeout", 0)
    return options


def set_pragmas(dbapi_connection, _connection_record=None) -> None:
    """WAL (readers never wait for the writer), foreign keys, and fsync at checkpoints only."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def install() -> None:
    """Set the pragmas on every new SQLite connection (idempotent)."""
    if not event.contains(Engine, "connect", set_pragmas):
        event.listen(Engine, "connect", set_pragmas)
