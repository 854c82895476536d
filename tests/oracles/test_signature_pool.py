"""The signature pool: worker processes give exactly the verdicts PyNaCl gives, and the oracle behind it
refuses exactly what it refuses without it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.signing import SIGNING_DOMAIN, SignedReading, generate_device_key, public_key_bytes, sign_reading
from oracles.rejects import RejectReason
from oracles.signature_pool import RECORD_LENGTH, SignaturePool, SignaturePoolError, verify_records
from tests.oracles.conftest import make_node

_KEYS = [generate_device_key(bytes([n]) * 32) for n in range(3)]


def _record(n: int, good: bool = True) -> bytes:
    key = _KEYS[n % len(_KEYS)]
    payload = bytes([1]) + bytes([n % 251]) * 32 + n.to_bytes(8, "big") + bytes(27)
    signature = key.sign(SIGNING_DOMAIN + payload).signature
    if not good:
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return public_key_bytes(key) + payload + signature


@pytest.fixture
def pool():
    pool = SignaturePool(2, chunk=4)
    yield pool
    pool.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=0, max_size=40))
def test_pool_verdicts_are_exactly_pynacl_verdicts_in_record_order(pool, pattern) -> None:
    records = b"".join(_record(n, good) for n, good in enumerate(pattern))
    assert pool.verify(records) == bytes(int(g) for g in pattern) == verify_records(records)


def test_submitted_calls_are_collected_in_any_order(pool) -> None:
    first = pool.submit(b"".join(_record(n) for n in range(10)))
    second = pool.submit(b"".join(_record(n, good=n != 3) for n in range(9)))
    assert pool.collect(second) == bytes([1, 1, 1, 0, 1, 1, 1, 1, 1])
    assert pool.collect(first) == bytes([1] * 10)


def test_a_record_under_the_wrong_key_is_bad() -> None:
    record = _record(0)
    swapped = public_key_bytes(_KEYS[1]) + record[32:]
    assert verify_records(record + swapped) == bytes([1, 0])


def test_bytes_that_are_not_whole_records_are_refused() -> None:
    with pytest.raises(ValueError, match=f"not a whole number of {RECORD_LENGTH}-byte records"):
        verify_records(_record(0)[:-1])


def test_a_killed_worker_is_a_clear_error_and_the_pool_starts_afresh(pool) -> None:
    pool.start()
    os.kill(pool.pids[0], signal.SIGKILL)
    records = b"".join(_record(n) for n in range(16))
    with pytest.raises(SignaturePoolError, match="signature worker"):
        pool.verify(records)
    assert pool.pids == []
    assert pool.verify(records) == bytes([1] * 16)  # new workers


def test_workers_exit_when_the_oracle_is_killed(tmp_path) -> None:
    """SIGKILL leaves no orphans: a worker's stdin closes with its oracle, and it returns."""
    script = ("from oracles.signature_pool import SignaturePool\n"
              "import sys, time\n"
              "pool = SignaturePool(2)\npool.start()\n"
              "print(*pool.pids, flush=True)\ntime.sleep(60)\n")
    oracle = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in oracle.stdout.readline().split()]
    assert len(pids) == 2
    oracle.kill()
    oracle.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------------------- the oracle with workers


@pytest.fixture
def pooled(contracts, tree, tmp_path):
    """An oracle whose every signature goes through two worker processes (chunk 1: no inline shortcut)."""
    node = make_node(contracts, tree.institution, tmp_path / "oracle")
    node.signatures = SignaturePool(2, chunk=1)
    yield node
    node.close()


def test_with_workers_good_readings_are_accepted_and_bad_ones_get_their_reasons(pooled, meter, contracts) -> None:
    first = list(meter.readings(4))
    forged = SignedReading(meter.next_reading().payload, bytes(64))  # sequence 5
    old_key = meter.key
    meter.rotate_key(b"pool-rotation")
    contracts.devices.rotate_key(meter.device_id, meter.public_key, 6)
    late_old = sign_reading(meter.next_reading().reading, old_key)  # sequence 6, signed by the rotated-out key
    under_new = [meter.next_reading(), meter.next_reading()]  # sequences 7 and 8
    report = pooled.ingest((f"t:{i}", r) for i, r in enumerate([*first, forged, late_old, *under_new, first[1]]))
    assert report.accepted == 6
    assert [(r.reason, r.sequence) for r in report.rejected] == [
        (RejectReason.BAD_SIGNATURE, 5), (RejectReason.ROTATED_OUT_KEY, 6), (RejectReason.REPLAYED, 2)]


def test_a_repeat_within_one_call_is_refused_once_the_first_is_spooled(pooled, meter) -> None:
    readings = list(meter.readings(3))
    report = pooled.ingest((f"t:{i}", r) for i, r in enumerate([*readings, readings[0], readings[2]]))
    assert report.accepted == 3
    assert [(r.reason, r.sequence) for r in report.rejected] == [(RejectReason.REPLAYED, 1), (RejectReason.REPLAYED, 3)]
    assert pooled.spool.db.execute("SELECT count(*) FROM readings").fetchone()[0] == 3


def test_many_readings_through_workers_are_all_spooled_in_chunks(contracts, tree, meter, tmp_path) -> None:
    node = make_node(contracts, tree.institution, tmp_path / "many")
    node.signatures = SignaturePool(2, chunk=64)
    try:
        readings = list(meter.readings(1_234))
        report = node.ingest((f"t:{i}", r) for i, r in enumerate(readings))
        assert (report.accepted, report.rejected) == (1_234, [])
        assert node.spool.pending_count() == 1_234
        assert [a.reading_count for a in node.flush()] == [1_000, 234]
    finally:
        node.close()
