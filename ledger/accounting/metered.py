"""Activity data from attested readings: how much each meter measured in a period, and from which batches.

Only readings in anchored batches count, and only after their evidence has been re-checked against
the anchor (CID recomputed, Merkle root recomputed): a figure must never rest on bytes the chain does
not vouch for. Cumulative meters are differenced; a period boundary that falls between two readings
is interpolated linearly, and so is a gap (an interval longer than GAP_FACTOR × the meter's usual
interval). Every estimate is reported with its method, never filled silently; a counter reset counts
the new register value from zero and is reported too.

The readings arrive as integer columns (meter_series.py). Between two readings inside a period the
differences telescope, so a meter's period costs a few passes over its columns in C; only the
intervals at the period's ends, resets, gaps and repeated timestamps go through the one interval rule,
`meter_interval`, which the reading-by-reading reference path (`_device_activity`) applies to every interval.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import islice
from operator import le, sub
from statistics import median

from ledger.accounting.errors import NoActivityData
from ledger.accounting.factors import Period
from ledger.accounting.meter_series import (  # noqa: F401  (re-exported: where accounting's callers look)
    ACTIVITY_OF, GENERATION, MeterSeries, Point, Series, UnverifiedEvidence, add_readings, checked_evidence, unit_of,
)
from ledger.accounting.quantities import Quantity
from ledger.calendar import CHINA_STANDARD_TIME  # noqa: F401  (re-exported: where its callers look)
from ledger.chain.clients import LedgerContracts
from ledger.encoding import Quantity as Measured
from ledger.evidence import EvidenceStore
from ledger.merkle import input_set_root

GAP_FACTOR = 3
PLACES = 3  # readings carry at most three decimals at the simulators' scale; results keep them


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
    awaiting_approvals: tuple[bytes, ...] = ()  # sorted; anchored batches left out: their quorum has not approved them

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


class InputBatches(tuple):
    """The sorted roots of the batches collect_points read, carrying (`awaiting_approvals`, sorted) those it
    left out because they were anchored under a k-of-n quorum that has not yet given its approvals."""

    awaiting_approvals: tuple[bytes, ...] = ()

    def __new__(cls, roots: Sequence[bytes], awaiting_approvals: Sequence[bytes] = ()) -> InputBatches:
        inputs = super().__new__(cls, sorted(roots))
        inputs.awaiting_approvals = tuple(sorted(awaiting_approvals))
        return inputs


def collect_points(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int,
    start: int,
    end: int,
    margin: int = 86_400,
    only_batches: frozenset[bytes] | None = None,
    devices: frozenset[bytes] | None = None,
) -> tuple[dict[bytes, MeterSeries], InputBatches]:
    """Readings of the institution's anchored batches that can matter for [start, end) (plus a margin
    on each side for interpolation), grouped by device; and the roots of the batches they came from.

    A batch anchored under a quorum counts only once its k oracle approvals are on chain
    (AttestationLedger.counts); until then it is left out and named in the roots' `awaiting_approvals`,
    which metered_activity carries into its result, so it is reported, never silently dropped.

    `only_batches` restricts the input to a result's stated batch set (what an auditor recomputes
    from); `devices` restricts it to the meters inside a boundary.
    """
    series: dict[bytes, MeterSeries] = {}
    roots: list[bytes] = []
    awaiting: list[bytes] = []
    attestations = contracts.attestations
    under_quorum = attestations.awaiting_approvals(institution_id)
    for batch in attestations.anchored_batches(institution_id=institution_id):
        if only_batches is not None:
            if batch.root not in only_batches:
                continue
        elif batch.last_timestamp < start - margin or batch.first_timestamp >= end + margin:
            continue
        if batch.root in under_quorum and not attestations.counts(batch.root):
            awaiting.append(batch.root)
            continue
        roots.append(batch.root)
        add_readings(series, checked_evidence(evidence, batch), devices)
    return series, InputBatches(roots, awaiting)


def metered_activity(
    institution_id: int,
    period: Period,
    series: Series,
    batch_roots: Sequence[bytes],
    tz: timezone = CHINA_STANDARD_TIME,
) -> MeteredActivity:
    """Each device's consumption in `period`; raises NoActivityData when no meter covers it. Batches
    collect_points left out for want of approvals (InputBatches.awaiting_approvals) are carried along."""
    devices = interval_activity(series, *period_bounds(period, tz))
    awaiting = getattr(batch_roots, "awaiting_approvals", ())
    if not devices:
        waiting = f" ({len(awaiting)} anchored batches still await their quorum's approvals)" if awaiting else ""
        raise NoActivityData(f"institution {institution_id}, period {period}: no anchored readings cover it{waiting}")
    return MeteredActivity(institution_id, period, tuple(sorted(batch_roots)), devices, tuple(awaiting))


def interval_activity(series: Series | Mapping[bytes, tuple[Measured, list[Point]]], start: int,
                      end: int) -> tuple[DeviceActivity, ...]:
    """Each device's consumption in [start, end) unix seconds (any span, e.g. a booked meeting slot), with
    boundaries and gaps interpolated and reported as in `metered_activity`; devices with fewer than two
    readings around the span are left out. A device's readings may also be given as (quantity, Points)."""
    devices = []
    for device_id in sorted(series):
        meter = series[device_id]
        if isinstance(meter, MeterSeries):
            activity = ACTIVITY_OF.get(meter.quantity) or GENERATION[meter.quantity]
            result = _meter_activity(device_id, activity, meter, start, end)
        else:
            quantity, points = meter
            activity = ACTIVITY_OF.get(quantity) or GENERATION[quantity]
            result = _device_activity(device_id, activity, sorted(points, key=_by_sequence), start, end)
        if result is not None:
            devices.append(result)
    return tuple(devices)


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


