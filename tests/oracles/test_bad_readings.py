"""Every kind of bad reading gets its own reason, lands in the rejects log, and costs nothing accepted."""

from __future__ import annotations

import time

from ledger.encoding import DeviceKind, Quantity, Reading, Unit
from ledger.signing import SignedReading, generate_device_key, sign_reading
from oracles.rejects import RejectReason
from oracles.simulator import SimulatedMeter
from tests.oracles.conftest import START, register


def _ingest(node, *readings: SignedReading):
    return node.ingest((f"test:{i}", r) for i, r in enumerate(readings))


def _reasons(report) -> list[RejectReason]:
    return [r.reason for r in report.rejected]


def _resign(signed: SignedReading, key, **changes) -> SignedReading:
    fields = {name: getattr(signed.reading, name) for name in Reading.__dataclass_fields__}
    fields.update(changes)
    return sign_reading(Reading(**fields), key)


def test_good_readings_are_accepted_and_anchored_once(node, meter) -> None:
    report = _ingest(node, *meter.readings(5))
    assert (report.accepted, report.rejected) == (5, [])
    anchors = node.flush()
    assert [a.reading_count for a in anchors] == [5]
    assert node.contracts.attestations.is_anchored(anchors[0].root)
    assert node.flush() == []  # nothing pending, nothing anchored twice


def test_forged_signature_is_rejected(node, meter) -> None:
    good = meter.next_reading()
    forged = SignedReading(good.payload, bytes(64))
    assert _reasons(_ingest(node, forged)) == [RejectReason.BAD_SIGNATURE]
    impostor = sign_reading(good.reading, generate_device_key(b"\x07" * 32))
    assert _reasons(_ingest(node, impostor)) == [RejectReason.BAD_SIGNATURE]


def test_reading_from_unregistered_device_is_rejected(node, contracts, tree) -> None:
    stranger = SimulatedMeter.create("not-registered", DeviceKind.WATER_METER, b"t", START)
    assert _reasons(_ingest(node, stranger.next_reading())) == [RejectReason.UNKNOWN_DEVICE]


def test_readings_from_suspended_and_retired_devices_are_rejected(node, meter, contracts) -> None:
    contracts.devices.suspend(meter.device_id, "meter opened for calibration")
    node.directory.forget()
    assert _reasons(_ingest(node, meter.next_reading())) == [RejectReason.DEVICE_SUSPENDED]
    contracts.devices.retire(meter.device_id, "replaced")
    node.directory.forget()
    assert _reasons(_ingest(node, meter.next_reading())) == [RejectReason.DEVICE_RETIRED]


def test_reading_signed_with_rotated_out_key_is_rejected(node, meter, contracts) -> None:
    first = list(meter.readings(3))
    old_key = meter.key
    meter.rotate_key(b"rotation-1")
    contracts.devices.rotate_key(meter.device_id, meter.public_key, 4)
    late_old = sign_reading(meter.next_reading().reading, old_key)  # seq 4 signed by the old key
    report = _ingest(node, *first, late_old)
    assert report.accepted == 3
    assert _reasons(report) == [RejectReason.ROTATED_OUT_KEY]
    fresh = meter.next_reading()  # seq 5 under the new key
    assert _ingest(node, fresh).accepted == 1


def test_replayed_device_sequence_is_rejected_even_after_restart(node, meter, contracts, tree, tmp_path) -> None:
    readings = list(meter.readings(3))
    assert _ingest(node, *readings).accepted == 3
    assert _reasons(_ingest(node, readings[1])) == [RejectReason.REPLAYED]
    node.flush()
    node.spool.close()
    from tests.oracles.conftest import make_node

    restarted = make_node(contracts, tree.institution, tmp_path / "oracle")
    assert _reasons(_ingest(restarted, readings[2])) == [RejectReason.REPLAYED]
    restarted.spool.close()


def test_future_and_backwards_timestamps_are_rejected(node, meter) -> None:
    one, two = meter.readings(2)
    future = _resign(meter.next_reading(), meter.key, timestamp=int(time.time()) + 3600)
    backwards = _resign(meter.next_reading(), meter.key, timestamp=two.reading.timestamp - 1)
    report = _ingest(node, one, two, future, backwards)
    assert report.accepted == 2
    assert _reasons(report) == [RejectReason.TIMESTAMP_IN_FUTURE, RejectReason.TIMESTAMP_BACKWARDS]


def test_out_of_order_reading_fitting_between_neighbours_is_accepted(node, meter) -> None:
    one, two, three = meter.readings(3)
    assert _ingest(node, one, three).accepted == 2
    assert _ingest(node, two).accepted == 1
    squeezed = _resign(two, meter.key, sequence=2, timestamp=three.reading.timestamp + 1)
    assert _reasons(_ingest(node, squeezed)) == [RejectReason.REPLAYED]


def test_unit_mismatch_and_wrong_institution_are_rejected(node, meter, contracts, tree) -> None:
    wrong_unit = _resign(meter.next_reading(), meter.key, unit=Unit.WH, quantity=Quantity.ACTIVE_ENERGY_IMPORT)
    assert _reasons(_ingest(node, wrong_unit)) == [RejectReason.UNIT_MISMATCH]
    from ledger.chain.clients import NodeKind

    other = contracts.organizations.create_node(tree.district, NodeKind.INSTITUTION, "Another office")
    elsewhere = register(contracts, other, SimulatedMeter.create("elsewhere", DeviceKind.WATER_METER, b"t", START))
    assert _reasons(_ingest(node, elsewhere.next_reading())) == [RejectReason.WRONG_INSTITUTION]


def test_rejects_are_logged_and_accepted_readings_survive(node, meter) -> None:
    good = list(meter.readings(4))
    bad = SignedReading(good[0].payload[:60] + bytes(8), good[0].signature)
    report = _ingest(node, good[0], bad, good[1], good[0], good[2], good[3])
    assert report.accepted == 4
    assert report.rejected_by_reason() == {"bad_signature": 1, "replayed": 1}
    logged = node.rejects.entries()
    assert [e["reason"] for e in logged] == ["bad_signature", "replayed"]
    assert logged[1]["sequence"] == 1 and logged[1]["source"] == "test:3"
    anchors = node.flush()
    assert sum(a.reading_count for a in anchors) == 4
