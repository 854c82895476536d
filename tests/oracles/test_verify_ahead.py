"""Signatures verified while the oracle anchors (RunPolicy.verify_while_anchoring): the workers really hold the
next readings during `flush`, and the spool, the rejections and the batches are exactly those of the runner that
verifies nothing ahead. Presubmitted readings whose device view changed, or whose pool was closed, are planned
again rather than trusted."""

from __future__ import annotations

import hashlib
import time

import pytest

from ledger.signing import generate_device_key
from oracles.runner import OracleRunner, RunPolicy
from oracles.signature_pool import SignaturePool
from oracles.sources import QueueSource
from tests.oracles.conftest import START
from tests.oracles.meters import registered_meter, watched_node

FAST = dict(backoff_initial_seconds=0.01, backoff_max_seconds=0.05, idle_wait_seconds=0.01)


def _feed(meters, forger) -> list:
    """26 items from three meters: in order, with two replays, a frame twice, a forged one and a late one."""
    a, b, c = meters
    items = []
    for s in range(1, 9):
        items += [a.sign(s, START + s * 900, 100 + s), b.sign(s, START + s * 900, 200 + s),
                  c.sign(s, START + s * 900, 300 + s)]
    items[10] = a.sign(3, START + 3 * 900, 103)  # replayed
    items[17] = b.sign(2, START + 2 * 900, 202)  # replayed
    items[20] = c.sign(9, START + 9 * 900, 309, key=forger)  # forged
    items[23] = items[22]  # the same frame twice in a row
    items += [a.sign(10, START + 10 * 900, 110), a.sign(9, START + 9 * 900, 109)]  # 9 arrives after 10
    return [(f"q{i}", item) for i, item in enumerate(items)]


def _run(node, feed, overlap: bool) -> list[int]:
    """Run to idle with the whole feed queued before the first step; the pool's calls in flight at each
    batch's "prepared" point (after the previous ingest, before its anchor is sent)."""
    source = QueueSource()
    for label, item in feed:
        source.put(label, item)
    source.close()
    runner = OracleRunner(node, [source], RunPolicy(**FAST, batch_size=10, max_items_per_step=10,
                                                     verify_while_anchoring=overlap, exit_when_idle=True))
    runner.start()
    deadline = time.monotonic() + 30
    while runner._queue.qsize() < len(feed) + 1:  # every item and the end mark: steps take exactly 10
        assert time.monotonic() < deadline, "the source's thread did not queue the feed"
        time.sleep(0.01)
    in_flight: list[int] = []
    node.step_hook = lambda step, _: in_flight.append(node.signatures.outstanding) if step == "prepared" else None
    runner.run()
    return in_flight


def _outcome(node) -> tuple:
    rows = node.spool.db.execute("SELECT id, device_id, sequence, timestamp, record, batch_root FROM readings "
                                 "ORDER BY id").fetchall()
    rejects = [{k: v for k, v in e.items() if k != "at"} for e in node.rejects.entries()]
    batches = [(b.root, b.first_id, b.last_id, b.reading_count, b.state) for b in node.spool.batches()]
    return rows, rejects, batches


def test_workers_verify_the_next_readings_during_anchoring_with_the_same_outcome(contracts, tree, tmp_path) -> None:
    meters = [registered_meter(contracts, tree.building, f"ahead-{n}") for n in ("a", "b", "c")]
    forger = generate_device_key(hashlib.sha256(b"ahead-forger").digest())
    feed = _feed(meters, forger)
    outcomes, in_flight = [], {}
    for overlap in (False, True):
        node = watched_node(contracts, tree.institution, tmp_path / f"oracle-{overlap}")
        node.signatures = SignaturePool(2, chunk=8)  # 10 records a step: sent to the workers, not verified inline
        try:
            in_flight[overlap] = _run(node, feed, overlap)
            outcomes.append(_outcome(node))
        finally:
            node.close()
    plain, ahead = outcomes
    assert ahead == plain
    rows, rejects, batches = ahead
    assert len(rows) == 22 and [b[3] for b in batches] == [10, 10, 2]
    assert sorted(r["reason"] for r in rejects) == ["bad_signature", "replayed", "replayed", "replayed"]
    # the runner that anchors the full batches with the next step's readings already taken has handed their
    # signatures to the workers first; the other never has a call in flight while it anchors
    # (the next step takes the rest and the end of the feed, so the last two are anchored with nothing queued)
    assert in_flight == {False: [0, 0, 0], True: [1, 0, 0]}


def test_a_presubmitted_chunk_is_planned_again_when_its_device_was_suspended_meanwhile(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "ahead-suspended")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    node.signatures = SignaturePool(2, chunk=8)
    try:
        readings = [(f"s{s}", meter.sign(s, START + s * 900, 100 + s)) for s in range(1, 13)]
        ahead = node.presubmit(readings)
        assert ahead is not None and node.signatures.outstanding == 1
        contracts.devices.suspend(meter.device_id, "calibration")
        node.directory.forget()  # the directory learns of the suspension (its cache lifetime is over)
        report = node.ingest(readings, ahead=ahead)
        assert report.accepted == 0 and report.rejected_by_reason() == {"device_suspended": 12}
        assert node.signatures.outstanding == 0
    finally:
        node.close()


def test_a_presubmitted_chunk_is_submitted_again_after_the_pool_was_closed(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "ahead-closed")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    node.signatures = SignaturePool(2, chunk=8)
    try:
        readings = [(f"c{s}", meter.sign(s, START + s * 900, 100 + s)) for s in range(1, 13)]
        ahead = node.presubmit(readings)
        node.signatures.close()  # e.g. another ingest failed meanwhile: its calls in flight are gone
        assert node.ingest(readings, ahead=ahead).accepted == 12
        with pytest.raises(ValueError, match="presubmitted readings first"):
            node.ingest(readings[1:], ahead=node.presubmit(readings))
    finally:
        node.close()
