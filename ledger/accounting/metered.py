"""Activity data from attested readings: how much each meter measured in a period, and from which batches.

Only readings in anchored batches count, and only after their evidence has been re-checked against
the anchor (CID recomputed, Merkle root recomputed): a figure must never rest on bytes the chain does
not vouch for. Cumulative meters are differenced; a period boundary that falls between two readings
is interpolated linearly, and so is a gap (an interval longer than GAP_FACTOR × the meter's usual
interval). Every estimate is reported with its method, never filled silently; a counter reset counts
the new register value from zero and is reported too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from statistics import median

from ledger.accounting.errors import NoActivityData
from ledger.accounting.factors import Period
from ledger.accounting.quantities import Quantity, reading_quantity
from ledger.batch import decode_batch
from ledger.chain.clients import AnchoredBatch, LedgerContracts
from ledger.encoding import Quantity as Measured
from ledger.evidence import EvidenceStore, compute_cid
from ledger.merkle import input_set_root

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
GAP_FACTOR = 3
PLACES = 3  # readings carry at most three decimals at the simulators' scale; results keep them
ACTIVITY_OF = {  # what a cumulative quantity is, in the inventory methodology's words
    Measured.ACTIVE_ENERGY_IMPORT: "electricity.grid",
    Measured.WATER_VOLUME: "water.supply",
    Measured.GAS_VOLUME: "natural_gas",
}
GENERATION = {Measured.ACTIVE_ENERGY_EXPORT: "electricity.generated"}


class UnverifiedEvidence(ValueError):
    """An anchored batch whose evidence does not re-derive its anchor: nothing may be computed from it."""

    def __init__(self, root: bytes, reason: str) -> None:
        super().__init__(f"batch 0x{root.hex()}: {reason}")
        self.root = root


@dataclass(frozen=True)
class Point:
    timestamp: int
    sequence: int
    value: Quantity


@dataclass(frozen=True)
class Estimate:
    """A stretch of a period whose consumption is interpolated rather than read."""

    device_id: bytes
    start: int
    end: int
    method: str
    amount: Quantity


@dataclass(frozen=True)
class DeviceActivity:
    device_id: bytes
    activity: str
    amount: Quantity
    readings_used: int
    estimates: tuple[Estimate, ...]
    counter_resets: int


@dataclass(frozen=True)
class MeteredActivity:
    institution_id: int
    period: Period
    batch_roots: tuple[bytes, ...]  # sorted; the inputs an on-chain result names
    devices: tuple[DeviceActivity, ...]

    @property
    def totals(self) -> dict[str, Quantity]:
        """Per activity: the sum of the devices' (already rounded) amounts, so parts add up to the whole."""
        sums: dict[str, Quantity] = {}
        for d in self.devices:
            sums[d.activity] = sums[d.activity] + d.amount if d.activity in sums else d.amount
        return sums

    @property
    def emission_activities(self) -> dict[str, Quantity]:
        return {a: q for a, q in self.totals.items() if a not in GENERATION.values()}

    @property
    def estimates(self) -> tuple[Estimate, ...]:
        return tuple(e for d in self.devices for e in d.estimates)

    @property
    def input_root(self) -> bytes:
        """The input-set root an on-chain result names (ledger.merkle.input_set_root)."""
        return input_set_root(self.batch_roots)


def period_bounds(period: Period, tz: timezone = CHINA_STANDARD_TIME) -> tuple[int, int]:
    """[start, end) in unix seconds: from the first day's local midnight to the midnight after the last day."""
    start = datetime.combine(period.start, time(), tz)
    end = datetime.combine(period.end + timedelta(days=1), time(), tz)
    return int(start.timestamp()), int(end.timestamp())


def collect_points(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int,
    start: int,
    end: int,
    margin: int = 86_400,
    only_batches: frozenset[bytes] | None = None,
    devices: frozenset[bytes] | None = None,
) -> tuple[dict[bytes, tuple[Measured, list[Point]]], tuple[bytes, ...]]:
    """Readings of the institution's anchored batches that can matter for [start, end) (plus a margin
    on each side for interpolation), grouped by device; and the roots of the batches they came from.

    `only_batches` restricts the input to a result's stated batch set (what an auditor recomputes
    from); `devices` restricts it to the meters inside a boundary.
    """
    series: dict[bytes, tuple[Measured, list[Point]]] = {}
    roots: list[bytes] = []
    for batch in contracts.attestations.anchored_batches(institution_id=institution_id):
        if only_batches is not None:
            if batch.root not in only_batches:
                continue
        elif batch.last_timestamp < start - margin or batch.first_timestamp >= end + margin:
            continue
        roots.append(batch.root)
        for signed in _checked_readings(evidence, batch):
            reading = signed.reading
            if reading.quantity not in ACTIVITY_OF and reading.quantity not in GENERATION:
                continue
            if devices is not None and reading.device_id not in devices:
                continue
            kind, points = series.setdefault(reading.device_id, (reading.quantity, []))
            points.append(Point(reading.timestamp, reading.sequence, reading_quantity(reading)))
    return series, tuple(sorted(roots))


