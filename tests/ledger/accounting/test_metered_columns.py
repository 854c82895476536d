"""The columnar accounting path gives exactly what the reading-by-reading implementation gave.

`_original_device_activity` below is metered.py's `_device_activity` as it stood at commit 31f82a7,
frozen here as the oracle: readings decoded one by one into Points, sorted, differenced in Decimal.
The generated meters have partial intervals at every period boundary, counter resets, gaps, repeated
timestamps, readings collected out of order across batches, several decimal scales, values beyond
int64 and meters that mix scales.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from statistics import median

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.errors import UnitMismatch
from ledger.accounting.metered import (
    GAP_FACTOR,
    DeviceActivity,
    Estimate,
    MeterSeries,
    Point,
    _quantity,
    add_readings,
    interval_activity,
)
from ledger.accounting.quantities import reading_quantity
from ledger.batch import canonical_order, decode_batch, encode_batch, evidence_readings
from ledger.encoding import Quantity as Measured, Reading, Unit
from ledger.signing import SignedReading

T0 = 1_640_966_400  # 2022-01-01T00:00:00+08:00
DAY = 86_400
KINDS = ((Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH), (Measured.WATER_VOLUME, Unit.M3),
         (Measured.ACTIVE_ENERGY_EXPORT, Unit.WH), (Measured.GAS_VOLUME, Unit.LITRE))


def _original_device_activity(device_id, activity, points, start, end):  # commit 31f82a7, verbatim
    inside = [p for p in points if start <= p.timestamp < end]
    before = next((p for p in reversed(points) if p.timestamp < start), None)
    after = next((p for p in points if p.timestamp >= end), None)
    chain = ([before] if before else []) + inside + ([after] if after else [])
    if len(chain) < 2:
        return None
    unit = chain[0].value.unit
    spacing = [b.timestamp - a.timestamp for a, b in zip(points, points[1:]) if b.timestamp > a.timestamp]
    usual = median(spacing) if spacing else 0
    whole, partial, estimates, resets = Decimal(0), Fraction(0), [], 0
    for a, b in zip(chain, chain[1:]):
        delta = b.value.value - a.value.value
        if delta < 0:
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


def _original(readings_by_batch: list[list[Reading]], start: int, end: int) -> tuple[DeviceActivity, ...]:
    """The original collect_points grouping + metered_activity loop over the same batches."""
    from ledger.accounting.metered import ACTIVITY_OF, GENERATION

    series: dict[bytes, tuple[Measured, list[Point]]] = {}
    for batch in readings_by_batch:
        for reading in batch:
            if reading.quantity not in ACTIVITY_OF and reading.quantity not in GENERATION:
                continue
            kind, points = series.setdefault(reading.device_id, (reading.quantity, []))
            points.append(Point(reading.timestamp, reading.sequence, reading_quantity(reading)))
    out = []
    for device_id in sorted(series):
        quantity, points = series[device_id]
        activity = ACTIVITY_OF.get(quantity) or GENERATION[quantity]
        result = _original_device_activity(device_id, activity, sorted(points, key=lambda p: p.sequence), start, end)
        if result is not None:
            out.append(result)
    return tuple(out)


def _columnar(readings_by_batch: list[list[Reading]], start: int, end: int) -> tuple[DeviceActivity, ...]:
    """Through the evidence bytes: encode each batch, decode it column-wise, group, difference."""
    series: dict[bytes, MeterSeries] = {}
    for batch in readings_by_batch:
        data = encode_batch(2, [SignedReading(r.encode(), bytes(64)) for r in batch])
        add_readings(series, evidence_readings(data)[1])
    return interval_activity(series, start, end)


def _meter(rng: random.Random, index: int, count: int) -> list[Reading]:
    """One meter's readings in sequence order: 15-minute steps with jitter, gaps, repeats, resets."""
    quantity, unit = KINDS[index % len(KINDS)]
    scale = rng.choice((-3, -3, -2, 0, 1))
    value = (2**70, 2**63 - 10_000 * count)[index // 5 % 2] if index % 5 == 4 else rng.randrange(10**7)  # beyond int64
    t = T0 - rng.randrange(2 * DAY)
    out = []
    for seq in range(1, count + 1):
        mixed = scale if not (index % 7 == 6 and seq % 50 == 0) else scale - 1  # some meters change scale
        out.append(Reading(bytes([index + 1]) * 32, seq, t, quantity, unit, mixed, value * (10 if mixed != scale else 1)))
        roll = rng.random()
        t += 0 if roll < 0.01 else rng.randrange(4, 30) * 900 if roll < 0.03 else 900 + rng.choice((0, 0, 0, -7, 5))
        value = rng.randrange(10**4) if rng.random() < 0.005 else value + rng.randrange(0, 40_000)
    return out


def _batches(rng: random.Random, meters: list[list[Reading]], size: int) -> list[list[Reading]]:
    """Arrival order (interval by interval across meters, a little shuffled), cut into canonical-order batches."""
    arrival = sorted((r for m in meters for r in m), key=lambda r: (r.timestamp + rng.randrange(-1800, 1800), r.device_id))
    batches = [arrival[i:i + size] for i in range(0, len(arrival), size)]
    rng.shuffle(batches)  # anchored in any order
    return [[s.reading for s in canonical_order([SignedReading(r.encode(), bytes(64)) for r in b])] for b in batches]


def test_columnar_path_equals_the_original_on_a_generated_fleet() -> None:
    rng = random.Random(2022)
    meters = [_meter(rng, i, rng.randrange(600, 1400)) for i in range(14)]
    batches = _batches(rng, meters, 997)
    spans = [(T0, T0 + DAY), (T0 + 3 * DAY, T0 + 10 * DAY), (T0 - 5 * DAY, T0 + 30 * DAY),
             *((T0 + rng.randrange(-DAY, 9 * DAY), 0) for _ in range(12))]
    checked = 0
    for start, end in spans:
        end = end or start + rng.randrange(1, 4 * DAY)
        expected = _original(batches, start, end)
        assert _columnar(batches, start, end) == expected
        checked += sum(len(d.estimates) + d.counter_resets for d in expected)
    assert checked > 50  # the cases that take the slow road were really exercised
    series: dict[bytes, MeterSeries] = {}
    for batch in batches:
        add_readings(series, evidence_readings(encode_batch(2, [SignedReading(r.encode(), bytes(64)) for r in batch]))[1])
    kinds = sorted((m.points is not None, type(m.values).__name__) for m in series.values())
    assert kinds.count((False, "array")) >= 8 and (False, "list") in kinds and (True, "array") in kinds


_STEPS = st.sampled_from((900, 900, 900, 900, 899, 901, 0, 5400, 45_000))


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.tuples(_STEPS, st.integers(-5_000, 20_000)), min_size=1, max_size=60),
    scale=st.integers(-4, 3),
    offset=st.integers(-3_600, 40_000),
    length=st.integers(1, 50_000),
    split=st.integers(1, 30),
)
def test_columnar_path_equals_the_original_for_any_meter(steps, scale, offset, length, split) -> None:
    t, value, readings = T0, 50_000, []
    for seq, (step, change) in enumerate(steps, 1):
        readings.append(Reading(b"\x07" * 32, seq, t, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, scale, value))
        t, value = t + step, max(0, value + change)  # a negative change below zero reads as a reset
    batches = [readings[i:i + split] for i in range(0, len(readings), split)][::-1]  # collected backwards
    start = T0 + offset
    assert _columnar(batches, start, start + length) == _original(batches, start, start + length)


