"""Direct statements: a hot path's Core statement compiled once, run on the DBAPI cursor.

SQLAlchemy spends tens of microseconds of Python on every execute (the statement's cache
key, an execution context, the result's metadata): on the scan station's path that was
several times what the database needed to run its handful of indexed statements.
A :class:`DirectStatement` compiles its statement once per dialect (and per set of
columns written) and afterwards does only what the statement needs: it processes the
bound values with the types' own bind processors, runs the SQL on the connection's DBAPI
cursor, and makes rows with the types' own result processors. It runs inside the
session's transaction, so it commits and rolls back with the request.

It steps aside (runs the statement through SQLAlchemy as usual) whenever something
listens to the engine's statements (a test counting them, a tracer), and for statements
it cannot run faithfully by itself: Python-side column defaults, expanding ``IN``
parameters. DBAPI errors are raised as SQLAlchemy's own exceptions, as through
``Connection.execute``.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection


class DirectStatement:
    """A Core statement run on the DBAPI cursor; see the module docstring.

    ``execute(connection, params)`` answers like ``Connection.execute`` for what the
    hot paths use: ``first()``, ``all()``, ``one_or_none()``, ``scalar()`` and ``rowcount``.
    For an INSERT or UPDATE the columns written are the ``params`` keys that are not
    the statement's own bound parameters, as with ``Connection.execute``.
    """

    def __init__(self, statement):
        self.statement = statement
        # An INSERT or UPDATE is compiled for the columns each call writes; anything else once.
        self._writes = statement.is_dml and not statement.is_delete
        self._plans: dict[tuple, _Plan | None] = {}

    def execute(self, connection: Connection, params: dict[str, Any]):
        """Run the statement with ``params`` in ``connection``'s transaction."""
        if (connection._has_events or connection.engine._has_events) and _listened(connection.dispatch):
            return connection.execute(self.statement, params)
        dialect = connection.dialect
        key = (dialect.name, dialect.driver, *params) if self._writes else (dialect.name, dialect.driver)
        plan = self._plans.get(key, _MISSING)
        if plan is _MISSING:
            plan = self._plans[key] = _Plan.make(self.statement, dialect, params if self._writes else None)
        if plan is None:
            return connection.execute(self.statement, params)
        return plan.run(connection, params)


_MISSING = object()


def _listened(dispatch) -> bool:
    """Whether anything listens to this connection's statements (an engine keeps its
    ``_has_events`` flag after its last listener is removed)."""
    return bool(dispatch.before_execute or dispatch.after_execute or dispatch.before_cursor_execute
                or dispatch.after_cursor_execute)


class _Plan:
    """What running the statement on one dialect takes: the SQL, how to bind, how to read."""

    __slots__ = ("sql", "positional", "order", "constants", "binders", "columns", "row", "readers")

    @classmethod
    def make(cls, statement, dialect, params: dict | None) -> _Plan | None:
        keys = list(params) if params is not None else None
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        binds = compiled.binds
        if (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
                or compiled.escaped_bind_names or any(bind.expanding for bind in binds.values())):
            return None
        plan = cls()
        plan.sql = compiled.string
        plan.positional = dialect.positional
        plan.order = tuple(compiled.positiontup) if dialect.positional else tuple(binds)
        plan.constants = {name: bind.effective_value for name, bind in binds.items()
                          if not bind.required and bind.callable is None}
        plan.binders = dict(compiled._bind_processors)
        plan.columns = compiled._result_columns
        plan.row = namedtuple("Row", [c.keyname for c in plan.columns], rename=True) if plan.columns else None
        plan.readers = None  # made from the first result's description: some depend on the driver's type codes
        return plan

    def _bound(self, params: dict):
        binders, constants = self.binders, self.constants
        values = []
        for name in self.order:
            try:
                value = params[name] if name in params else constants[name]
            except KeyError:
                # As SQLAlchemy answers a statement run without one of its values.
                message = f"A value is required for bind parameter {name!r}"
                raise exc.StatementError(message, self.sql, params, exc.InvalidRequestError(message)) from None
            binder = binders.get(name)
            values.append(binder(value) if binder is not None and value is not None else value)
        return tuple(values) if self.positional else dict(zip(self.order, values))

    def run(self, connection: Connection, params: dict) -> _DirectResult:
        bound = self._bound(params)
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, bound)
            rows = cursor.fetchall() if self.row is not None else None
            rowcount = cursor.rowcount
            if self.readers is None and self.row is not None:
                readers = tuple(column.type._cached_result_processor(connection.dialect, described[1])
                                for column, described in zip(self.columns, cursor.description))
                # Only the columns that need reading are read (on SQLite, mostly none).
                self.readers = tuple((i, read) for i, read in enumerate(readers) if read is not None)
        except connection.dialect.loaded_dbapi.Error as error:
            invalidated = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
            if invalidated:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(self.sql, bound, error, connection.dialect.loaded_dbapi.Error,
                                          connection_invalidated=invalidated, dialect=connection.dialect) from error
        finally:
            cursor.close()
        if rows:
            rows = self._read(rows)
        return _DirectResult(rows or [], rowcount)

    def _read(self, raw_rows: list) -> list:
        make, readers = self.row._make, self.readers
        if not readers:
            return list(map(make, raw_rows))
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for i, read in readers:
                if values[i] is not None:
                    values[i] = read(values[i])
            rows.append(make(values))
        return rows


class _DirectResult:
    """The part of a ``CursorResult`` the hot paths read."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def first(self):
        return self._rows[0] if self._rows else None

    def all(self) -> list:
        return self._rows

    def one_or_none(self):
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def scalar(self):
        return self._rows[0][0] if self._rows else None
