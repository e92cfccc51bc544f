"""Guarded state changes and held rows: of two identical requests at once, one wins, the other gets 409.

A transition is one conditional UPDATE (``... WHERE id = :id AND status IN
(:expected)``) run *before* anything is posted. On PostgreSQL the second
request's UPDATE waits for the first one's row lock and, once that commits,
matches no row; on SQLite the UPDATE takes the database's write lock, so the
second request reads the first one's result. Either way the loser is refused
before it posts anything, and its whole request rolls back. The ORM attribute is
set as well, so the audited flush records the change.

:func:`lock_row` holds a row for the rest of the request, so a check made after
it sees every earlier commit.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from core.errors import InvalidTransition
from core.extensions import db


def guarded_transition(record, *, expected, to: str, label=None, **values) -> None:
    """Move ``record`` (a model with ``id`` and ``status``) from one of ``expected`` to ``to``.

    Raises InvalidTransition (409), naming the state the record is really in,
    when another request moved it first. ``values`` are set with the status.
    ``label(status)`` turns a status into words for the message.
    """
    expected = tuple(expected)
    model = type(record)
    table = model.__table__
    result = db.session.execute(
        update(table).where(table.c.id == record.id, table.c.status.in_(expected)).values(status=to)
    )
    if result.rowcount != 1:
        current = db.session.scalar(select(table.c.status).where(table.c.id == record.id))
        words = label or (lambda s: s)
        raise InvalidTransition(
            _("%(n)s is %(s)s now; this step is no longer possible.",
              n=getattr(record, "number", record.id), s=words(current)),
            current=current, allowed=list(expected))
    record.status = to
    for name, value in values.items():
        setattr(record, name, value)


def hold_in_state(record, expected: str, *, column: str = "status") -> bool:
    """Lock ``record``'s row if its ``column`` still holds ``expected`` (a guarded no-op UPDATE).

    For a step that writes more than its own transition: a concurrent duplicate
    waits here, then finds the state moved. False (with ``record`` refreshed) when
    another request moved it first; the caller says what that means.
    """
    db.session.flush()
    table = type(record).__table__
    state = table.c[column]
    result = db.session.execute(update(table).where(table.c.id == record.id, state == expected)
                                .values({column: state}))
    if result.rowcount != 1:
        db.session.refresh(record)
        return False
    return True


def lock_row(model, ident: int) -> None:
    """Hold ``model``'s row ``ident`` until the unit of work ends.

    PostgreSQL: SELECT ... FOR UPDATE (a second request waits here for the first to
    commit). SQLite: a no-op UPDATE, which takes the database's write lock (SQLite has
    no row locks). A missing row is left for the caller to report.
    """
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(table.c.id).where(table.c.id == ident).with_for_update())
    else:
        db.session.execute(update(table).where(table.c.id == ident).values(id=table.c.id))
