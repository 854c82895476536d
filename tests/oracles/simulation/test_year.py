"""A simulated year reproduces the seed's annual figures, with the shape of a real office compound."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime

import pytest

from ledger.encoding import DeviceKind, Unit
from oracles.simulation.compound import ANNUAL_ELECTRICITY_KWH, ANNUAL_PV_KWH, ANNUAL_WATER_M3, xihuamen
from oracles.simulation.series import initial_state, simulate_device
from oracles.simulation.workdays import CHINA_STANDARD_TIME, local_midnight

SEED = "xihuamen"


def _year_totals(year: int, interval: int) -> tuple[dict[str, float], float]:
    compound = xihuamen()
    start, end = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    totals: dict[str, float] = defaultdict(float)
    began = time.perf_counter()
    for device in compound.metering_points:
        series = simulate_device(device, initial_state(device, SEED, start), end, interval, SEED)
        assert len(series) == (end - start) // interval
        key = "pv" if device.kind == DeviceKind.PV_GENERATION_METER else device.unit.name
        totals[key] += series.total()
    return totals, time.perf_counter() - began


@pytest.mark.parametrize(("year", "interval"), [(2025, 900), (2026, 3600)])
def test_a_simulated_year_sums_to_the_seed_within_two_percent(year: int, interval: int) -> None:
    totals, seconds = _year_totals(year, interval)
    print(f"\n{year} at {interval} s, 150 points in {seconds:.2f} s: electricity {totals['KWH']:,.1f} kWh "
          f"(seed {ANNUAL_ELECTRICITY_KWH:,}), water {totals['M3']:,.1f} m³ (seed {ANNUAL_WATER_M3:,}), "
          f"PV {totals['pv']:,.1f} kWh (seed {ANNUAL_PV_KWH:,})")
    assert totals["KWH"] == pytest.approx(float(ANNUAL_ELECTRICITY_KWH), rel=0.02)
    assert totals["M3"] == pytest.approx(float(ANNUAL_WATER_M3), rel=0.02)
    assert totals["pv"] == pytest.approx(float(ANNUAL_PV_KWH), rel=0.02)


@pytest.fixture(scope="module")
def hourly_2025() -> dict[tuple[date, int], float]:
    """Compound electricity (kWh) per local hour of 2025."""
    compound = xihuamen()
    start, end = local_midnight(date(2025, 1, 1)), local_midnight(date(2026, 1, 1))
    hours: dict[tuple[date, int], float] = defaultdict(float)
    for device in compound.metering_points:
        if device.unit != Unit.KWH or device.kind == DeviceKind.PV_GENERATION_METER:
            continue
        series = simulate_device(device, initial_state(device, SEED, start), end, 3600, SEED)
        previous = series.initial.value
        for slot, value in zip(series.slots, series.values):
            at = datetime.fromtimestamp(slot - 3600, CHINA_STANDARD_TIME)
            hours[(at.date(), at.hour)] += (value - previous) / 1000
            previous = value
    return hours


def _day(hours, day: date) -> list[float]:
    return [hours[(day, h)] for h in range(24)]


def test_working_days_have_office_hours_and_a_lunch_dip(hourly_2025) -> None:
    day = _day(hourly_2025, date(2025, 4, 16))  # a Wednesday in spring, little air-conditioning
    assert min(day[10], day[15]) > 2.5 * day[3]  # office hours well above the night base
    assert day[12] < day[10] and day[12] < day[15]  # the lunch break


def test_weekends_and_public_holidays_use_far_less_than_working_days(hourly_2025) -> None:
    workday = sum(_day(hourly_2025, date(2025, 9, 17)))
    saturday = sum(_day(hourly_2025, date(2025, 9, 20)))
    golden_week = sum(_day(hourly_2025, date(2025, 10, 3)))
    assert golden_week < saturday < 0.5 * workday


def test_summer_air_conditioning_outweighs_spring_and_winter(hourly_2025) -> None:
    month = defaultdict(float)
    for (day, _), kwh in hourly_2025.items():
        month[day.month] += kwh
    assert month[7] > 2 * month[4]  # Chengdu's hot, humid July against a mild April
    assert month[1] > month[4]  # heat-pump heating in January


def test_pv_generates_by_daylight_only() -> None:
    compound = xihuamen()
    pv = next(d for d in compound.devices if d.kind == DeviceKind.PV_GENERATION_METER)
    start = local_midnight(date(2025, 6, 21))
    series = simulate_device(pv, initial_state(pv, SEED, start), start + 86400, 3600, SEED)
    steps = [b - a for a, b in zip([series.initial.value, *series.values], series.values)]
    assert all(s == 0 for s in steps[:5] + steps[21:])  # 00:00–05:00 and 21:00–24:00 local
    assert 11 <= steps.index(max(steps)) <= 15  # solar noon is near 13:00 on Chengdu's (Beijing) clock
