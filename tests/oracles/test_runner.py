"""The running oracle: batches by size or window, rides out a chain outage, a dead evidence store and a reorg,
and takes duplicates and restarts from a file without losing or repeating anything."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
from web3.exceptions import TransactionNotFound

from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from ledger.chain.deployment import deploy_contracts
from ledger.chain.devchain import DEV_CHAIN_ID, start_anvil
from ledger.evidence import KuboEvidenceStore, LocalEvidenceStore
from ledger.verification import verify_ledger
from oracles.drivers.mqtt import BrokerAddress, ReadingPublisher, ReadingSubscriber
from oracles.jsonl import signed_reading_to_json
from oracles.process import connect_for_oracle
from oracles.runner import Backoff, OracleRunner, RunPolicy
from oracles.signature_pool import SignaturePool
from oracles.sources import JsonlTail, QueueSource
from tests.conftest import Tree, settings_for
from tests.oracles.conftest import START
from tests.oracles.meters import Clock, registered_meter, watched_node

FAST = dict(backoff_initial_seconds=0.01, backoff_max_seconds=0.05, idle_wait_seconds=0.01)


def _runner(node, sources, clock=None, **policy) -> OracleRunner:
    extra = {} if clock is None else {"clock": clock}
    return OracleRunner(node, sources, RunPolicy(**{**FAST, **policy}), **extra)


def _step_until(runner: OracleRunner, done, steps: int = 400) -> list:
    reports = []
    for _ in range(steps):
        reports.append(runner.step())
        if done(reports[-1]):
            return reports
    raise AssertionError(f"not done after {steps} steps; last error: {runner.anchoring.last_error}")


def _series(meter, first: int, count: int, start_value: int = 100) -> list:
    return [meter.sign(s, START + s * 900, start_value + s) for s in range(first, first + count)]


def _spooled(node) -> int:
    return node.spool.db.execute("SELECT count(*) FROM readings").fetchone()[0]


def _anchored_count(node) -> int:
    return sum(b.reading_count for b in node.spool.batches() if b.state == "anchored")


def test_batches_close_by_size_or_by_window_whichever_comes_first(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "runner-window")
    clock = Clock(0.0)
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    source = QueueSource()
    for i, r in enumerate(_series(meter, 1, 12)):
        source.put(f"q{i}", r)
    runner = _runner(node, [source], clock, batch_size=5, batch_window_seconds=60)
    _step_until(runner, lambda _: node.spool.pending_count() == 2 and _anchored_count(node) == 10)
    assert [b.reading_count for b in node.spool.batches()] == [5, 5]  # full batches go at once
    clock.advance(30)
    runner.step()
    assert node.spool.pending_count() == 2  # the window is not over: the two keep waiting
    clock.advance(31)
    runner.step()
    assert [b.reading_count for b in node.spool.batches()] == [5, 5, 2]
    node.spool.close()


def test_readings_whose_spooling_failed_are_held_and_spooled_on_the_next_step(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "runner-held")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    source = QueueSource()
    for i, r in enumerate(_series(meter, 1, 4)):
        source.put(f"h{i}", r)
    source.close()
    accept, failures = node.spool.accept, []

    def failing_once(*args):
        if not failures:
            failures.append(args)
            raise sqlite3.OperationalError("disk I/O error")
        return accept(*args)

    node.spool.accept = failing_once
    runner = _runner(node, [source], batch_size=4)
    reports = _step_until(runner, lambda report: report.idle)
    assert failures and any(r.error and "disk I/O error" in r.error for r in reports)
    assert _anchored_count(node) == 4 and node.rejects.entries() == []  # nothing lost, nothing refused
    node.spool.close()


@pytest.fixture
def own_chain(tmp_path, compiled):
    """A chain of the test's own, with its state on disk, that the test can stop and start again."""
    state = tmp_path / "anvil" / "state.json"
    devchain = start_anvil(state_file=state)
    settings = settings_for(devchain.rpc_url, tmp_path / "zcl")
    chain = connect(settings)
    contracts = LedgerContracts.attach(chain, deploy_contracts(chain))
    tree = Tree(contracts)
    contracts.devices.authorize_oracle(tree.institution, chain.account.address)
    box = {"devchain": devchain}
    yield box, settings, contracts, tree, state
    box["devchain"].stop()


