"""A simulated retrofit lowers only the lighting loads, only from its date, by exactly its share.

The simulation draws the same noise with or without a retrofit, so the comparison is sample by sample:
before the date and for every other end use the readings are identical; after it, a lighting meter's
consumption is the share lower to its last digit (1 Wh: counters are rounded once, at the reading).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from api.explorer.device_categories import PROFILE_END_USE, EndUse
from oracles.simulation import CompoundFleet, xihuamen
from oracles.simulation.profiles import (
    LED_LIGHTING_SHARE,
    LIGHTING_PROFILES,
    PROFILES,
    Retrofit,
    day_shape,
    hourly_shape,
    led_lighting_retrofit,
)
from oracles.simulation.series import initial_state, simulate_device
from oracles.simulation.workdays import local_midnight
from zcl.main import app

SEED = "xihuamen"
EFFECTIVE = date(2022, 7, 1)
START, END = local_midnight(date(2022, 6, 27)), local_midnight(date(2022, 7, 5))
RETROFIT = led_lighting_retrofit(EFFECTIVE)


def test_the_led_retrofit_is_the_seeds_quarter_on_every_lighting_profile() -> None:
    assert LED_LIGHTING_SHARE == Decimal("0.25") and RETROFIT.factor == 0.75
    assert RETROFIT.profiles == LIGHTING_PROFILES == {p for p, use in PROFILE_END_USE.items() if use is EndUse.LIGHTING}


def test_the_profile_is_lowered_by_the_share_from_the_date_only() -> None:
    for profile in PROFILES:
        before = hourly_shape(profile, date(2022, 6, 30), 1, (RETROFIT,))
        after = hourly_shape(profile, EFFECTIVE, 2, (RETROFIT,))
        assert before == list(day_shape(profile, date(2022, 6, 30)))
        plain = list(day_shape(profile, EFFECTIVE)) + list(day_shape(profile, date(2022, 7, 2)))
        assert after == ([v * 0.75 for v in plain] if profile in LIGHTING_PROFILES else plain)


def test_the_default_compound_has_no_retrofit_and_the_same_devices() -> None:
    plain, retrofitted = xihuamen(SEED.encode()), xihuamen(SEED.encode(), [RETROFIT])
    assert plain.retrofits == () and all(d.retrofits == () for d in plain.devices)
    assert plain == xihuamen(SEED.encode(), ())
    assert retrofitted.retrofits == (RETROFIT,)
    assert [d.name for d in plain.devices] == [d.name for d in retrofitted.devices]
    assert ({n: i.device_id for n, i in CompoundFleet(plain, SEED).identities.items()}
            == {n: i.device_id for n, i in CompoundFleet(retrofitted, SEED).identities.items()})
    lowered = [d for d in retrofitted.devices if d.retrofits]
    assert {d.profile for d in lowered} == LIGHTING_PROFILES
    # 30 office, 4 garage and 2 outdoor lighting meters, and the 20 lighting controllers (feeder current)
    assert len(lowered) == 56 and sum(1 for d in lowered if not d.cumulative) == 20


@pytest.mark.parametrize("interval", [900, 3600])
def test_only_lighting_drops_and_only_after_the_date_by_exactly_the_share(interval: int) -> None:
    plain, retrofitted = xihuamen(SEED.encode()), xihuamen(SEED.encode(), [RETROFIT])
    switch = local_midnight(EFFECTIVE)
    lighting_before = lighting_after = Decimal(0)
    for before_device, device in zip(plain.devices, retrofitted.devices):
        state = initial_state(device, SEED, START)
        base = simulate_device(before_device, state, END, interval, SEED)
        changed = simulate_device(device, state, END, interval, SEED)
        assert changed.slots == base.slots and changed.sequences == base.sequences
        if device.profile not in LIGHTING_PROFILES:
            assert changed.values == base.values, device.name
            continue
        cut = base.slots.index(switch)  # the reading at midnight closes 30 June's last hour
        assert changed.values[:cut + 1] == base.values[:cut + 1], device.name
        if device.cumulative:
            used = changed.values[-1] - changed.values[cut]
            would = base.values[-1] - base.values[cut]
            assert abs(used - Decimal(would) * Decimal("0.75")) <= 1, device.name  # within the counter's 1 Wh
            lighting_before += would
            lighting_after += used
        else:
            for level, full in zip(changed.values[cut + 1:], base.values[cut + 1:]):
                assert abs(level - Decimal(full) * Decimal("0.75")) <= 1, device.name  # within 1 mA
    assert lighting_before > 0
    assert abs(lighting_after - lighting_before * Decimal("0.75")) <= 36  # 36 lighting meters, 1 Wh each


@pytest.mark.parametrize(("share", "profiles", "message"), [
    (Decimal(0), LIGHTING_PROFILES, "between 0 and 1"), (Decimal(1), LIGHTING_PROFILES, "between 0 and 1"),
    (Decimal("0.25"), frozenset({"disco_lighting"}), "no load profile named 'disco_lighting'"),
])
def test_a_retrofit_must_make_sense(share: Decimal, profiles: frozenset[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Retrofit("led-lighting", EFFECTIVE, share, profiles)


@pytest.mark.parametrize("value", ["2022-13-01", "2022-07-01:1", "2022-07-01:0", "2022-07-01:quarter", "July"])
def test_zcl_simulate_refuses_a_bad_led_retrofit_with_exit_2(value: str) -> None:
    result = CliRunner().invoke(app, ["simulate", "xihuamen", "--institution", "1", "--led-retrofit", value])
    assert result.exit_code == 2, result.output
    assert "--led-retrofit must be DATE[:SHARE]" in result.output


def test_zcl_simulate_documents_the_led_retrofit() -> None:
    result = CliRunner().invoke(app, ["simulate", "xihuamen", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--led-retrofit" in result.output and "SIMULATED" in result.output
