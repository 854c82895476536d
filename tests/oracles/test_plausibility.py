"""Plausibility of cumulative counters: never backwards except by a reset or rollover, never faster than the rating."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.encoding import Quantity, Unit
from oracles.alarms import AlarmKind
from oracles.profiles import DeviceProfile
from oracles.rejects import RejectReason
from tests.oracles.conftest import START
from tests.oracles.meters import registered_meter, watched_node

HOUR = 3600


@pytest.fixture
def oracle(contracts, tree, tmp_path):
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    yield node
    node.spool.close()


@pytest.fixture
def kwh(contracts, tree):
    return registered_meter(contracts, tree.building, "plausibility-kwh")


def _ingest(node, *readings):
    return node.ingest((f"test:{i}", r) for i, r in enumerate(readings))


def _reasons(report) -> list[RejectReason]:
    return [r.reason for r in report.rejected]


def _alarms(node, kind: AlarmKind):
    return node.alarms.store.list(include_resolved=True, kind=kind)


def test_a_counter_that_runs_backwards_is_rejected_as_negative_consumption(oracle, kwh) -> None:
    report = _ingest(oracle, kwh.sign(1, START, "1000"), kwh.sign(2, START + 900, "1010"), kwh.sign(3, START + 1800, "1005"))
    assert report.accepted == 2 and _reasons(report) == [RejectReason.NEGATIVE_CONSUMPTION]
    assert "ran backwards" in report.rejected[0].detail
    assert _ingest(oracle, kwh.sign(4, START + 2700, "1012")).accepted == 1  # judged against sequence 2, not the refused 3


def test_a_counter_reset_to_near_zero_is_accepted_and_raised_as_an_event(oracle, kwh) -> None:
    report = _ingest(oracle, kwh.sign(1, START, "52000"), kwh.sign(2, START + 900, "52012.5"),
                     kwh.sign(3, START + 1800, "11.25"), kwh.sign(4, START + 2700, "23.5"))
    assert (report.accepted, report.rejected) == (4, [])
    [alarm] = _alarms(oracle, AlarmKind.COUNTER_RESET)
    assert alarm.readings == ((kwh.device_id, 2), (kwh.device_id, 3))
    assert "counter restarted" in alarm.detail and alarm.severity.value == "warning"


def test_a_drop_that_is_not_near_zero_is_not_taken_for_a_reset(oracle, kwh) -> None:
    report = _ingest(oracle, kwh.sign(1, START, "52000"), kwh.sign(2, START + 900, "30000"))
    assert _reasons(report) == [RejectReason.NEGATIVE_CONSUMPTION]
    assert _alarms(oracle, AlarmKind.COUNTER_RESET) == []


def test_a_jump_beyond_the_rating_is_rejected_and_the_counter_goes_on(oracle, kwh) -> None:
    oracle.profiles.set(DeviceProfile(kwh.device_id, rating=Decimal("50")))  # at most 50 kWh in an hour
    report = _ingest(oracle,
                     kwh.sign(1, START, "1000"),
                     kwh.sign(2, START + 900, "1012"),       # 12 kWh in 15 min: fine
                     kwh.sign(3, START + 1800, "1640"),      # a spike: 628 kWh in 15 min
                     kwh.sign(4, START + 2700, "1025"))      # back to normal, judged against sequence 2
    assert report.accepted == 3 and _reasons(report) == [RejectReason.IMPLAUSIBLE_JUMP]
    assert "more than rating 50/h allows" in report.rejected[0].detail
    assert oracle.rejects.entries()[0]["reason"] == "implausible_jump"


def test_without_a_rating_no_jump_is_judged(oracle, kwh) -> None:
    assert _ingest(oracle, kwh.sign(1, START, "1000"), kwh.sign(2, START + 900, "9000")).accepted == 2


def test_a_register_rollover_is_accepted_and_flagged(oracle, kwh) -> None:
    oracle.profiles.set(DeviceProfile(kwh.device_id, rating=Decimal("100"), counter_max=Decimal("99999.999")))
    report = _ingest(oracle, kwh.sign(1, START, "99990"), kwh.sign(2, START + 900, "4.5"))
    assert (report.accepted, report.rejected) == (2, [])
    [alarm] = _alarms(oracle, AlarmKind.COUNTER_ROLLOVER)
    assert "wrapped at 99999.999" in alarm.detail


def test_out_of_order_readings_are_judged_against_both_neighbours(oracle, kwh) -> None:
    one, two, three = kwh.sign(1, START, "100"), kwh.sign(2, START + 900, "105"), kwh.sign(3, START + 1800, "110")
    assert _ingest(oracle, one, three).accepted == 2
    assert _ingest(oracle, two).accepted == 1  # late, but fits between 100 and 110
    too_high = kwh.sign(5, START + 3600, "130")
    late_four = kwh.sign(4, START + 2700, "140")  # arrives after 5 and reads more than it
    assert _ingest(oracle, too_high).accepted == 1
    report = _ingest(oracle, late_four)
    assert _reasons(report) == [RejectReason.NEGATIVE_CONSUMPTION]
    assert "sequence 4 read 140" in report.rejected[0].detail


def test_out_of_order_reading_beyond_the_rating_is_rejected(oracle, kwh) -> None:
    oracle.profiles.set(DeviceProfile(kwh.device_id, rating=Decimal("10")))
    assert _ingest(oracle, kwh.sign(1, START, "100"), kwh.sign(3, START + 1800, "104")).accepted == 2
    # 3.5 kWh in the 15 minutes after sequence 1: more than 10 kW allows, though it fits below sequence 3
    assert _reasons(_ingest(oracle, kwh.sign(2, START + 900, "103.5"))) == [RejectReason.IMPLAUSIBLE_JUMP]
    assert _reasons(_ingest(oracle, kwh.sign(2, START + 900, "99"))) == [RejectReason.NEGATIVE_CONSUMPTION]
    assert _ingest(oracle, kwh.sign(2, START + 900, "102")).accepted == 1


def test_plausibility_survives_a_restart(oracle, kwh, contracts, tree, tmp_path) -> None:
    _ingest(oracle, kwh.sign(1, START, "500"))
    oracle.spool.close()
    restarted = watched_node(contracts, tree.institution, tmp_path / "oracle")
    assert _reasons(_ingest(restarted, kwh.sign(2, START + 900, "400"))) == [RejectReason.NEGATIVE_CONSUMPTION]
    restarted.spool.close()


def test_levels_are_not_counters(oracle, contracts, tree) -> None:
    amps = registered_meter(contracts, tree.building, "plausibility-amps", Quantity.CURRENT, Unit.AMPERE)
    assert _ingest(oracle, amps.sign(1, START, "40"), amps.sign(2, START + 60, "3")).accepted == 2


def test_duplicates_are_replays_before_they_are_judged(oracle, kwh) -> None:
    first = kwh.sign(1, START, "10")
    report = _ingest(oracle, first, first, kwh.sign(2, START + 900, "11"), first)
    assert report.accepted == 2 and _reasons(report) == [RejectReason.REPLAYED] * 2
