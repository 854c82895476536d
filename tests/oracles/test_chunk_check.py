"""The columnar chunk path (oracles/chunk_check.py) gives exactly the per-reading gate's verdicts and reasons.

Two oracles against the same registry on a real anvil: one ingests through `OracleNode.ingest` (chunks
decoded as columns, signatures through the signature pool, the usual reading accepted on its fields),
the other feeds every item to the per-reading path (`ReadingGate.check`, the specification). Random mixes of
valid, replayed, out-of-order, forged, wrong-unit, future, backwards-counter, over-rating, rotated-out-key,
suspended, unregistered and unparseable readings must give the same accepted count, the same rejections
(reason, detail, device, sequence) in the same order, the same spool rows in the same arrival order, the
same rejects log and the same alarms.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracles.node
from ledger.encoding import Quantity, Reading, Unit
from ledger.signing import SignedReading, generate_device_key, sign_reading
from oracles.node import IngestReport, OracleNode
from oracles.profiles import DeviceProfile
from oracles.rejects import ReadingRejected, RejectReason
from tests.oracles.conftest import START
from tests.oracles.meters import Clock, Meter, registered_meter, watched_node

HOUR = 3600
ROTATED_FROM = 4  # device "rotated" signs with its second key from this sequence
MUTATIONS = ("none", "none", "none", "none", "bad_signature", "short_signature", "wrong_unit", "future",
             "counter_backwards", "counter_reset", "jump", "timestamp_backwards", "old_key", "garbage", "parse_error")


@dataclass
class Fleet:
    meters: dict[str, Meter]
    old_key: object  # the rotated meter's first key


@pytest.fixture
def fleet(contracts, tree) -> Fleet:
    meters = {name: registered_meter(contracts, tree.building, f"chunk-{name}", quantity, unit)
              for name, quantity, unit in (("rated", Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH),
                                           ("plain", Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH),
                                           ("water", Quantity.WATER_VOLUME, Unit.M3),
                                           ("rotated", Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH),
                                           ("suspended", Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH))}
    rotated = meters["rotated"]
    old_key = rotated.key
    new = generate_device_key(hashlib.sha256(b"chunk-rotated-2").digest())
    contracts.devices.rotate_key(rotated.device_id, bytes(new.verify_key), ROTATED_FROM)
    rotated.key = new
    contracts.devices.suspend(meters["suspended"].device_id, "calibration")
    meters["stranger"] = Meter("chunk-stranger", generate_device_key(b"\x05" * 32),
                               Quantity.ACTIVE_ENERGY_IMPORT, Unit.KWH)  # never registered
    return Fleet(meters, old_key)


ITEM = st.tuples(st.sampled_from(("rated", "plain", "water", "rotated", "suspended", "stranger", "rated", "plain")),
                 st.integers(1, 9), st.sampled_from(MUTATIONS))


def _signed(fleet: Fleet, name: str, sequence: int, mutation: str) -> SignedReading | ReadingRejected:
    meter = fleet.meters[name]
    timestamp = START + 900 * sequence
    value = 1000 + 10 * sequence  # in the meter's unit, grows 10 per 15 minutes
    unit = meter.unit
    key = meter.key if not (name == "rotated" and sequence < ROTATED_FROM) else fleet.old_key
    if mutation == "parse_error":
        return ReadingRejected(RejectReason.MALFORMED, "not a frame")
    if mutation == "future":
        timestamp = START + 400 * 86400 * 10  # years ahead of any clock this runs on
    elif mutation == "counter_backwards":
        value -= 500
    elif mutation == "counter_reset":
        value = 2
    elif mutation == "jump":
        value += 900  # 900 kWh in 15 minutes: beyond the rated meter's 50 kW
    elif mutation == "timestamp_backwards":
        timestamp -= 1800
    elif mutation == "wrong_unit":
        unit = Unit.WH if meter.unit == Unit.KWH else Unit.LITRE
    elif mutation == "old_key" and name == "rotated":
        key = fleet.old_key
    reading = Reading(meter.device_id, sequence, timestamp, meter.quantity, unit, -3, value * 1000)
    signed = sign_reading(reading, key)
    if mutation == "bad_signature":
        return SignedReading(signed.payload, bytes(64))
    if mutation == "short_signature":
        return SignedReading(signed.payload, signed.signature[:40])
    if mutation == "garbage":
        return SignedReading(b"\x02" + signed.payload[1:], signed.signature)  # an encoding version nobody knows
    return signed


def _per_reading(node: OracleNode, items: list) -> IngestReport:
    """The specification: every item through `ReadingGate.check` and its side effects, one by one."""
    report = IngestReport()
    node.spool.db.execute("BEGIN")
    for source, item in items:
        node._ingest_one(source, item, report)
    node.spool.write_buffered()
    node.spool.db.execute("COMMIT")
    return report


def _facts(node: OracleNode) -> tuple:
    rows = node.spool.db.execute("SELECT device_id, sequence, timestamp, record FROM readings ORDER BY id").fetchall()
    rejects = [{k: v for k, v in e.items() if k != "at"} for e in node.rejects.entries()]
    alarms = [(a.kind, a.device_id, a.detail, a.readings) for a in node.alarms.store.list(include_resolved=True)]
    return rows, rejects, alarms


def _rejections(report: IngestReport) -> list[tuple]:
    return [(r.reason, r.detail, r.device_id, r.sequence) for r in report.rejected]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(ITEM, min_size=1, max_size=40), chunk=st.integers(1, 7), calls=st.integers(1, 3))
def test_the_chunk_path_gives_the_per_reading_gates_verdicts(contracts, tree, fleet, items, chunk, calls) -> None:
    sourced = [(f"prop:{i}", _signed(fleet, *item)) for i, item in enumerate(items)]
    with tempfile.TemporaryDirectory(prefix="chunk-check-") as folder:
        nodes, now = [], Clock(int(time.time()))  # one wall clock for both gates: "ahead by" details match
        for name in ("columns", "per-reading"):
            node = watched_node(contracts, tree.institution, Path(folder) / name, Clock(START + 30 * 86400))
            node.gate.clock = now
            node.profiles.set(DeviceProfile(fleet.meters["rated"].device_id, rating=Decimal("50")))
            nodes.append(node)
        columns, reference = nodes
        try:
            step = -(-len(sourced) // calls)
            with mock.patch.object(oracles.node, "_CHUNK", chunk):
                for start in range(0, len(sourced), step):
                    part = sourced[start:start + step]
                    got, expected = columns.ingest(part), _per_reading(reference, part)
                    assert (got.accepted, got.deferred) == (expected.accepted, expected.deferred)
                    assert _rejections(got) == _rejections(expected)
            assert _facts(columns) == _facts(reference)
        finally:
            for node in nodes:
                node.close()


def test_the_usual_readings_are_accepted_on_their_columns(contracts, tree, fleet, tmp_path) -> None:
    """The readings a live oracle mostly sees never reach the per-reading gate."""
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    meters = [fleet.meters[name] for name in ("rated", "plain", "water")]
    items = [(f"usual:{s}:{m.name}", m.sign(s, START + 900 * s, 1000 + s)) for s in range(1, 21) for m in meters]
    with mock.patch.object(node.gate, "check", side_effect=AssertionError("per-reading path taken")):
        report = node.ingest(items)
    assert (report.accepted, report.rejected) == (60, [])
    assert node.spool.db.execute("SELECT count(*) FROM readings").fetchone()[0] == 60
    unusual = fleet.meters["plain"].sign(21, START + 900 * 21, 5)  # a drop to near zero: a counter reset
    assert node.ingest([("reset", unusual)]).accepted == 1  # the gate decided it: accepted, and flagged
    assert [a.kind.value for a in node.alarms.store.list()] == ["counter_reset"]
    node.close()
