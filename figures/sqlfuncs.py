"""Portable SQL for local calendar days: integer day numbers (days since 1970-01-01).

Every figure groups timestamps by their Asia/Shanghai calendar day. Doing
that in SQL keeps the million-row reads set-based; an integer day number is
cheap to compare, to bucket into weeks, and to join with the working-day
ordinal table the report builds in Python.

PostgreSQL converts with the real time zone. SQLite has no time zones, so it
adds eight hours: Shanghai has kept UTC+8 without daylight saving since 1991,
long before any record Depot holds.
"""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class local_daynum(FunctionElement):
    """Shanghai calendar day of a UTC timestamp column, as days since 1970-01-01."""

    type = Integer()
    inherit_cache = True
    name = "local_daynum"


class date_daynum(FunctionElement):
    """A DATE column as days since 1970-01-01."""

    type = Integer()
    inherit_cache = True
    name = "date_daynum"


class local_month(FunctionElement):
    """Shanghai calendar month of a UTC timestamp column, as text ``YYYY-MM``."""

    type = String()
    inherit_cache = True
    name = "local_month"


@compiles(local_daynum, "postgresql")
def _pg_local_daynum(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"(CAST(({arg} AT TIME ZONE 'Asia/Shanghai') AS DATE) - DATE '1970-01-01')"


@compiles(local_daynum, "sqlite")
def _sqlite_local_daynum(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    # julianday() of a midnight is an exact .5 in binary floating point, so the
    # subtraction is exact and CAST truncates to the day.
    return f"CAST(julianday(date({arg}, '+8 hours')) - 2440587.5 AS INTEGER)"


@compiles(date_daynum, "postgresql")
def _pg_date_daynum(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"({arg} - DATE '1970-01-01')"


@compiles(date_daynum, "sqlite")
def _sqlite_date_daynum(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(julianday({arg}) - 2440587.5 AS INTEGER)"


@compiles(local_month, "postgresql")
def _pg_local_month(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char(({arg} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM')"


@compiles(local_month, "sqlite")
def _sqlite_local_month(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"strftime('%Y-%m', {arg}, '+8 hours')"
