"""Helpers for queries over many values at once."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import any_, bindparam, insert, literal_column
from sqlalchemy.dialects.postgresql import ARRAY

# ``column.in_(values)`` sends one bind parameter per value: PostgreSQL takes at
# most 65,535 in a statement and SQLite 32,766. Lists that long are queried in
# chunks of this size.
IN_CHUNK = 10_000


def in_chunks(values: Iterable, size: int = IN_CHUNK) -> Iterator[list]:
    """``values`` without repeats or None, in lists of at most ``size`` (for ``column.in_(chunk)``)."""
    unique = list(dict.fromkeys(v for v in values if v is not None))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]


# Rows per INSERT batch: large enough that the round trips do not count (psycopg pipelines
# an executemany on PostgreSQL), small enough that one batch's parameters stay a few MB.
INSERT_CHUNK = 5_000


def among(session, column, values: list):
    """``column IN values`` for a chunk of many values (see :func:`in_chunks`).

    On PostgreSQL the list goes as one array parameter (``= ANY(...)``): ten
    thousand separate parameters cost psycopg a third of a second to prepare,
    per statement.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(session, table, rows: list[dict], size: int = INSERT_CHUNK) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table``, set-based.

    For imports of many lines: no ORM object, identity-map entry or flush
    bookkeeping per row. The rows are not in the session; expire any
    relationship that lists them. On PostgreSQL the rows are streamed with
    COPY (in the session's transaction), elsewhere inserted with executemany.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        keys = list(rows[0])
        names = ", ".join(connection.dialect.identifier_preparer.quote(k) for k in keys)
        statement = f"COPY {connection.dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[k] for k in keys])
        return
    for start in range(0, len(rows), size):
        session.execute(insert(table), rows[start:start + size])


# Searches match text as typed: ``%`` and ``_`` are themselves, not wildcards. SQLAlchemy's
# ``autoescape`` escapes them with ``/`` and writes the ``ESCAPE '/'`` clause, which SQLite
# needs (it has no default escape character) and PostgreSQL honours alike.

def contains(column, text: str, *, ignore_case: bool = False):
    """``column`` contains ``text`` anywhere (``ignore_case``: in any letter case)."""
    if ignore_case:
        return column.icontains(text, autoescape=True)
    return column.contains(text, autoescape=True)


def starts_with(column, text: str, *, ignore_case: bool = False):
    """``column`` begins with ``text`` (``ignore_case``: in any letter case)."""
    if ignore_case:
        return column.istartswith(text, autoescape=True)
    return column.startswith(text, autoescape=True)

def inline_states(states) -> list:
    """Our own state codes written into the statement: a list of values would be an expanding
    parameter, compiled again on every execution of a statement that runs on every scan."""
    return [literal_column(f"'{state}'") for state in sorted(states)]