def test_chain_down_for_minutes_readings_spool_and_anchor_later(own_chain, tmp_path) -> None:
    box, settings, contracts, tree, state = own_chain
    meter = registered_meter(contracts, tree.building, "outage-kwh")
    latecomer = registered_meter(contracts, tree.building, "outage-never-seen")
    folder = tmp_path / "oracle"
    node = watched_node(contracts, tree.institution, folder)
    source = QueueSource()
    runner = _runner(node, [source], batch_size=4)
    for i, r in enumerate(_series(meter, 1, 4)):
        source.put(f"a{i}", r)
    _step_until(runner, lambda _: _anchored_count(node) == 4)

    box["devchain"].stop()  # the chain node goes away
    for i, r in enumerate(_series(meter, 5, 4) + _series(latecomer, 1, 2)):
        source.put(f"b{i}", r)
    _step_until(runner, lambda report: _spooled(node) == 8 and node.spool.deferred_count() == 2 and report.error)
    assert "ConnectionError" in runner.anchoring.last_error and node.spool.state()["last_error"]
    assert _anchored_count(node) == 4  # the known device's readings were accepted, its new ones wait
    node.spool.close()

    # the oracle restarts while the chain is still down: it starts anyway (chain id configured) and
    # checks signatures against the registry view it kept in the spool
    chain = connect_for_oracle(settings.model_copy(update={"chain_id": DEV_CHAIN_ID}), threading.Event(),
                               Backoff(0.01, 0.05, lambda: 0.0))
    offline = LedgerContracts.attach(chain, contracts.attestations.deployment)
    node = watched_node(offline, tree.institution, folder)
    source = QueueSource()
    runner = _runner(node, [source], batch_size=4)
    for i, r in enumerate(_series(meter, 9, 2)):
        source.put(f"c{i}", r)
    source.close()
    _step_until(runner, lambda report: _spooled(node) == 10 and report.error)
    assert _anchored_count(node) == 4 and node.spool.deferred_count() == 2

    box["devchain"] = start_anvil(port=box["devchain"].port, state_file=state)  # back, with its state
    _step_until(runner, lambda report: report.idle)
    assert (node.spool.pending_count(), node.spool.deferred_count(), _anchored_count(node)) == (0, 0, 12)
    report = verify_ledger(offline, LocalEvidenceStore(folder / "evidence"), tree.institution)
    assert report.ok and report.readings == 12, [f.describe() for f in report.findings]
    node.spool.close()


@pytest.mark.parametrize("store", ["folder blocked by a file", "kubo unreachable"])
def test_evidence_store_down_prepares_no_batch_and_retries(contracts, tree, tmp_path, store) -> None:
    meter = registered_meter(contracts, tree.building, f"evidence-{store[:5]}")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    working = node.evidence
    if store == "kubo unreachable":
        node.evidence = KuboEvidenceStore("/ip4/127.0.0.1/tcp/9", timeout=2)
    else:
        (tmp_path / "blocked").write_text("not a folder")
        node.evidence = LocalEvidenceStore(tmp_path / "blocked")
    source = QueueSource()
    for i, r in enumerate(_series(meter, 1, 3)):
        source.put(f"e{i}", r)
    source.close()
    runner = _runner(node, [source], batch_size=3)
    _step_until(runner, lambda report: report.error is not None)
    assert node.spool.batches() == [] and node.spool.pending_count() == 3  # nothing prepared, nothing lost
    node.evidence = working  # the store is back
    _step_until(runner, lambda report: report.idle)
    assert [b.reading_count for b in node.spool.batches()] == [3]
    assert verify_ledger(contracts, working, tree.institution).ok
    node.spool.close()


def test_a_reorg_that_drops_an_anchor_sends_the_batch_again(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "reorg-kwh")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    w3 = contracts.attestations.chain.w3
    source = QueueSource()
    for i, r in enumerate(_series(meter, 1, 3)):
        source.put(f"r{i}", r)
    source.close()
    runner = _runner(node, [source], batch_size=3, confirmations=2)
    snapshot = w3.provider.make_request("anvil_snapshot", [])["result"]
    _step_until(runner, lambda _: _anchored_count(node) == 3)
    [batch] = node.spool.batches()
    assert not batch.confirmed  # one block deep, two wanted

    assert w3.provider.make_request("evm_revert", [snapshot])["result"]  # the block holding the anchor is gone
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(batch.transaction_hash)
    reports = _step_until(runner, lambda report: batch.root in report.confirmed.reorged)
    _step_until(runner, lambda _: _anchored_count(node) == 3)
    [again] = node.spool.batches()
    assert again.root == batch.root and not again.confirmed  # the same batch, sent again (the same signed bytes, even)
    assert w3.eth.get_transaction_receipt(again.transaction_hash)["status"] == 1
    w3.provider.make_request("evm_mine", [])
    _step_until(runner, lambda report: report.idle)
    assert node.spool.batches()[0].confirmed and reports
    anchored = contracts.attestations.anchored_batches(institution_id=tree.institution)
    assert [b.root for b in anchored] == [batch.root]  # on chain exactly once
    assert verify_ledger(contracts, node.evidence, tree.institution).ok
    node.spool.close()


def _write_jsonl(path: Path, readings, mode: str = "w") -> None:
    with path.open(mode, encoding="utf-8") as f:
        for r in readings:
            f.write(signed_reading_to_json(r) + "\n")


def test_duplicate_lines_in_a_file_are_anchored_once(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "file-duplicates")
    readings = _series(meter, 1, 6)
    path = tmp_path / "readings.jsonl"
    _write_jsonl(path, readings + readings[1:3] + [readings[0]])
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    runner = _runner(node, [JsonlTail(path)], batch_size=4, exit_when_idle=True)
    runner.run()
    assert _anchored_count(node) == 6
    assert node.rejects.counts_by_reason() == {"replayed": 3}
    report = verify_ledger(contracts, node.evidence, tree.institution)
    assert report.ok and report.readings == 6
    node.spool.close()


