"""Accounting boundaries: institution → park → building → floor → room, meters placed in them, and intensity.

A meter belongs to exactly one boundary, or is shared by several disjoint boundaries and allocated by
floor area or occupancy. Allocation is exact: parts are whole multiples of the last decimal place and sum
to the meter's total (largest remainder), so every boundary's total is exactly the sum of its parts and
the institution's total is exactly the sum of its meters. Counting one meter twice is refused.
`metered_boundary_totals` applies a tree to a period's metered activity (the devices' amounts from
anchored readings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, IntEnum
from fractions import Fraction
from math import floor

from ledger.accounting.errors import AllocationError, InvalidBoundary, OverlappingBoundaries, UnassignedMeter, UnitMismatch
from ledger.accounting.metered import PLACES, MeteredActivity
from ledger.accounting.methodology import RoundingRule
from ledger.accounting.quantities import EXACT, Quantity, quantity_sum, unit


class BoundaryKind(IntEnum):
    INSTITUTION = 1
    PARK = 2
    BUILDING = 3
    FLOOR = 4
    ROOM = 5  # a meeting room is a room


class AllocationBasis(str, Enum):
    AREA = "area"
    OCCUPANCY = "occupancy"


@dataclass(frozen=True, slots=True)
class Boundary:
    id: str
    kind: BoundaryKind
    name: str
    parent: str | None = None
    area: Quantity | None = None  # m2
    occupants: Quantity | None = None  # person


@dataclass(frozen=True, slots=True)
class MeterPlacement:
    meter_id: str
    activity: str  # e.g. "electricity.grid"
    boundaries: tuple[str, ...]
    basis: AllocationBasis | None  # None for a meter in one boundary


def allocate(total: Quantity, weights: Mapping[str, Quantity], places: int) -> dict[str, Quantity]:
    """Split `total` in proportion to `weights` into parts that are multiples of 10^-places and sum to it exactly.

    Each exact share is rounded down to the last place; the units left over go one each to the largest
    remainders (ties broken by key, so the result does not depend on the mapping's order).
    """
    if not weights:
        raise AllocationError("no boundaries to allocate to")
    weight_units = {w.unit for w in weights.values()}
    if len(weight_units) != 1:
        raise UnitMismatch("allocation weights", *sorted(str(u) for u in weight_units)[:2])
    if any(w.value < 0 for w in weights.values()):
        raise AllocationError("weights must not be negative")
    weight_sum = sum((w.to_fraction() for w in weights.values()), Fraction(0))
    if weight_sum == 0:
        raise AllocationError("weights sum to zero")
    if not total.is_representable(places):
        raise AllocationError(f"{total} has more than {places} decimal places")
    units = int(total.value.scaleb(places, context=EXACT))
    magnitude, sign = abs(units), (-1 if units < 0 else 1)
    exact = {key: magnitude * weights[key].to_fraction() / weight_sum for key in sorted(weights)}
    parts = {key: floor(share) for key, share in exact.items()}
    leftover = magnitude - sum(parts.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - parts[k]), k))[:leftover]:
        parts[key] += 1
    return {key: Quantity(Decimal(sign * n).scaleb(-places, context=EXACT), total.unit) for key, n in parts.items()}


@dataclass(frozen=True)
class BoundaryTotals:
    """Per boundary and activity: `own` (its meters and allocated shares) and `total` (own + descendants)."""

    own: dict[str, dict[str, Quantity]]
    total: dict[str, dict[str, Quantity]]
    allocations: dict[str, dict[str, Quantity]]  # shared meter → boundary → share
    missing_meters: tuple[str, ...]  # placed meters without a total: reported as gaps, never read as zero


class BoundaryTree:
    """A validated boundary tree with its meters."""

    def __init__(self, boundaries: Iterable[Boundary]) -> None:
        self.boundaries: dict[str, Boundary] = {}
        for b in boundaries:
            if b.id in self.boundaries:
                raise InvalidBoundary(b.id, "defined twice")
            self.boundaries[b.id] = b
        roots = [b.id for b in self.boundaries.values() if b.parent is None]
        if len(roots) != 1:
            raise InvalidBoundary(",".join(roots) or "(none)", "a tree needs exactly one root")
        self.root = roots[0]
        self.children: dict[str, list[str]] = {b: [] for b in self.boundaries}
        for b in self.boundaries.values():
            self._check(b)
            if b.parent is not None:
                self.children[b.parent].append(b.id)
        for b in self.boundaries.values():
            self._check_areas(b)
        self.placements: dict[str, MeterPlacement] = {}

    def _check(self, b: Boundary) -> None:
        if b.area is not None and (b.area.unit != unit("m2") or b.area.value < 0):
            raise InvalidBoundary(b.id, f"area must be a non-negative m2 quantity, got {b.area}")
        if b.occupants is not None and (b.occupants.unit != unit("person") or b.occupants.value < 0):
            raise InvalidBoundary(b.id, f"occupants must be a non-negative person quantity, got {b.occupants}")
        if b.parent is None:
            return
        parent = self.boundaries.get(b.parent)
        if parent is None:
            raise InvalidBoundary(b.id, f"parent {b.parent!r} does not exist")
        if b.kind <= parent.kind:  # also rules out cycles: kinds strictly increase downwards
            raise InvalidBoundary(b.id, f"a {b.kind.name.lower()} cannot sit under a {parent.kind.name.lower()}")

    def _check_areas(self, b: Boundary) -> None:
        areas = [self.boundaries[c].area for c in self.children[b.id] if self.boundaries[c].area is not None]
        if b.area is not None and areas and quantity_sum(areas, "m2") > b.area:
            raise InvalidBoundary(b.id, f"its parts cover {quantity_sum(areas, 'm2')}, more than its {b.area}: they overlap")

    def ancestors(self, boundary_id: str) -> tuple[str, ...]:
        chain, parent = [], self.boundaries[boundary_id].parent
        while parent is not None:
            chain.append(parent)
            parent = self.boundaries[parent].parent
        return tuple(chain)

    def place_meter(self, meter_id: str, activity: str, boundary_id: str) -> None:
        """The meter measures `boundary_id` alone."""
        self._place(MeterPlacement(meter_id, activity, (boundary_id,), None))

    def share_meter(self, meter_id: str, activity: str, boundary_ids: Iterable[str], basis: AllocationBasis) -> None:
        """The meter serves several disjoint boundaries; its total is split by `basis`."""
        targets = tuple(sorted(set(boundary_ids)))
        for b in targets:
            nested = set(self.ancestors(b)) & set(targets)
            if nested:
                raise OverlappingBoundaries(meter_id, (b,), tuple(sorted(nested)))
        self._place(MeterPlacement(meter_id, activity, targets, basis))

    def _place(self, placement: MeterPlacement) -> None:
        for b in placement.boundaries:
            if b not in self.boundaries:
                raise InvalidBoundary(b, f"unknown boundary for meter {placement.meter_id!r}")
        if placement.meter_id in self.placements:
            raise OverlappingBoundaries(placement.meter_id, self.placements[placement.meter_id].boundaries,
                                        placement.boundaries)
        self.placements[placement.meter_id] = placement

    def _weights(self, placement: MeterPlacement) -> dict[str, Quantity]:
        attribute = "area" if placement.basis is AllocationBasis.AREA else "occupants"
        weights = {}
        for b in placement.boundaries:
            value = getattr(self.boundaries[b], attribute)
            if value is None:
                raise AllocationError(f"boundary {b!r} has no {attribute} to share meter {placement.meter_id!r} by")
            weights[b] = value
        return weights

    def totals(self, meter_totals: Mapping[str, Quantity], places: int) -> BoundaryTotals:
        """Each boundary's own and rolled-up totals per activity, allocating shared meters at `places` decimals."""
        for meter_id in sorted(meter_totals):
            if meter_id not in self.placements:
                raise UnassignedMeter(meter_id)
        own: dict[str, dict[str, Quantity]] = {b: {} for b in self.boundaries}
        allocations: dict[str, dict[str, Quantity]] = {}
        for meter_id in sorted(meter_totals):
            placement, amount = self.placements[meter_id], meter_totals[meter_id]
            if placement.basis is None:
                shares = {placement.boundaries[0]: amount}
            else:
                shares = allocations[meter_id] = allocate(amount, self._weights(placement), places)
            for b, share in shares.items():
                current = own[b].get(placement.activity)
                own[b][placement.activity] = share if current is None else current + share
        total: dict[str, dict[str, Quantity]] = {}
        for b in sorted(self.boundaries, key=lambda b: -len(self.ancestors(b))):  # leaves first
            rolled = dict(own[b])
            for child in self.children[b]:
                for activity, amount in total[child].items():
                    rolled[activity] = rolled[activity] + amount if activity in rolled else amount
            total[b] = rolled
        missing = tuple(sorted(m for m in self.placements if m not in meter_totals))
        return BoundaryTotals(own, total, allocations, missing)


def meter_key(device_id: bytes) -> str:
    """How a registered device is named among a tree's meters: its id as 0x-prefixed hex."""
    return "0x" + device_id.hex()


def metered_boundary_totals(tree: BoundaryTree, activity: MeteredActivity) -> BoundaryTotals:
    """The boundaries' totals of a period's metered activity: each device's amount (from anchored readings)
    goes to the boundary the tree places it in, a shared device's is allocated by area or occupancy at
    the amounts' own PLACES decimals. Every boundary's total is then exactly the sum of its parts, and the
    root's exactly `activity.totals`.

    Devices are named by `meter_key`. A device the tree does not place raises UnassignedMeter; one placed
    under another activity than it measured raises AllocationError; a placed meter without readings in
    the period is listed in `missing_meters`, never read as zero.
    """
    amounts: dict[str, Quantity] = {}
    for device in activity.devices:
        key = meter_key(device.device_id)
        placement = tree.placements.get(key)
        if placement is not None and placement.activity != device.activity:
            raise AllocationError(f"meter {key} measured {device.activity}, but is placed as {placement.activity}")
        amounts[key] = device.amount
    return tree.totals(amounts, PLACES)


@dataclass(frozen=True, slots=True)
class Intensity:
    emissions: Quantity
    per_person: Quantity
    per_area: Quantity


def intensity(emissions: Quantity, people: Quantity, area: Quantity, rule: RoundingRule) -> Intensity:
    """Emissions per person and per m², each rounded once by `rule` (the methodology's intensity rule)."""
    if people.unit != unit("person") or area.unit != unit("m2"):
        raise UnitMismatch("intensity", f"{people.unit}, {area.unit}", "person, m2")
    return Intensity(emissions, emissions.divided_by(people, rule.places, rule.mode),
                     emissions.divided_by(area, rule.places, rule.mode))


@dataclass(frozen=True, slots=True)
class BaselineComparison:
    baseline_year: int
    year: int
    baseline: Intensity
    current: Intensity
    per_person_change: Quantity  # (current − baseline) / baseline, dimensionless
    per_area_change: Quantity


def against_baseline(baseline_year: int, baseline: Intensity, year: int, current: Intensity,
                     rule: RoundingRule) -> BaselineComparison:
    """Relative change of each intensity against the baseline year (the standard set at the start)."""
    def change(now: Quantity, then: Quantity) -> Quantity:
        return (now - then).divided_by(then, rule.places, rule.mode)  # same units: a dimensionless ratio

    return BaselineComparison(baseline_year, year, baseline, current,
                              change(current.per_person, baseline.per_person), change(current.per_area, baseline.per_area))


XIHUAMEN_PEOPLE = Quantity(3835, "person")
XIHUAMEN_FLOOR_AREA = Quantity("93823.09", "m2")


def xihuamen_compound() -> Boundary:
    """The seed's institution boundary: 3,835 people on 93,823.09 m²."""
    return Boundary("xihuamen", BoundaryKind.INSTITUTION, "Xihuamen office compound, Qingyang district",
                    area=XIHUAMEN_FLOOR_AREA, occupants=XIHUAMEN_PEOPLE)
