"""Readable, sortable document numbers (RMA2611-0001, SH2611-00001, ...).

One counter row per series (e.g. ``RMA2611``), incremented in the caller's
transaction: the row lock serialises concurrent writers on PostgreSQL, and
SQLite serialises writers anyway, so two requests never get the same number.
"""
from __future__ import annotations

from sqlalchemy import String, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db


class SequenceCounter(db.Model):
    __tablename__ = "sequence_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_value(series: str) -> int:
    """The next integer of ``series``, starting at 1."""
    table = SequenceCounter.__table__
    stmt = update(table).where(table.c.name == series).values(value=table.c.value + 1).returning(table.c.value)
    value = db.session.execute(stmt).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.execute(insert(table).values(name=series, value=1))
        return 1
    except IntegrityError:
        # Another transaction created the series first; take the next value.
        return db.session.execute(stmt).scalar_one()


def next_number(prefix: str, period: str, width: int = 4) -> str:
    """``prefix + period + '-' + zero-padded sequence``, e.g. next_number('RMA', '2611')."""
    series = f"{prefix}{period}"
    return f"{series}-{next_value(series):0{width}d}"