def metered_activity(
    institution_id: int,
    period: Period,
    series: dict[bytes, tuple[Measured, list[Point]]],
    batch_roots: Sequence[bytes],
    tz: timezone = CHINA_STANDARD_TIME,
) -> MeteredActivity:
    """Each device's consumption in `period`; raises NoActivityData when no meter covers it."""
    start, end = period_bounds(period, tz)
    devices = []
    for device_id in sorted(series):
        quantity, points = series[device_id]
        activity = ACTIVITY_OF.get(quantity) or GENERATION[quantity]
        result = _device_activity(device_id, activity, sorted(points, key=lambda p: p.sequence), start, end)
        if result is not None:
            devices.append(result)
    if not devices:
        raise NoActivityData(f"institution {institution_id}, period {period}: no anchored readings cover it")
    return MeteredActivity(institution_id, period, tuple(sorted(batch_roots)), tuple(devices))


def split_period(period: Period, granularity: str) -> list[Period]:
    """The days or calendar months of `period` (clipped to it), or the period itself for 'all'."""
    if granularity == "all":
        return [period]
    parts, day = [], period.start
    while day <= period.end:
        if granularity == "day":
            last = day
        elif granularity == "month":
            last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1))
        else:
            raise ValueError(f"granularity must be day, month or all, got {granularity!r}")
        parts.append(Period(day, min(last, period.end)))
        day = min(last, period.end) + timedelta(days=1)
    return parts


def _checked_readings(evidence: EvidenceStore, batch: AnchoredBatch) -> Iterable:
    data = evidence.cat(batch.evidence_cid)
    if compute_cid(data, cid_version=1 if batch.evidence_cid.startswith("b") else 0) != batch.evidence_cid:
        raise UnverifiedEvidence(batch.root, f"evidence does not hash to {batch.evidence_cid}")
    parsed = decode_batch(data)
    if parsed.institution_id != batch.institution_id or parsed.tree().root != batch.root:
        raise UnverifiedEvidence(batch.root, "evidence does not give the anchored root")
    return parsed.readings


def _device_activity(device_id: bytes, activity: str, points: list[Point], start: int, end: int) -> DeviceActivity | None:
    inside = [p for p in points if start <= p.timestamp < end]
    before = next((p for p in reversed(points) if p.timestamp < start), None)
    after = next((p for p in points if p.timestamp >= end), None)
    chain = ([before] if before else []) + inside + ([after] if after else [])
    if len(chain) < 2:
        return None
    unit = chain[0].value.unit
    spacing = [b.timestamp - a.timestamp for a, b in zip(points, points[1:]) if b.timestamp > a.timestamp]
    usual = median(spacing) if spacing else 0
    # Whole intervals add their exact Decimal difference (fast, exact at the readings' scale); only an
    # interval cut by a period boundary needs a Fraction for its pro-rated share.
    whole, partial, estimates, resets = Decimal(0), Fraction(0), [], 0
    for a, b in zip(chain, chain[1:]):
        delta = b.value.value - a.value.value
        if delta < 0:  # the register restarted: what it shows now was counted from zero
            delta, resets = b.value.value, resets + 1
        lo, hi = max(a.timestamp, start), min(b.timestamp, end)
        if hi <= lo or b.timestamp == a.timestamp:
            continue
        clipped = (lo, hi) != (a.timestamp, b.timestamp)
        gap = usual and (b.timestamp - a.timestamp) > GAP_FACTOR * usual
        if clipped:
            share = Fraction(delta) * Fraction(hi - lo, b.timestamp - a.timestamp)
            partial += share
        else:
            whole += delta
            share = Fraction(delta) if gap else None
        if clipped or gap:
            why = "gap" if gap else "period boundary"
            estimates.append(Estimate(device_id, lo, hi,
                                      f"linear interpolation between sequences {a.sequence} and {b.sequence} ({why})",
                                      _quantity(share, unit)))
    total = Fraction(whole) + partial
    return DeviceActivity(device_id, activity, _quantity(total, unit), len(inside), tuple(estimates), resets)


def _quantity(value: Fraction, unit) -> Quantity:
    decimal = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-PLACES), ROUND_HALF_UP)
    return Quantity(decimal, unit)
