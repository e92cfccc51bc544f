"""The working-day calendar: mainland China's official schedule plus company closures.

Official holidays and make-up working days (调休) come from the ``holidays``
package; closures are the company's own extra days off, edited by admins.
Calendar days are Asia/Shanghai days.
"""
from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.calendar.models import Closure
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.locking import lock_row

SHANGHAI = ZoneInfo("Asia/Shanghai")
_CACHE_SECONDS = 60
_lock = threading.Lock()
_official: holidays.HolidayBase | None = None
_closures_cache: tuple[float, WorkingCalendar] | None = None


def _official_calendar() -> holidays.HolidayBase:
    global _official
    with _lock:
        if _official is None:
            this_year = date.today().year
            _official = holidays.China(years=range(2011, this_year + 3))
        return _official


def prepare() -> None:
    """Build the official calendar now (a few tenths of a second), so that a new
    server's first request does not wait for it."""
    _official_calendar()


class WorkingCalendar:
    """Working days = official working days (make-up Saturdays included) minus closures."""

    # Due dates are asked for the same few days all day long; answers are kept per
    # calendar object (a new one comes with every change of the closures).
    _MEMO_LIMIT = 4096

    def __init__(self, closures=frozenset()):
        self.closures = frozenset(closures)
        self.official = _official_calendar()
        self._added: dict[tuple[date, int], date] = {}

    def is_working_day(self, day: date) -> bool:
        if day in self.closures:
            return False
        with _lock:  # the holidays object fills in new years lazily
            return self.official.is_working_day(day)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (``day`` itself not counted)."""
        if n < 0:
            raise ValueError("n must not be negative")
        found = self._added.get((day, n))
        if found is None:
            found = self._count_forward(day, n)
            if len(self._added) >= self._MEMO_LIMIT:
                self._added.clear()
            self._added[(day, n)] = found
        return found

    def _count_forward(self, day: date, n: int) -> date:
        current = day
        while n > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                n -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def _load_closures() -> frozenset[date]:
    return frozenset(db.session.scalars(select(Closure.day)))


def current_calendar() -> WorkingCalendar:
    """The calendar with closures from the database, cached for a minute per process."""
    global _closures_cache
    now = time.monotonic()
    cached = _closures_cache
    if cached is None or now - cached[0] > _CACHE_SECONDS:
        closures = _load_closures()
        # The same closures keep the same calendar (and what it has worked out).
        calendar = cached[1] if cached is not None and cached[1].closures == closures else WorkingCalendar(closures)
        cached = (now, calendar)
        _closures_cache = cached
    return cached[1]


def forget_closures() -> None:
    """Drop the cached closures (after an edit, and between tests)."""
    global _closures_cache
    _closures_cache = None


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after ``day`` on the company calendar."""
    return current_calendar().add_working_days(day, n)


# A month as people type it; reports and entries make sense from the year the manual's process began
# until a little ahead.
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MIN_YEAR, MAX_YEAR = 2000, 2100


def month_start(text, *, field: str = "month") -> date:
    """``2026-10`` -> 2026-10-01; anything else is a clear 422 on ``field``, naming what was given."""
    value = text.strip() if isinstance(text, str) else ""
    match = _MONTH_RE.match(value)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and MIN_YEAR <= year <= MAX_YEAR:
            return date(year, month, 1)
    message = str(_("Give the month as YYYY-MM, e.g. 2026-10 (got %(v)s).", v=(str(text)[:20] if text else "—")))
    raise ValidationFailed(message, errors={field: [message]})


