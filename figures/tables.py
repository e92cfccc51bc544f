"""The shapes of a figures report (tables of columns) and the lead-time helpers every section uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from core.calendar import current_calendar
from figures.periods import daynum


@dataclass
class Column:
    """One column of a figures table; ``kind`` says how to show and export it."""

    key: str
    label: str
    kind: str = "text"  # text, int, pct, days, money


@dataclass
class Table:
    """One table of the report, the unit every export writes."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    # True when Depot has no records of this kind yet: the table says so instead of showing zeros.

    def as_dicts(self) -> list[dict]:
        """The rows as dicts keyed by column key."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row)) for row in self.rows]


# --------------------------------------------------------------------------- working days

def working_ordinals(first: date, last: date) -> list[tuple[int, int]]:
    """(day number, working-day ordinal) for every day from ``first`` to ``last``.

    The ordinal counts working days from ``first``: the working days after
    day A up to and including day B are ``ordinal(B) - ordinal(A)``, the same
    as :func:`core.calendar.working_days_between`. Built once per report from
    the company calendar, so no unit ever calls the calendar.
    """
    cal = current_calendar()
    out = []
    ordinal = 0
    day = first
    while day <= last:
        if cal.is_working_day(day):
            ordinal += 1
        out.append((daynum(day), ordinal))
        day += timedelta(days=1)
    return out


def percentile_nearest_rank(histogram: dict[int, int], percent: int = 90):
    """Nearest-rank percentile of values given as {value: how many}: the smallest value
    that at least ``percent`` % of all values do not exceed."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-total * percent // 100))  # ceil(total * percent / 100) in integers
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def _avg(histogram: dict[int, int]):
    total = sum(histogram.values())
    if not total:
        return None
    return round(sum(v * n for v, n in histogram.items()) / total, 2)


def _rate(ok, n):
    return round(100.0 * ok / n, 1) if n else None
