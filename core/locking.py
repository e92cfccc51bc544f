"""Holding a row for the rest of the request, so a check made after it sees every earlier commit."""
from __future__ import annotations

from sqlalchemy import select, update

from core.extensions import db


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
