"""Working-day calendar (mainland China official schedule + company closures)."""
from core.calendar.service import (  # noqa: F401
    MAX_YEAR,
    MIN_YEAR,
    SHANGHAI,
    WorkingCalendar,
    add_working_days,
    current_calendar,
    is_working_day,
    last_working_day_before,
    local_day,
    local_today,
    month_before,
    month_start,
    working_days_between,
    working_days_since,
)
