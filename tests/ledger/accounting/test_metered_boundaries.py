"""Metered activity through a boundary tree: shared meters split by area or occupancy, totals the sum of parts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.boundaries import (
    AllocationBasis, Boundary, BoundaryKind, BoundaryTree, meter_key, metered_boundary_totals,
)
from ledger.accounting.errors import AllocationError, UnassignedMeter
from ledger.accounting.factors import Period
from ledger.accounting.metered import MeterSeries, metered_activity, period_bounds
from ledger.accounting.quantities import Quantity
from ledger.encoding import Quantity as Measured, Unit

DAY = Period(date(2022, 3, 1), date(2022, 3, 1))
START, END = period_bounds(DAY)
KIND = BoundaryKind
ELECTRICITY = (Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH)
WATER = (Measured.WATER_VOLUME, Unit.M3)
PV = (Measured.ACTIVE_ENERGY_EXPORT, Unit.KWH)


def _device(n: int) -> bytes:
    return bytes([n]) * 32


def _activity(meters: dict[int, tuple[tuple[Measured, Unit], int]]):
    """A day of hourly readings per device; `mantissa` thousandths consumed over the day, evenly."""
    series = {}
    for n, ((quantity, unit), mantissa) in meters.items():
        meter = MeterSeries(quantity, unit, -3)
        hours = range(0, 25)
        meter.extend([h + 1 for h in hours], [START + h * 3600 for h in hours],
                     [10**6 + mantissa * h // 24 for h in hours], unit, -3)
        series[_device(n)] = meter
    return metered_activity(4, DAY, series, [bytes(32)])


def _tree(leaf_occupants=(150, 210, 900), leaf_areas=("5000", "5000", "20000.5")) -> BoundaryTree:
    return BoundaryTree([
        Boundary("inst", KIND.INSTITUTION, "institution"),
        Boundary("b1", KIND.BUILDING, "building 1", "inst"),
        Boundary("b1f1", KIND.FLOOR, "floor 1", "b1", Quantity(leaf_areas[0], "m2"), Quantity(leaf_occupants[0], "person")),
        Boundary("b1f2", KIND.FLOOR, "floor 2", "b1", Quantity(leaf_areas[1], "m2"), Quantity(leaf_occupants[1], "person")),
        Boundary("b5", KIND.BUILDING, "building 5", "inst", Quantity(leaf_areas[2], "m2"), Quantity(leaf_occupants[2], "person")),
    ])


def test_a_shared_meter_is_allocated_exactly_and_the_parts_add_up() -> None:
    activity = _activity({1: (ELECTRICITY, 80_000_250), 2: (ELECTRICITY, 10_000_001), 3: (WATER, 62_981), 4: (PV, 4_000)})
    tree = _tree()
    tree.place_meter(meter_key(_device(1)), "electricity.grid", "b5")
    tree.share_meter(meter_key(_device(2)), "electricity.grid", ["b1f1", "b1f2"], AllocationBasis.AREA)
    tree.share_meter(meter_key(_device(3)), "water.supply", ["b1f1", "b1f2", "b5"], AllocationBasis.OCCUPANCY)
    tree.place_meter(meter_key(_device(4)), "electricity.generated", "b5")
    totals = metered_boundary_totals(tree, activity)
    # 10,000.001 kWh by equal areas: the odd thousandth goes to the first key of the tie
    assert totals.allocations[meter_key(_device(2))] == {"b1f1": Quantity("5000.001", "kWh"),
                                                           "b1f2": Quantity("5000.000", "kWh")}
    # 62.981 m³ by 150 / 210 / 900 people: 7.497 6…, 10.496 6…, 44.986 4… → largest remainders take the units
    assert totals.allocations[meter_key(_device(3))] == {"b1f1": Quantity("7.498", "m3"), "b1f2": Quantity("10.497", "m3"),
                                                           "b5": Quantity("44.986", "m3")}
    assert totals.total["b1"] == {"electricity.grid": Quantity("10000.001", "kWh"), "water.supply": Quantity("17.995", "m3")}
    assert totals.total["b5"]["electricity.grid"] == Quantity("80000.250", "kWh")
    assert totals.total["inst"] == activity.totals == {
        "electricity.grid": Quantity("90000.251", "kWh"), "water.supply": Quantity("62.981", "m3"),
        "electricity.generated": Quantity("4.000", "kWh")}


def test_unplaced_mismatched_and_silent_meters_are_named() -> None:
    activity = _activity({1: (ELECTRICITY, 1_000), 2: (WATER, 500)})
    tree = _tree()
    tree.place_meter(meter_key(_device(1)), "electricity.grid", "b5")
    with pytest.raises(UnassignedMeter, match=meter_key(_device(2))):
        metered_boundary_totals(tree, activity)
    tree.place_meter(meter_key(_device(2)), "electricity.grid", "b1f1")
    with pytest.raises(AllocationError, match="measured water.supply, but is placed as electricity.grid"):
        metered_boundary_totals(tree, activity)
    tree = _tree()
    tree.place_meter(meter_key(_device(1)), "electricity.grid", "b5")
    tree.place_meter(meter_key(_device(2)), "water.supply", "b5")
    tree.place_meter(meter_key(_device(9)), "water.supply", "b1f2")
    assert metered_boundary_totals(tree, activity).missing_meters == (meter_key(_device(9)),)


_LEAVES = ("b1f1", "b1f2", "b5")


@settings(max_examples=120, deadline=None)
@given(
    meters=st.lists(st.tuples(st.sampled_from((ELECTRICITY, WATER, PV)), st.integers(0, 10**12),
                              st.sets(st.sampled_from(_LEAVES), min_size=1), st.sampled_from(list(AllocationBasis))),
                    min_size=1, max_size=8),
    occupants=st.tuples(*(st.integers(0, 5000),) * 3).filter(any),
    areas=st.tuples(*(st.integers(1, 10**6),) * 3),
)
def test_allocation_conserves_every_metered_total(meters, occupants, areas) -> None:
    activity = _activity({n + 1: (kind, mantissa) for n, (kind, mantissa, _, _) in enumerate(meters)})
    tree = _tree(occupants, tuple(str(a) for a in areas))
    for n, (kind, _, boundaries, basis) in enumerate(meters):
        name = next(d.activity for d in activity.devices if d.device_id == _device(n + 1))
        if len(boundaries) == 1:
            tree.place_meter(meter_key(_device(n + 1)), name, next(iter(boundaries)))
        else:
            usable = [b for b in boundaries if basis is AllocationBasis.AREA or occupants[_LEAVES.index(b)]]
            tree.share_meter(meter_key(_device(n + 1)), name, usable or list(boundaries), AllocationBasis.AREA
                             if not usable else basis)
    totals = metered_boundary_totals(tree, activity)
    assert totals.total["inst"] == activity.totals
    for device in activity.devices:
        shares = totals.allocations.get(meter_key(device.device_id))
        if shares is not None:
            assert sum(q.value for q in shares.values()) == device.amount.value
    for boundary, children in tree.children.items():
        for name, amount in totals.total[boundary].items():
            parts = [totals.own[boundary].get(name)] + [totals.total[c].get(name) for c in children]
            assert sum(q.value for q in parts if q is not None) == amount.value