def month_before(day: date) -> date:
    """The first day of the month before ``day``'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def last_working_day_before(day: date) -> date:
    """The latest working day before ``day`` on the company calendar.

    A day's next working day is before ``day`` exactly when that day is before this one:
    the bound a query can use for "due the next working day, and late today".
    """
    calendar = current_calendar()
    earlier = day - timedelta(days=1)
    while not calendar.is_working_day(earlier):
        earlier -= timedelta(days=1)
    return earlier


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return current_calendar().working_days_between(start, end)


def is_working_day(day: date) -> bool:
    return current_calendar().is_working_day(day)


class _WorkingDaysBack:
    """Working days after a day up to and including ``today``, counted back from ``today`` once.

    The overdue lists ask this for many items, some a year late: a walk per item
    (:func:`working_days_between`) took a minute at a million repair units; one walk
    back to the oldest due day is a dictionary lookup each.
    """

    def __init__(self, calendar, today: date):
        self.calendar, self.today = calendar, today
        self.after = {today: 0}
        self.earliest, self.count = today, 0
        self.lock = threading.Lock()

    def since(self, day: date) -> int:
        with self.lock:
            while self.earliest > day:
                if self.calendar.is_working_day(self.earliest):
                    self.count += 1
                self.earliest -= timedelta(days=1)
                self.after[self.earliest] = self.count
            return self.after[day]


_back: _WorkingDaysBack | None = None


def working_days_since(day: date, today: date) -> int:
    """:func:`working_days_between` ``(day, today)`` for a ``day`` on or before ``today``, from one
    walk back per calendar and ``today`` (the lateness of overdue items)."""
    global _back
    calendar = current_calendar()  # a new object whenever the closures change
    back = _back
    if back is None or back.calendar is not calendar or back.today != today:
        back = _back = _WorkingDaysBack(calendar, today)
    return back.since(day)


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware timestamp."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(SHANGHAI).date()


def local_today() -> date:
    return datetime.now(SHANGHAI).date()


def closures() -> list:
    return list(db.session.scalars(select(Closure).order_by(Closure.day)))


def add_closure(day: date, reason: str) -> object:
    """Close the company on ``day``."""
    if day is None:
        raise ValidationFailed(str(_("A date is required.")), errors={"day": [str(_("Required."))]})
    if db.session.scalar(select(Closure.id).where(Closure.day == day)) is not None:
        raise _already_closed(day)
    closure = Closure(day=day, reason=(reason or "").strip()[:200])
    try:
        # One closure per day: the unique day decides between two requests adding it at once.
        with db.session.begin_nested():
            db.session.add(closure)
    except IntegrityError:
        raise _already_closed(day) from None
    forget_closures()
    return closure


def _already_closed(day: date) -> Conflict:
    return Conflict(str(_("%(day)s is already a closure.", day=day.isoformat())),
                    errors={"day": [str(_("Already closed."))]})


def remove_closure(closure_id: int) -> None:
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        raise NotFound(str(_("No such closure.")))
    # Hold the row, then look again: of two removals at the same moment the second waits
    # here, finds the row gone and is told so. (Deleted through the ORM for the audit trail.)
    lock_row(Closure, closure_id)
    if db.session.scalar(select(Closure.id).where(Closure.id == closure_id)) is None:
        raise Conflict(str(_("This closure is already removed.")), code="already_removed")
    db.session.delete(closure)
    db.session.flush()
    forget_closures()


def describe_day(day: date, calendar: WorkingCalendar | None = None, closure_reasons: dict | None = None,
                 language: str | None = None) -> dict:
    """What kind of day ``day`` is: working, makeup (调休 working weekend day), weekend, holiday or closure.

    Returns ``{"day", "working", "kind", "name"}``; ``name`` is the holiday's
    or the closure's reason, in ``language`` ("en_US" or "zh_CN") when given.
    """
    cal = calendar or current_calendar()
    official = cal.official
    name = ""
    if day in cal.closures:
        kind = "closure"
        name = (closure_reasons or {}).get(day, "")
    else:
        with _lock:
            holiday = official.get(day)
            makeup = day in official.weekend_workdays
        if holiday:
            kind = "holiday"
            name = _holiday_name(day, language) or holiday
        elif makeup:
            kind = "makeup"
        elif day.weekday() >= 5:
            kind = "weekend"
        else:
            kind = "working"
    return {"day": day, "working": kind in ("working", "makeup"), "kind": kind, "name": name}


_named: dict[str, holidays.HolidayBase] = {}


def _holiday_name(day: date, language: str | None) -> str | None:
    if not language:
        return None
    with _lock:
        cal = _named.get(language)
        if cal is None:
            cal = _named[language] = holidays.China(years=range(2011, date.today().year + 3), language=language)
        return cal.get(day)


def update_closure(closure_id: int, reason: str) -> object:
    """Change the reason given for a closure."""
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        raise NotFound(str(_("No such closure.")))
    closure.reason = (reason or "").strip()[:200]
    db.session.flush()
    return closure
