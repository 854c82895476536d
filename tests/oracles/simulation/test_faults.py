"""Each injected fault changes a device's samples the way the real fault would, and nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from oracles.simulation.compound import xihuamen
from oracles.simulation.faults import (
    ClockDrift,
    CounterReset,
    FaultError,
    Leak,
    Offline,
    OverCurrent,
    Spike,
    Stuck,
    apply_faults,
    parse_fault,
)
from oracles.simulation.series import initial_state, simulate_device
from oracles.simulation.workdays import local_midnight

START = local_midnight(date(2026, 3, 2))  # a Monday
HOUR = 3600
COMPOUND = xihuamen()
ELECTRIC = "E-A-office_plug-03"
WATER = "W-A-domestic_water-02"
LIGHTING = "L-A-lighting-03"


def _series(name: str, hours: int = 48, interval: int = 900):
    device = COMPOUND.device(name)
    return simulate_device(device, initial_state(device, "t", START), START + hours * HOUR, interval, "t")


def _steps(s) -> list[int]:
    return [b - a for a, b in zip([s.initial.value, *s.values], s.values)]


def test_offline_drops_the_window_and_leaves_a_sequence_gap() -> None:
    s = _series(ELECTRIC)
    out = Offline(ELECTRIC, START + 5 * HOUR, START + 11 * HOUR).apply(s)
    assert len(out) == len(s) - 24
    assert not any(START + 5 * HOUR <= slot < START + 11 * HOUR for slot in out.slots)
    gap = out.sequences.index(19)  # stamped 04:45, the last before the window; 05:00 … 10:45 are lost
    assert out.sequences[gap + 1] - out.sequences[gap] == 25 and out.final == s.final


def test_clock_drift_shifts_timestamps_increasingly_but_not_values() -> None:
    s = _series(ELECTRIC)
    out = ClockDrift(ELECTRIC, START + 24 * HOUR, seconds_per_day=120).apply(s)
    offsets = [t - slot for t, slot in zip(out.timestamps, out.slots)]
    assert offsets[:96] == [0] * 96 and offsets[-1] == 120 and offsets == sorted(offsets)
    assert out.values == s.values and out.sequences == s.sequences


def test_a_spike_is_one_absurd_reading_then_back_to_normal() -> None:
    s = _series(ELECTRIC)
    out = Spike(ELECTRIC, START + 30 * HOUR).apply(s)
    changed = [i for i, (a, b) in enumerate(zip(s.values, out.values)) if a != b]
    assert len(changed) == 1
    i = changed[0]
    rating = COMPOUND.device(ELECTRIC).rating
    assert (out.values[i] - s.values[i]) / 1000 == pytest.approx(3 * rating * 0.25, abs=0.001)  # 3 × a 15-min maximum
    assert _steps(out)[i + 1] < 0  # the counter "falls back": a plausibility check can see it
    levels = Spike(LIGHTING, START + 30 * HOUR, factor=10).apply(_series(LIGHTING))
    assert sum(a != b for a, b in zip(levels.values, _series(LIGHTING).values)) == 1


def test_a_stuck_register_repeats_then_jumps_to_the_true_value() -> None:
    s = _series(ELECTRIC)
    out = Stuck(ELECTRIC, START + 10 * HOUR, START + 14 * HOUR).apply(s)
    inside = [v for slot, v in zip(out.slots, out.values) if START + 10 * HOUR <= slot < START + 14 * HOUR]
    assert len(set(inside)) == 1 and len(inside) == 16
    assert out.values[-1] == s.values[-1]


def test_a_counter_reset_restarts_from_zero_and_keeps_counting() -> None:
    s = _series(ELECTRIC)
    out = CounterReset(ELECTRIC, START + 12 * HOUR).apply(s)
    i = out.slots.index(START + 12 * HOUR)
    assert out.values[:i] == s.values[:i]
    assert 0 < out.values[i] < s.values[i] - s.values[i - 1] + 1
    assert _steps(out)[i + 1:] == _steps(s)[i + 1:]  # consumption continues unchanged after the reset


def test_a_leak_adds_steady_flow_that_dominates_the_night() -> None:
    s = _series(WATER)
    leak = Leak(WATER, START + 20 * HOUR, flow=0.5)
    out = leak.apply(s)
    night = [i for i, slot in enumerate(s.slots) if START + 25 * HOUR < slot <= START + 29 * HOUR]  # 01:00–05:00
    normal = sum(_steps(s)[i] for i in night)
    leaking = sum(_steps(out)[i] for i in night)
    assert leaking - normal == pytest.approx(0.5 * 4 * 1000, abs=2)  # 0.5 m³/h over four hours, in litres
    assert leaking > 5 * normal  # at night the leak is most of what the meter counts


def test_over_current_puts_a_feeder_above_its_breaker_rating() -> None:
    s = _series(LIGHTING)
    device = COMPOUND.device(LIGHTING)
    out = OverCurrent(LIGHTING, START + 19 * HOUR, START + 20 * HOUR, factor=1.4).apply(s)
    window = [v for slot, v in zip(out.slots, out.values) if START + 19 * HOUR <= slot < START + 20 * HOUR]
    assert window and all(v / 1000 >= 1.4 * device.rating for v in window)
    assert max(s.values) / 1000 < device.rating  # never above the rating without the fault


def test_over_current_on_an_energy_meter_means_energy_at_that_multiple_of_rated_power() -> None:
    s = _series(ELECTRIC, interval=HOUR)
    device = COMPOUND.device(ELECTRIC)
    out = OverCurrent(ELECTRIC, START + 2 * HOUR, START + 4 * HOUR, factor=1.5).apply(s)
    steps = _steps(out)
    assert steps[2] / 1000 == pytest.approx(1.5 * device.rating, rel=1e-3)
    assert steps[3] / 1000 == pytest.approx(1.5 * device.rating, rel=1e-3)
    assert steps[4:] == _steps(s)[4:]


def test_faults_compose_in_order() -> None:
    series = {ELECTRIC: _series(ELECTRIC), WATER: _series(WATER)}
    out = apply_faults(series, [Offline(ELECTRIC, START, START + HOUR), Leak(WATER, START), Spike(WATER, START + 10 * HOUR)])
    assert len(out[ELECTRIC]) == len(series[ELECTRIC]) - 3  # 00:15, 00:30, 00:45
    assert out[WATER].values[-1] > series[WATER].values[-1]
    assert series[ELECTRIC].slots[0] == START + 900  # the inputs are untouched


def test_fault_specs_parse_from_the_command_line_form() -> None:
    assert parse_fault(f"offline:{ELECTRIC}@5+6", START) == Offline(ELECTRIC, START + 5 * HOUR, START + 11 * HOUR)
    assert parse_fault(f"leak:{WATER}@20,flow=0.8", START) == Leak(WATER, START + 20 * HOUR, flow=0.8)
    assert parse_fault(f"drift:{ELECTRIC}@0,seconds_per_day=-30", START) == ClockDrift(ELECTRIC, START, -30.0)
    assert parse_fault(f"reset:{ELECTRIC}@1.5", START) == CounterReset(ELECTRIC, START + 5400)


@pytest.mark.parametrize(("spec", "message"), [
    ("melt:E@1", "unknown fault kind 'melt'"),
    (f"offline:{ELECTRIC}", "expected KIND:DEVICE@HOUR"),
    (f"spike:{ELECTRIC}@1+2", "has no duration"),
    (f"leak:{WATER}@1,pressure=3", "has no option 'pressure'"),
    (f"stuck:{ELECTRIC}@soon", "could not convert"),
])
def test_bad_fault_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        parse_fault(spec, START)


def test_a_fault_on_the_wrong_kind_of_device_is_refused() -> None:
    with pytest.raises(FaultError, match="a leak applies to water meters"):
        Leak(ELECTRIC, START).apply(_series(ELECTRIC))
    with pytest.raises(FaultError, match="cumulative meters"):
        CounterReset(LIGHTING, START).apply(_series(LIGHTING))
    with pytest.raises(FaultError, match="no device named 'E-nowhere'"):
        apply_faults({}, [Offline("E-nowhere", START)])
