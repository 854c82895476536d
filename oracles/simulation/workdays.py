"""Which days the Xihuamen offices work: weekends, China's public holidays and make-up working days.

China moves working days around its public holidays (调休): a Sunday before a long holiday can be a
working day. The State Council publishes the schedule each November for the next year; the tables
below copy those notices (国务院办公厅关于2024/2025/2026年部分节假日安排的通知). For a year not in the
table the calendar falls back to weekends plus the fixed-date holidays (1 Jan, 1–5 May, 1–7 Oct)
and says so through `has_official_schedule`.

All dates are local dates in China Standard Time (UTC+8, no daylight saving).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import IntEnum

from ledger.calendar import CHINA_STANDARD_TIME, local_day, midnight  # noqa: F401  (CHINA_STANDARD_TIME re-exported)



class DayType(IntEnum):
    WORKDAY = 0
    WEEKEND = 1  # Saturday or Sunday that is not a make-up working day
    HOLIDAY = 2  # a public-holiday day off (including the weekend days folded into it)


def _span(year: int, month: int, first: int, last: int) -> list[date]:
    return [date(year, month, d) for d in range(first, last + 1)]


def _days(year: int, *month_days: tuple[int, int]) -> list[date]:
    return [date(year, m, d) for m, d in month_days]


# year → (days off for public holidays, make-up working days that fall on a weekend)
_SCHEDULES: dict[int, tuple[frozenset[date], frozenset[date]]] = {
    2024: (
        frozenset([date(2024, 1, 1), *_span(2024, 2, 10, 17), *_span(2024, 4, 4, 6), *_span(2024, 5, 1, 5),
                   date(2024, 6, 10), *_span(2024, 9, 15, 17), *_span(2024, 10, 1, 7)]),
        frozenset(_days(2024, (2, 4), (2, 18), (4, 7), (4, 28), (5, 11), (9, 14), (9, 29), (10, 12))),
    ),
    2025: (
        frozenset([date(2025, 1, 1), *_span(2025, 1, 28, 31), *_span(2025, 2, 1, 4), *_span(2025, 4, 4, 6),
                   *_span(2025, 5, 1, 5), date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2),
                   *_span(2025, 10, 1, 8)]),
        frozenset(_days(2025, (1, 26), (2, 8), (4, 27), (9, 28), (10, 11))),
    ),
    2026: (
        frozenset([*_span(2026, 1, 1, 3), *_span(2026, 2, 15, 23), *_span(2026, 4, 4, 6), *_span(2026, 5, 1, 5),
                   *_span(2026, 6, 19, 21), *_span(2026, 9, 25, 27), *_span(2026, 10, 1, 7)]),
        frozenset(_days(2026, (1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10))),
    ),
}


def has_official_schedule(year: int) -> bool:
    return year in _SCHEDULES


def _fallback(year: int) -> tuple[frozenset[date], frozenset[date]]:
    return frozenset([date(year, 1, 1), *_span(year, 5, 1, 5), *_span(year, 10, 1, 7)]), frozenset()


def day_type(day: date) -> DayType:
    holidays, makeup = _SCHEDULES.get(day.year) or _fallback(day.year)
    if day in holidays:
        return DayType.HOLIDAY
    if day in makeup:
        return DayType.WORKDAY
    return DayType.WEEKEND if day.weekday() >= 5 else DayType.WORKDAY


local_date = local_day  # the simulator's names for the ledger's calendar (ledger/calendar.py)
local_midnight = midnight


def working_days(year: int) -> int:
    first = date(year, 1, 1)
    count = (date(year + 1, 1, 1) - first).days
    return sum(day_type(first + timedelta(d)) == DayType.WORKDAY for d in range(count))