def test_readings_of_instantaneous_quantities_are_left_out_as_before() -> None:
    power = [Reading(b"\x03" * 32, s, T0 + s * 900, Measured.ACTIVE_POWER, Unit.KW, -3, 5) for s in range(1, 9)]
    energy = [Reading(b"\x03" * 32, s, T0 + s * 900, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3, s * 1000)
              for s in range(9, 20)]
    batches = [sorted(power + energy, key=lambda r: r.sequence)]
    assert _columnar(batches, T0, T0 + DAY) == _original(batches, T0, T0 + DAY) != ()


def test_evidence_columns_decode_like_decode_batch() -> None:
    rng = random.Random(5)
    readings = [r for i in range(3) for r in _meter(rng, i, 40)]
    data = encode_batch(9, [SignedReading(r.encode(), bytes(range(64))) for r in readings])
    institution, columns = evidence_readings(data)
    decoded = [s.reading for s in decode_batch(data).readings]
    assert institution == 9 and len(columns) == len(decoded)
    assert list(zip(columns.device_ids, columns.sequences, columns.timestamps, columns.quantities, columns.units,
                    columns.scales, columns.values)) == \
        [(r.device_id, r.sequence, r.timestamp, int(r.quantity), int(r.unit), r.scale, r.value) for r in decoded]


def test_an_energy_reading_in_a_power_unit_is_refused_as_before() -> None:
    batches = [[Reading(b"\x05" * 32, 1, T0, Measured.ACTIVE_ENERGY_IMPORT, Unit.KW, -3, 5)]]
    with pytest.raises(UnitMismatch) as original:
        _original(batches, T0, T0 + DAY)
    with pytest.raises(UnitMismatch) as columnar:
        _columnar(batches, T0, T0 + DAY)
    assert str(columnar.value) == str(original.value)
