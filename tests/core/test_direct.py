"""Direct statements (core.direct) read and write what SQLAlchemy would, on both databases."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Boolean, Column, Date, Integer, MetaData, Numeric, String, Table, bindparam, event, \
    exc, insert, select, update

from core.direct import DirectStatement
from core.extensions import db
from core.types import UTCDateTime

META = MetaData()
THING = Table("direct_thing", META,
              Column("id", Integer, primary_key=True, autoincrement=False),
              Column("code", String(20), nullable=False),
              Column("day", Date), Column("at", UTCDateTime), Column("amount", Numeric(12, 2)),
              Column("flag", Boolean), Column("data", JSON),
              Column("note", String(20), nullable=False, default=""))

READ = DirectStatement(select(THING).where(THING.c.code == bindparam("code"), THING.c.flag.is_(True))
                       .order_by(THING.c.id))
WRITE = DirectStatement(insert(THING))
MOVE = DirectStatement(update(THING).where(THING.c.id == bindparam("guard_id"), THING.c.code == bindparam("guard")))

ROWS = [
    {"id": 1, "code": "A", "day": date(2026, 12, 1), "at": datetime(2026, 12, 1, 8, 30, 5, 120, tzinfo=timezone.utc),
     "amount": Decimal("12.50"), "flag": True, "data": {"serials": ["SN1"], "n": 2}, "note": "x"},
    {"id": 2, "code": "A", "day": None, "at": None, "amount": None, "flag": True, "data": None, "note": ""},
    {"id": 3, "code": "A", "day": date(2026, 1, 2), "at": datetime(2026, 1, 2, tzinfo=timezone.utc),
     "amount": Decimal("0.01"), "flag": False, "data": [], "note": ""},
]


@pytest.fixture()
def conn(app):
    with app.app_context():
        META.create_all(db.engine)
        try:
            yield db.session.connection()
        finally:
            db.session.rollback()
            META.drop_all(db.engine)


def _ran_direct(statement: DirectStatement) -> bool:
    return any(plan is not None for plan in statement._plans.values())


def test_rows_read_directly_are_sqlalchemys_rows(conn):
    for row in ROWS:
        WRITE.execute(conn, row)
    direct = READ.execute(conn, {"code": "A"}).all()
    through_sqlalchemy = conn.execute(READ.statement, {"code": "A"}).all()
    assert [tuple(r) for r in direct] == [tuple(r) for r in through_sqlalchemy]
    assert direct[0].at == ROWS[0]["at"] and direct[0].amount == Decimal("12.50")
    assert direct[0].data == {"serials": ["SN1"], "n": 2} and direct[0].day == date(2026, 12, 1)
    assert direct[0]._fields == tuple(through_sqlalchemy[0]._fields)
    assert READ.execute(conn, {"code": "nothing"}).first() is None
    assert READ.execute(conn, {"code": "A"}).scalar() == 1
    with pytest.raises(exc.MultipleResultsFound):
        READ.execute(conn, {"code": "A"}).one_or_none()
    assert _ran_direct(READ) and _ran_direct(WRITE)


def test_rows_of_plain_columns_are_sqlalchemys_rows(conn):
    plain = DirectStatement(select(THING.c.id, THING.c.code, THING.c.note).order_by(THING.c.id))
    for row in ROWS:
        WRITE.execute(conn, row)
    direct = plain.execute(conn, {}).all()
    assert [tuple(r) for r in direct] == [(1, "A", "x"), (2, "A", ""), (3, "A", "")]
    assert [tuple(r) for r in direct] == [tuple(r) for r in conn.execute(plain.statement).all()]
    assert direct[0].code == "A" and _ran_direct(plain)


def test_a_guarded_update_says_whether_it_wrote(conn):
    WRITE.execute(conn, ROWS[0])
    moved = MOVE.execute(conn, {"guard_id": 1, "guard": "A", "code": "B", "amount": Decimal("3.10")})
    again = MOVE.execute(conn, {"guard_id": 1, "guard": "A", "code": "C"})
    assert (moved.rowcount, again.rowcount) == (1, 0)
    row = conn.execute(select(THING.c.code, THING.c.amount, THING.c.note)).one()
    assert tuple(row) == ("B", Decimal("3.10"), "x")
    assert _ran_direct(MOVE)


def test_it_writes_in_the_sessions_transaction(conn):
    WRITE.execute(conn, ROWS[0])
    db.session.rollback()
    assert db.session.connection().execute(select(THING.c.id)).first() is None


def test_a_column_default_in_python_goes_through_sqlalchemy(conn):
    row = {key: value for key, value in ROWS[1].items() if key != "note"}
    statement = DirectStatement(insert(THING))
    statement.execute(conn, row)
    assert conn.execute(select(THING.c.note)).scalar() == ""
    assert not _ran_direct(statement)


def test_statement_listeners_see_every_statement(app, conn):
    seen = []

    def spy(connection, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    statement = DirectStatement(select(THING.c.id).where(THING.c.code == bindparam("code")))
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        fresh = db.engine.connect()
        try:
            statement.execute(fresh, {"code": "A"})
        finally:
            fresh.close()
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert len(seen) == 1 and "direct_thing" in seen[0]
    assert not _ran_direct(statement)
    statement.execute(conn, {"code": "A"})  # nobody listens any more
    assert _ran_direct(statement)


def test_a_database_error_is_sqlalchemys_and_changes_nothing(conn):
    WRITE.execute(conn, ROWS[0])
    db.session.commit()
    conn = db.session.connection()
    with pytest.raises(exc.IntegrityError):
        WRITE.execute(conn, {**ROWS[1], "id": 1})
    db.session.rollback()
    assert [r.id for r in db.session.connection().execute(select(THING.c.id))] == [1]


def test_a_missing_value_is_refused_as_sqlalchemy_refuses_it(conn):
    """A statement run without one of its values raises what Connection.execute raises, naming it."""
    with pytest.raises(exc.StatementError, match="bind parameter 'code'") as direct:
        READ.execute(conn, {})
    with pytest.raises(exc.StatementError, match="bind parameter 'code'") as plain:
        conn.execute(READ.statement, {})
    assert type(direct.value.orig) is type(plain.value.orig) is exc.InvalidRequestError
    with pytest.raises(exc.StatementError, match="bind parameter 'guard'"):
        MOVE.execute(conn, {"guard_id": 1, "note": "y"})
