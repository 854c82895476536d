"""The compound's inventory matches the seed's counts and annual figures."""

from __future__ import annotations

from collections import Counter

import pytest

from ledger.encoding import DeviceKind, Quantity, Unit
from oracles.simulation.compound import ANNUAL_ELECTRICITY_KWH, ANNUAL_PV_KWH, ANNUAL_WATER_M3, PEOPLE, xihuamen


@pytest.fixture(scope="module")
def compound():
    return xihuamen()


def test_seed_counts_137_electricity_13_water_6_collectors_20_lighting_controllers(compound) -> None:
    kinds = Counter(d.kind for d in compound.devices)
    assert kinds[DeviceKind.ELECTRICITY_METER] + kinds[DeviceKind.PV_GENERATION_METER] == 137
    assert kinds[DeviceKind.PV_GENERATION_METER] == 1
    assert kinds[DeviceKind.WATER_METER] == 13
    assert len(compound.lighting_controllers) == 20 and len(compound.metering_points) == 150
    assert len(compound.collectors) == 6
    assert compound.people == PEOPLE == 3835 and str(compound.floor_area_m2) == "93823.09"


def test_device_names_and_modbus_unit_ids_are_unique(compound) -> None:
    assert len({d.name for d in compound.devices}) == len(compound.devices)
    for devices in compound.collectors.values():
        ids = [d.unit_id for d in devices]
        assert len(set(ids)) == len(ids) and all(1 <= i <= 247 for i in ids)


def test_annual_budgets_partition_the_seed_totals(compound) -> None:
    consumption = [d for d in compound.devices if d.quantity == Quantity.ACTIVE_ENERGY_IMPORT]
    assert len(consumption) == 136
    assert sum(d.annual for d in consumption) == pytest.approx(float(ANNUAL_ELECTRICITY_KWH), rel=1e-9)
    water = [d for d in compound.devices if d.unit == Unit.M3]
    assert sum(d.annual for d in water) == pytest.approx(float(ANNUAL_WATER_M3), rel=1e-9)
    pv = [d for d in compound.devices if d.kind == DeviceKind.PV_GENERATION_METER]
    assert pv[0].annual == pytest.approx(float(ANNUAL_PV_KWH))


def test_seed_line_anchors_split_ac_and_elevators(compound) -> None:
    def total(profile: str) -> float:
        return sum(d.annual for d in compound.devices if d.profile == profile and d.cumulative)

    assert total("split_ac") == pytest.approx(717 * 0.735 * 8 * 300)  # the seed's split-AC line
    assert total("elevator") == pytest.approx(40 * 300 * 14)  # 14 elevators, 40 kWh a working day
    assert sum(1 for d in compound.devices if d.profile == "elevator") == 14


def test_every_device_has_a_rating_above_its_peak(compound) -> None:
    for d in compound.metering_points:
        assert d.rating > d.peak_hourly > 0, d.name
    for c in compound.lighting_controllers:
        assert 6 <= len(c.circuits) <= 12 and all(x.rated_amperes == 16 for x in c.circuits)
        assert c.rating >= 1.25 * c.full_load and c.quantity == Quantity.CURRENT and c.unit == Unit.AMPERE


def test_the_seed_changes_budgets_but_not_totals() -> None:
    a, b = xihuamen(b"one"), xihuamen(b"two")
    assert [d.annual for d in a.devices] != [d.annual for d in b.devices]
    assert sum(d.annual for d in a.metering_points) == pytest.approx(sum(d.annual for d in b.metering_points))