def _by_sequence(point: Point) -> int:
    return point.sequence


def _device_activity(device_id: bytes, activity: str, points: list[Point], start: int, end: int) -> DeviceActivity | None:
    """The reference path: `points` sorted by sequence, one Decimal interval at a time."""
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
        reset, amount, share, estimate = meter_interval(a.timestamp, a.sequence, a.value.value,
                                                   b.timestamp, b.sequence, b.value.value, start, end, usual)
        resets += reset
        if amount is not None:
            whole += amount
        if share is not None:
            partial += share
        if estimate is not None:
            estimates.append(Estimate(device_id, *estimate[:3], _quantity(estimate[3], unit)))
    total = Fraction(whole) + partial
    return DeviceActivity(device_id, activity, _quantity(total, unit), len(inside), tuple(estimates), resets)


def meter_interval(a_time: int, a_sequence: int, a_value, b_time: int, b_sequence: int, b_value, start: int, end: int,
              usual) -> tuple[bool, object, Fraction | None, tuple[int, int, str, Fraction] | None]:
    """What one interval between consecutive readings adds to [start, end): (counter reset?, an exact
    whole difference or None, a pro-rated Fraction or None, the estimate to report or None).

    The rule every path applies: a negative difference is a counter reset (the register restarted,
    what it shows now was counted from zero); an interval cut by `start` or `end` counts pro rata and
    is reported; so is one longer than GAP_FACTOR × the usual spacing (a gap, counted whole).
    """
    delta = b_value - a_value
    reset = delta < 0
    if reset:
        delta = b_value
    lo, hi = max(a_time, start), min(b_time, end)
    if hi <= lo or b_time == a_time:
        return reset, None, None, None
    clipped = (lo, hi) != (a_time, b_time)
    gap = usual and (b_time - a_time) > GAP_FACTOR * usual
    if clipped:
        whole, share = None, Fraction(delta) * Fraction(hi - lo, b_time - a_time)
        estimated = share
    else:
        whole, share = delta, None
        estimated = Fraction(delta) if gap else None
    if not (clipped or gap):
        return reset, whole, share, None
    why = "gap" if gap else "period boundary"
    return reset, whole, share, (lo, hi, f"linear interpolation between sequences {a_sequence} and {b_sequence} ({why})",
                                 estimated)


def _meter_activity(device_id: bytes, activity: str, meter: MeterSeries, start: int, end: int) -> DeviceActivity | None:
    """`_device_activity` on integer columns, equal to it to the last digit.

    Between consecutive readings that are both inside the span, with time moving forward, no reset and
    no gap, the differences telescope: their sum is the last value minus the first. Only the other
    intervals (the two at the span's ends, resets, gaps, repeated timestamps) go through `meter_interval`.
    """
    if meter.points is not None:
        return _device_activity(device_id, activity, sorted(meter.points, key=_by_sequence), start, end)
    sequences, times, values = meter.sequences, meter.timestamps, meter.values
    n = len(sequences)
    if not all(map(le, sequences, islice(sequences, 1, None))):  # collected out of order: sort (stably) by sequence
        order = sorted(range(n), key=sequences.__getitem__)
        sequences, times, values = ([column[i] for i in order] for column in (sequences, times, values))
    steps = list(map(sub, islice(times, 1, None), times))
    if steps and min(steps) < 0:  # time runs backwards somewhere: the reference path decides
        return _device_activity(device_id, activity, sorted(meter.as_points(), key=_by_sequence), start, end)
    lo, hi = bisect_left(times, start), bisect_left(times, end)
    first, last = (lo - 1 if lo > 0 else lo), (hi if hi < n else hi - 1)
    if last - first < 1:
        return None
    spacing = steps if not steps or min(steps) > 0 else [step for step in steps if step > 0]
    usual = median(spacing) if spacing else 0
    span_steps = steps[first:last]  # span_steps[j] is the interval from reading first + j to first + j + 1
    deltas = list(map(sub, values[first + 1:last + 1], values[first:last]))
    special = {0, len(deltas) - 1}
    if min(deltas) < 0:
        special.update(j for j, d in enumerate(deltas) if d < 0)
    if min(span_steps) == 0:
        special.update(j for j, step in enumerate(span_steps) if step == 0)
    if usual and max(span_steps) > GAP_FACTOR * usual:
        special.update(j for j, step in enumerate(span_steps) if step > GAP_FACTOR * usual)
    unit, factor = unit_of(meter.unit), Fraction(10) ** meter.scale
    whole = values[last] - values[first] - sum(deltas[j] for j in special)
    partial, estimates, resets = Fraction(0), [], 0
    for j in sorted(special):
        a, b = first + j, first + j + 1
        reset, amount, share, estimate = meter_interval(times[a], sequences[a], values[a], times[b], sequences[b], values[b],
                                                   start, end, usual)
        resets += reset
        if amount is not None:
            whole += amount
        if share is not None:
            partial += share
        if estimate is not None:
            estimates.append(Estimate(device_id, *estimate[:3], _quantity(estimate[3] * factor, unit)))
    total = (Fraction(whole) + partial) * factor
    return DeviceActivity(device_id, activity, _quantity(total, unit), hi - lo, tuple(estimates), resets)


def _quantity(value: Fraction, unit) -> Quantity:
    decimal = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-PLACES), ROUND_HALF_UP)
    return Quantity(decimal, unit)
