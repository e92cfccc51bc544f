"""Report periods: Asia/Shanghai calendar weeks (Monday to Sunday) and months.

A period is a half-open range of local days ``[start, end)``; its UTC bounds are
the Shanghai midnights at either end, so a timestamp belongs to the period of
its Shanghai calendar day.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _

from core.calendar import MAX_YEAR, MIN_YEAR, SHANGHAI, local_today, month_start
from core.errors import ValidationFailed

EPOCH = date(1970, 1, 1)
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    """A report period: ``kind`` "week" or "month", local days ``start`` (incl.) to ``end`` (excl.)."""

    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        """The period as typed in a URL or on the command line: ``2026-10`` or ``2026-W42``."""
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        year, week, _day = self.start.isocalendar()
        return f"{year:04d}-W{week:02d}"

    @property
    def last_day(self) -> date:
        """The period's last local day (inclusive)."""
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """The period for titles: "Month 2026-10" or "Week 2026-W42 (…)"."""
        if self.kind == "month":
            return _("Month %(m)s", m=self.key)
        return _("Week %(w)s (%(a)s to %(b)s)", w=self.key, a=self.start.isoformat(), b=self.last_day.isoformat())

    @property
    def utc_start(self) -> datetime:
        """The UTC instant the period begins (Shanghai midnight)."""
        return local_midnight_utc(self.start)

    @property
    def utc_end(self) -> datetime:
        """The UTC instant the period ends (exclusive)."""
        return local_midnight_utc(self.end)

    @property
    def start_num(self) -> int:
        """The first day as a day number."""
        return daynum(self.start)

    @property
    def end_num(self) -> int:
        """The day after the last, as a day number."""
        return daynum(self.end)

    def previous(self) -> "Period":
        """The period of the same kind before this one."""
        if self.kind == "month":
            return month_period(*_shift_month(self.start.year, self.start.month, -1))
        return week_period(self.start - timedelta(days=7))

    def next(self) -> "Period":
        """The period of the same kind after this one."""
        if self.kind == "month":
            return month_period(*_shift_month(self.start.year, self.start.month, 1))
        return week_period(self.start + timedelta(days=7))


def daynum(day: date) -> int:
    """Days since 1970-01-01: the integer the SQL side computes for a local day."""
    return (day - EPOCH).days


def from_daynum(n: int) -> date:
    """The local day of a day number."""
    return EPOCH + timedelta(days=int(n))


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which the Shanghai calendar day ``day`` begins."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_period(year: int, month: int) -> Period:
    """The calendar month ``year``-``month``."""
    start = date(year, month, 1)
    ny, nm = _shift_month(year, month, 1)
    return Period("month", start, date(ny, nm, 1))


def week_period(any_day: date) -> Period:
    """The Monday-to-Sunday week containing ``any_day``."""
    start = any_day - timedelta(days=any_day.weekday())
    return Period("week", start, start + timedelta(days=7))


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def parse_month(text) -> Period:
    """``2026-10`` -> that month; anything else is a clear 422."""
    start = month_start(text)
    return month_period(start.year, start.month)


def parse_week(text) -> Period:
    """``2026-W42`` (ISO week, Monday to Sunday) or any day ``2026-10-14`` -> that week."""
    value = (text or "").strip() if isinstance(text, str) else ""
    message = _("Give the week as YYYY-Www (e.g. 2026-W42) or a day in it (e.g. 2026-10-14) (got %(v)s).",
                v=(str(text)[:20] if text else "—"))
    match = _WEEK_RE.match(value)
    try:
        if match:
            year, week = int(match.group(1)), int(match.group(2))
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise ValueError
            return week_period(date.fromisocalendar(year, week, 1))
        if _DAY_RE.match(value):
            day = date.fromisoformat(value)
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise ValueError
            return week_period(day)
    except ValueError:
        pass
    raise _bad("week", message)


def resolve_period(*, month=None, week=None, default: str = "month") -> Period:
    """The period asked for by ``month`` or ``week`` (not both); the current one when neither is given."""
    if month not in (None, "") and week not in (None, ""):
        message = _("Ask for a month or a week, not both.")
        raise ValidationFailed(message, errors={"week": [message]})
    if month not in (None, ""):
        return parse_month(month)
    if week not in (None, ""):
        return parse_week(week)
    today = local_today()
    if default == "week":
        return week_period(today)
    return month_period(today.year, today.month)