def test_a_followed_file_resumes_from_its_checkpoint_after_a_restart(contracts, tree, tmp_path) -> None:
    meter = registered_meter(contracts, tree.building, "file-follow")
    path, checkpoint = tmp_path / "readings.jsonl", tmp_path / "oracle" / "sources" / "readings.json"
    readings = _series(meter, 1, 9)
    _write_jsonl(path, readings[:4])
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    stop = threading.Event()
    runner = OracleRunner(node, [JsonlTail(path, follow=True, checkpoint=checkpoint, poll_seconds=0.01, stop=stop)],
                          RunPolicy(**FAST, batch_size=2), stop=stop)
    _step_until(runner, lambda _: _anchored_count(node) == 4)
    with path.open("a", encoding="utf-8") as f:  # a line arrives in two writes, as a writer may flush it
        text = signed_reading_to_json(readings[4])
        f.write(text[:40])
        f.flush()
        runner.step()
        f.write(text[40:] + "\n")
    _step_until(runner, lambda _: node.spool.pending_count() + _anchored_count(node) == 5)
    stop.set()
    node.spool.close()

    _write_jsonl(path, readings[5:], mode="a")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    runner = _runner(node, [JsonlTail(path, checkpoint=checkpoint)], batch_size=2, exit_when_idle=True)
    runner.run()
    assert _anchored_count(node) == 9 and node.rejects.entries() == []  # resumed: nothing read twice
    node.spool.close()


def test_mqtt_frames_plug_in_as_a_source_and_are_anchored(contracts, tree, tmp_path) -> None:
    broker = BrokerAddress.parse(os.environ.get("ZCL_MQTT_BROKER", "127.0.0.1:1883"))
    try:
        socket.create_connection((broker.host, broker.port), timeout=1).close()
    except OSError as exc:
        pytest.skip(f"needs an MQTT broker at {broker} (Mosquitto; set ZCL_MQTT_BROKER): {exc}")
    meter = registered_meter(contracts, tree.building, "runner-mqtt")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    tag = uuid.uuid4().hex[:10]
    subscriber = ReadingSubscriber(tree.institution, broker, client_id=f"oracle-{tag}", session_expiry=60)
    subscriber.connect(timeout=10)
    publisher = ReadingPublisher(tree.institution, broker, client_id=f"meter-{tag}")
    publisher.connect(timeout=10)
    try:
        runner = _runner(node, [subscriber], batch_size=3)
        readings = _series(meter, 1, 6)
        for r in readings + readings[:2]:  # the collector repeats two frames, as QoS 1 may
            publisher.publish("collector-a", r)
        publisher.flush()
        _step_until(runner, lambda _: _anchored_count(node) == 6 and len(node.rejects.entries()) == 2)
        assert node.rejects.counts_by_reason() == {"replayed": 2}
        assert verify_ledger(contracts, node.evidence, tree.institution).ok
    finally:
        publisher.close()
        subscriber.close()
        node.spool.close()


def test_collector_messages_of_many_frames_are_verified_by_workers_and_anchored(contracts, tree, tmp_path) -> None:
    broker = BrokerAddress.parse(os.environ.get("ZCL_MQTT_BROKER", "127.0.0.1:1883"))
    try:
        socket.create_connection((broker.host, broker.port), timeout=1).close()
    except OSError as exc:
        pytest.skip(f"needs an MQTT broker at {broker} (Mosquitto; set ZCL_MQTT_BROKER): {exc}")
    meter = registered_meter(contracts, tree.building, "runner-mqtt-many")
    node = watched_node(contracts, tree.institution, tmp_path / "oracle")
    node.signatures = SignaturePool(2, chunk=8)
    tag = uuid.uuid4().hex[:10]
    subscriber = ReadingSubscriber(tree.institution, broker, client_id=f"oracle-{tag}", session_expiry=60)
    subscriber.connect(timeout=10)
    publisher = ReadingPublisher(tree.institution, broker, client_id=f"collector-{tag}")
    publisher.connect(timeout=10)
    try:
        runner = _runner(node, [subscriber], batch_size=20)
        readings = _series(meter, 1, 60)
        publisher.publish_many("collector-b", readings[:40])
        publisher.publish_many("collector-b", readings[30:])  # 10 frames again inside a message of 30
        publisher.flush()
        _step_until(runner, lambda _: _anchored_count(node) == 60 and len(node.rejects.entries()) == 10)
        assert node.rejects.counts_by_reason() == {"replayed": 10}
        assert [b.reading_count for b in node.spool.batches()] == [20, 20, 20]
        assert verify_ledger(contracts, node.evidence, tree.institution).ok
    finally:
        publisher.close()
        subscriber.close()
        node.close()
