"""Boundaries: exact allocation, totals that are sums of parts, no meter counted twice, intensity."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.boundaries import (
    XIHUAMEN_FLOOR_AREA, XIHUAMEN_PEOPLE, AllocationBasis, Boundary, BoundaryKind, BoundaryTree, against_baseline,
    allocate, intensity, xihuamen_compound,
)
from ledger.accounting.errors import (
    AllocationError, InvalidBoundary, OverlappingBoundaries, UnassignedMeter, UnitMismatch,
)
from ledger.accounting.methodology import RoundingRule
from ledger.accounting.quantities import Quantity, quantity_sum, round_fraction

KIND = BoundaryKind


def compound() -> BoundaryTree:
    """Xihuamen with one park, two buildings, floors and the zero-carbon meeting room."""
    return BoundaryTree([
        xihuamen_compound(),
        Boundary("park", KIND.PARK, "office park", "xihuamen", Quantity("90000", "m2"), Quantity(3800, "person")),
        Boundary("b1", KIND.BUILDING, "building 1", "park", Quantity("30000", "m2"), Quantity(1200, "person")),
        Boundary("b5", KIND.BUILDING, "building 5", "park", Quantity("20000.5", "m2"), Quantity(900, "person")),
        Boundary("b1f1", KIND.FLOOR, "building 1, floor 1", "b1", Quantity("5000", "m2"), Quantity(150, "person")),
        Boundary("b1f2", KIND.FLOOR, "building 1, floor 2", "b1", Quantity("5000", "m2"), Quantity(210, "person")),
        Boundary("meeting", KIND.ROOM, "zero-carbon meeting room", "b1f1", Quantity("180", "m2"), Quantity(50, "person")),
    ])


def placed() -> BoundaryTree:
    tree = compound()
    tree.place_meter("main-b5", "electricity.grid", "b5")
    tree.place_meter("meeting-room", "electricity.grid", "meeting")
    tree.place_meter("b1f2", "electricity.grid", "b1f2")
    tree.share_meter("b1-riser", "electricity.grid", ["b1f1", "b1f2"], AllocationBasis.AREA)
    tree.share_meter("park-water", "water.supply", ["b1", "b5"], AllocationBasis.OCCUPANCY)
    return tree


def test_shared_meters_are_allocated_exactly_and_rolled_up() -> None:
    totals = placed().totals({
        "main-b5": Quantity("80000.25", "kWh"), "meeting-room": Quantity("1234.5", "kWh"),
        "b1f2": Quantity("30000", "kWh"), "b1-riser": Quantity("10000.01", "kWh"),
        "park-water": Quantity("62981", "m3"),
    }, places=2)
    assert totals.allocations["b1-riser"] == {"b1f1": Quantity("5000.01", "kWh"), "b1f2": Quantity("5000.00", "kWh")}
    # 62,981 × 1200/2100 = 35,989.142857…, × 900/2100 = 26,991.857142…: the larger remainder gets the last cent
    assert totals.allocations["park-water"] == {"b1": Quantity("35989.14", "m3"), "b5": Quantity("26991.86", "m3")}
    assert totals.total["b1f1"]["electricity.grid"] == Quantity("6234.51", "kWh")  # own share + meeting room
    assert totals.total["xihuamen"]["electricity.grid"] == Quantity("121234.76", "kWh")
    assert totals.total["xihuamen"]["water.supply"] == Quantity("62981", "m3")
    assert totals.own["park"] == {} and totals.missing_meters == ()


def test_a_meter_without_a_total_is_reported_as_a_gap() -> None:
    totals = placed().totals({"main-b5": Quantity(1, "kWh")}, places=2)
    assert totals.missing_meters == ("b1-riser", "b1f2", "meeting-room", "park-water")


def test_a_meter_counted_in_two_siblings_is_refused() -> None:
    tree = placed()
    with pytest.raises(OverlappingBoundaries) as caught:
        tree.place_meter("main-b5", "electricity.grid", "b1")
    assert caught.value.meter_id == "main-b5" and caught.value.first == ("b5",) and caught.value.second == ("b1",)
    with pytest.raises(OverlappingBoundaries):
        tree.share_meter("b1f2", "electricity.grid", ["b1f1", "b1f2"], AllocationBasis.AREA)


def test_a_meter_shared_between_a_boundary_and_its_own_part_is_refused() -> None:
    with pytest.raises(OverlappingBoundaries) as caught:
        compound().share_meter("riser", "electricity.grid", ["b1", "b1f1"], AllocationBasis.AREA)
    assert caught.value.second == ("b1",)


def test_parts_larger_than_their_boundary_overlap() -> None:
    with pytest.raises(InvalidBoundary, match="overlap"):
        BoundaryTree([
            Boundary("i", KIND.INSTITUTION, "i", area=Quantity(100, "m2")),
            Boundary("a", KIND.BUILDING, "a", "i", Quantity(60, "m2")),
            Boundary("b", KIND.BUILDING, "b", "i", Quantity(41, "m2")),
        ])


@pytest.mark.parametrize("boundaries", [
    [Boundary("i", KIND.INSTITUTION, "i"), Boundary("r", KIND.ROOM, "r", "i"), Boundary("f", KIND.FLOOR, "f", "r")],
    [Boundary("i", KIND.INSTITUTION, "i"), Boundary("j", KIND.INSTITUTION, "j")],
    [Boundary("i", KIND.INSTITUTION, "i"), Boundary("b", KIND.BUILDING, "b", "nowhere")],
    [Boundary("i", KIND.INSTITUTION, "i"), Boundary("i", KIND.BUILDING, "b", "i")],
    [Boundary("i", KIND.INSTITUTION, "i", area=Quantity(10, "kWh"))],
])
def test_malformed_trees_are_refused(boundaries: list[Boundary]) -> None:
    with pytest.raises(InvalidBoundary):
        BoundaryTree(boundaries)


def test_unassigned_meter_and_missing_basis_are_refused() -> None:
    with pytest.raises(UnassignedMeter):
        placed().totals({"rogue": Quantity(1, "kWh")}, places=2)
    tree = BoundaryTree([Boundary("i", KIND.INSTITUTION, "i"), Boundary("a", KIND.BUILDING, "a", "i"),
                         Boundary("b", KIND.BUILDING, "b", "i")])
    tree.share_meter("m", "electricity.grid", ["a", "b"], AllocationBasis.OCCUPANCY)
    with pytest.raises(AllocationError, match="no occupants"):
        tree.totals({"m": Quantity(1, "kWh")}, places=2)


def test_allocation_refuses_what_it_cannot_do_exactly() -> None:
    with pytest.raises(AllocationError):
        allocate(Quantity("1.005", "kWh"), {"a": Quantity(1, "m2")}, places=2)
    with pytest.raises(AllocationError):
        allocate(Quantity(1, "kWh"), {"a": Quantity(0, "m2")}, places=2)
    with pytest.raises(UnitMismatch):
        allocate(Quantity(1, "kWh"), {"a": Quantity(1, "m2"), "b": Quantity(1, "person")}, places=2)


_weights = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3),
                           st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8).filter(
                               lambda w: sum(w.values()) > 0)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=0, max_value=4), _weights)
def test_allocation_conserves_the_total_exactly(units: int, places: int, weights: dict[str, int]) -> None:
    total = Quantity(Decimal(units).scaleb(-places), "kWh")
    parts = allocate(total, {k: Quantity(v, "m2") for k, v in weights.items()}, places)
    assert quantity_sum(parts.values(), "kWh") == total
    whole = sum(weights.values())
    for key, part in parts.items():  # each part within one unit of the last place of its exact share
        exact = Fraction(units, 10**places) * Fraction(weights[key], whole)
        assert abs(part.to_fraction() - exact) < Fraction(1, 10**places)
        assert part.is_representable(places)
    reordered = allocate(total, {k: Quantity(weights[k], "m2") for k in reversed(list(weights))}, places)
    assert reordered == parts


_meter_totals = st.fixed_dictionaries({
    name: st.integers(min_value=0, max_value=10**9).map(lambda n, u=unit_: Quantity(Decimal(n).scaleb(-2), u))
    for name, unit_ in (("main-b5", "kWh"), ("meeting-room", "kWh"), ("b1f2", "kWh"), ("b1-riser", "kWh"),
                        ("park-water", "m3"))
})


@settings(max_examples=100, deadline=None)
@given(_meter_totals)
def test_every_total_is_the_sum_of_its_parts(meter_totals: dict[str, Quantity]) -> None:
    tree = placed()
    totals = tree.totals(meter_totals, places=2)
    for activity, unit_ in (("electricity.grid", "kWh"), ("water.supply", "m3")):
        meters = [q for m, q in meter_totals.items() if tree.placements[m].activity == activity]
        assert totals.total["xihuamen"][activity] == quantity_sum(meters, unit_)
        for boundary in tree.boundaries:
            parts = [totals.own[boundary].get(activity, Quantity(0, unit_))]
            parts += [totals.total[c].get(activity, Quantity(0, unit_)) for c in tree.children[boundary]]
            assert totals.total[boundary].get(activity, Quantity(0, unit_)) == quantity_sum(parts, unit_)


def test_xihuamen_intensity_per_person_and_per_m2() -> None:
    emissions = Quantity("233297.6", "kgCO2e")
    result = intensity(emissions, XIHUAMEN_PEOPLE, XIHUAMEN_FLOOR_AREA, RoundingRule(4))
    assert result.per_person == Quantity("60.8338", "kgCO2e/person")
    assert result.per_area == Quantity("2.4866", "kgCO2e/m2")
    assert result.per_person.value == round_fraction(Fraction("233297.6") / 3835, 4)
    assert xihuamen_compound().area == Quantity("93823.09", "m2") and xihuamen_compound().occupants == Quantity(3835, "person")


def test_intensity_against_the_baseline_year() -> None:
    rule = RoundingRule(4)
    baseline = intensity(Quantity("800000", "kgCO2e"), XIHUAMEN_PEOPLE, XIHUAMEN_FLOOR_AREA, rule)
    current = intensity(Quantity("600000", "kgCO2e"), XIHUAMEN_PEOPLE, XIHUAMEN_FLOOR_AREA, rule)
    comparison = against_baseline(2019, baseline, 2022, current, rule)
    assert comparison.per_person_change == Quantity("-0.2500")  # 208.6050 → 156.4537 per person, rounded first
    assert comparison.per_area_change == Quantity("-0.2500")
    with pytest.raises(UnitMismatch):
        intensity(Quantity(1, "kgCO2e"), Quantity(3835, "m2"), XIHUAMEN_FLOOR_AREA, rule)
