"""Activity from attested readings: exact differencing, flagged estimates, only anchored evidence counts."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from ledger.accounting.engine import account
from ledger.accounting.errors import NoActivityData
from ledger.accounting.factors import Period
from ledger.accounting.metered import (
    MeterSeries,
    UnverifiedEvidence,
    collect_points,
    metered_activity,
    period_bounds,
    split_period,
)
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity
from ledger.encoding import DeviceKind, Quantity as Measured, Reading, Unit
from ledger.merkle import MerkleTree, input_batch_leaf
from ledger.signing import sign_reading
from oracles.simulator import SimulatedMeter
from tests.oracles.conftest import node, register  # noqa: F401  (node: a fixture)

DAY = Period(date(2022, 3, 1), date(2022, 3, 1))
START, END = period_bounds(DAY)
HOUR = 3600


def _readings(meter: SimulatedMeter, times: list[int], kwh_per_hour: int = 10, reset_after: int | None = None):
    """Cumulative kWh rising kwh_per_hour per hour from 1000 kWh at the day's start."""
    out = []
    for seq, t in enumerate(times, 1):
        value = Decimal(1000) + Decimal(kwh_per_hour) * Decimal(t - START) / HOUR
        if reset_after is not None and t > reset_after:
            value -= Decimal(1000) + Decimal(kwh_per_hour) * Decimal(reset_after - START) / HOUR
        reading = Reading(meter.device_id, seq, t, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3, int(value * 1000))
        out.append(sign_reading(reading, meter.key))
    return out


@pytest.fixture
def anchor(contracts, tree, node):
    def _anchor(*readings):
        report = node.ingest(("t", r) for r in readings)
        assert not report.rejected, report.rejected_by_reason()
        return node.flush()
    return _anchor


@pytest.fixture
def kwh_meter(contracts, tree) -> SimulatedMeter:
    return register(contracts, tree.building, SimulatedMeter.create("kwh", DeviceKind.ELECTRICITY_METER, b"m", START))


def _activity(contracts, node, tree, period=DAY):
    series, roots = collect_points(contracts, node.evidence, tree.institution, *period_bounds(period))
    return metered_activity(tree.institution, period, series, roots)


def test_hourly_readings_on_the_boundaries_give_the_exact_total(contracts, tree, node, anchor, kwh_meter) -> None:
    anchors = anchor(*_readings(kwh_meter, [START + h * HOUR for h in range(-2, 27)]))
    activity = _activity(contracts, node, tree)
    assert activity.totals == {"electricity.grid": Quantity("240.000", "kWh")}
    assert activity.estimates == ()
    assert activity.batch_roots == tuple(sorted(a.root for a in anchors))
    leaves = [input_batch_leaf(r) for r in sorted(a.root for a in anchors)]
    assert activity.input_root == MerkleTree(leaves).root


def test_boundaries_between_readings_are_interpolated_and_flagged(contracts, tree, node, anchor, kwh_meter) -> None:
    anchor(*_readings(kwh_meter, [START + h * HOUR + 1800 for h in range(-2, 26)]))
    activity = _activity(contracts, node, tree)
    assert activity.totals["electricity.grid"] == Quantity("240.000", "kWh")
    assert [e.method.endswith("(period boundary)") for e in activity.estimates] == [True, True]
    assert sum(e.amount.value for e in activity.estimates) == Decimal("10.000")  # half an hour at each end


def test_a_gap_is_interpolated_and_reported(contracts, tree, node, anchor, kwh_meter) -> None:
    times = [START + h * HOUR for h in range(-1, 26) if not 8 <= h <= 13]
    anchor(*_readings(kwh_meter, times))
    activity = _activity(contracts, node, tree)
    assert activity.totals["electricity.grid"] == Quantity("240.000", "kWh")
    (gap,) = activity.estimates
    assert (gap.start, gap.end, gap.amount) == (START + 7 * HOUR, START + 14 * HOUR, Quantity("70.000", "kWh"))
    assert "gap" in gap.method


def test_a_counter_reset_counts_from_zero_and_is_reported(contracts, tree, node, anchor, kwh_meter) -> None:
    anchor(*_readings(kwh_meter, [START + h * HOUR for h in range(0, 25)], reset_after=START + 12 * HOUR))
    (device,) = _activity(contracts, node, tree).devices
    assert device.counter_resets == 1
    assert device.amount == Quantity("240.000", "kWh")


def test_a_period_without_anchored_readings_is_refused(contracts, tree, node, anchor, kwh_meter) -> None:
    anchor(*_readings(kwh_meter, [START + h * HOUR for h in range(0, 25)]))
    with pytest.raises(NoActivityData):
        _activity(contracts, node, tree, Period(date(2022, 6, 1), date(2022, 6, 30)))


def test_tampered_evidence_is_never_counted(contracts, tree, node, anchor, kwh_meter) -> None:
    (batch,) = anchor(*_readings(kwh_meter, [START + h * HOUR for h in range(0, 25)]))
    path = next(p for p in node.evidence.root.rglob(batch.evidence_cid))
    data = bytearray(path.read_bytes())
    data[-70] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(UnverifiedEvidence, match=batch.root.hex()):
        _activity(contracts, node, tree)


def test_days_add_up_to_the_month_and_order_does_not_matter(contracts, tree, node, anchor, kwh_meter) -> None:
    month = Period(date(2022, 3, 1), date(2022, 3, 3))
    anchor(*_readings(kwh_meter, [START + h * 5400 for h in range(-1, 50)]))
    series, roots = collect_points(contracts, node.evidence, tree.institution, *period_bounds(month))
    whole = metered_activity(tree.institution, month, series, roots).totals["electricity.grid"]
    days = [metered_activity(tree.institution, d, series, roots).totals["electricity.grid"] for d in split_period(month, "day")]
    assert whole == Quantity("720.000", "kWh") and sum(d.value for d in days) == whole.value
    rng = random.Random(7)
    shuffled = {k: (m.quantity, rng.sample(m.as_points(), len(m))) for k, m in series.items()}
    assert metered_activity(tree.institution, month, shuffled, roots[::-1]) == metered_activity(tree.institution, month, series, roots)
    columns = {}
    for k, m in series.items():
        order = rng.sample(range(len(m)), len(m))
        columns[k] = MeterSeries(m.quantity, m.unit, m.scale)
        columns[k].extend(*([column[i] for i in order] for column in (m.sequences, m.timestamps, m.values)), m.unit, m.scale)
    assert metered_activity(tree.institution, month, columns, roots) == metered_activity(tree.institution, month, series, roots)


def test_metered_activity_feeds_the_accounting_engine(contracts, tree, node, anchor, kwh_meter) -> None:
    anchor(*_readings(kwh_meter, [START + h * HOUR for h in range(0, 25)]))
    activity = _activity(contracts, node, tree)
    result = account(activity.emission_activities, PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022, DAY)
    assert result.total == Quantity("136.872", "kgCO2e")  # 240 kWh × 0.5703 tCO2/MWh
    assert result.scope_totals_chain()[2] == 136_872


def test_split_period_by_month_clips_to_the_period() -> None:
    parts = split_period(Period(date(2022, 1, 15), date(2022, 3, 10)), "month")
    assert [(p.start, p.end) for p in parts] == [
        (date(2022, 1, 15), date(2022, 1, 31)), (date(2022, 2, 1), date(2022, 2, 28)), (date(2022, 3, 1), date(2022, 3, 10))]
