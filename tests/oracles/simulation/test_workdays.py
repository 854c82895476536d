"""China's working calendar as the load model uses it (State Council notices for 2024–2026)."""

from __future__ import annotations

from datetime import date

from oracles.simulation.workdays import DayType, day_type, has_official_schedule, local_date, local_midnight, working_days


def test_official_years_have_the_published_number_of_working_days() -> None:
    # weekdays minus statutory holidays: 262 − 11 (2024); 261 − 13 (2025, 2026 after the 2024 reform)
    assert [working_days(y) for y in (2024, 2025, 2026)] == [251, 248, 248]


def test_make_up_sundays_are_working_days_and_golden_week_is_a_holiday() -> None:
    assert date(2025, 1, 26).weekday() == 6 and day_type(date(2025, 1, 26)) == DayType.WORKDAY
    assert day_type(date(2026, 2, 14)) == DayType.WORKDAY  # a Saturday before the Spring Festival
    assert {day_type(date(2025, 10, d)) for d in range(1, 9)} == {DayType.HOLIDAY}
    assert day_type(date(2026, 2, 17)) == DayType.HOLIDAY  # Spring Festival 2026
    assert day_type(date(2025, 3, 8)) == DayType.WEEKEND and day_type(date(2025, 3, 10)) == DayType.WORKDAY


def test_a_year_without_a_published_schedule_falls_back_to_fixed_holidays() -> None:
    assert not has_official_schedule(2031)
    assert day_type(date(2031, 10, 3)) == DayType.HOLIDAY and day_type(date(2031, 1, 1)) == DayType.HOLIDAY


def test_days_are_counted_in_china_standard_time() -> None:
    midnight = local_midnight(date(2025, 7, 1))
    assert midnight == 1751299200  # 2025-06-30T16:00:00Z
    assert local_date(midnight) == date(2025, 7, 1) and local_date(midnight - 1) == date(2025, 6, 30)
