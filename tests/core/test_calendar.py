"""The working-day calendar follows the official 2026 schedule."""
from datetime import date

import pytest

from core.calendar.service import WorkingCalendar


@pytest.fixture()
def cal():
    return WorkingCalendar()


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),   # National Day week
        (date(2026, 2, 13), 2, date(2026, 2, 24)),   # Saturday 2-14 is a make-up day, then Spring Festival
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday make-up working day
        (date(2026, 11, 20), 2, date(2026, 11, 24)),  # an ordinary weekend
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
        (date(2026, 12, 30), 1, date(2026, 12, 31)),
    ],
)
def test_add_working_days(cal, start, n, expected):
    assert cal.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 10, 10), True),   # make-up Saturday
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 2, 14), True),    # make-up Saturday before Spring Festival
        (date(2026, 2, 17), False),
        (date(2026, 1, 4), True),     # make-up Sunday after New Year
    ],
)
def test_is_working_day(cal, day, working):
    assert cal.is_working_day(day) is working


def test_working_days_between_is_inverse_of_add(cal):
    start = date(2026, 9, 25)
    for n in range(0, 15):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n
    assert cal.working_days_between(date(2026, 10, 8), date(2026, 9, 30)) == -1


def test_company_closure_moves_deadlines(ctx):
    from core.calendar import service
    from core.extensions import db

    assert service.add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 24)
    service.add_closure(date(2026, 11, 24), "stocktaking")
    db.session.commit()
    assert service.add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 25)
    assert service.is_working_day(date(2026, 11, 24)) is False


def test_negative_count_is_refused(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 1, 5), -1)

