"""Exactly once: whatever kills the oracle and whenever, every accepted reading ends up in exactly one anchored batch.

Two angles: the real `zcl oracle run` process killed with SIGKILL mid-batch several times and restarted,
judged by the auditor's check and the spool; and a property test over any interleaving of ingest, flush,
crashes at each point of a batch's life, and restarts.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from ledger.batch import decode_batch
from ledger.chain.clients import NodeKind
from ledger.evidence import LocalEvidenceStore
from ledger.verification import verify_ledger
from oracles.jsonl import signed_reading_to_json
from tests.oracles.conftest import START
from tests.oracles.meters import registered_meter, watched_node

ZCL = Path(sys.executable).parent / "zcl"


def _pairs_on_chain(contracts, evidence, institution: int) -> list[tuple[bytes, int]]:
    pairs = []
    for batch in contracts.attestations.anchored_batches(institution_id=institution):
        pairs += [(r.payload[1:33], int.from_bytes(r.payload[33:41], "big"))
                  for r in decode_batch(evidence.cat(batch.evidence_cid)).readings]
    return pairs


def _spool_facts(path: Path) -> tuple[set[tuple[bytes, int]], int, list[str], int]:
    """(accepted pairs, readings in no batch, batch states, readings the batches count)."""
    db = sqlite3.connect(path)
    try:
        pairs = {(bytes(d), s) for d, s in db.execute("SELECT device_id, sequence FROM readings")}
        loose = db.execute("SELECT count(*) FROM readings WHERE batch_root IS NULL").fetchone()[0]
        states = [r[0] for r in db.execute("SELECT state FROM batches ORDER BY first_id")]
        counted = db.execute("SELECT coalesce(sum(reading_count), 0) FROM batches").fetchone()[0]
    finally:
        db.close()
    return pairs, loose, states, counted


def _progress(path: Path) -> tuple[int, int, str]:
    """(batches recorded, of which prepared, pid of the oracle that last reported running), read-only."""
    if not path.exists():
        return 0, 0, ""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
    try:
        batches, prepared = db.execute("SELECT count(*), count(*) FILTER (WHERE state='prepared') FROM batches").fetchone()
        pid = db.execute("SELECT value FROM oracle_state WHERE key='pid'").fetchone()
        return batches, prepared, pid[0] if pid else ""
    except sqlite3.OperationalError:  # tables not created yet
        return 0, 0, ""
    finally:
        db.close()


def _wait(process: subprocess.Popen, condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while process.poll() is None and not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_kill_9_mid_batch_again_and_again_loses_nothing_and_anchors_nothing_twice(settings, deployment, contracts,
                                                                                   tree, tmp_path) -> None:
    meters = [registered_meter(contracts, tree.building, f"kill9-{i}") for i in range(3)]
    readings = [m.sign(s, START + s * 900, 1000 + 7 * s) for s in range(1, 17) for m in meters]
    path = tmp_path / "readings.jsonl"
    path.write_text("".join(signed_reading_to_json(r) + "\n" for r in readings))
    env = {**os.environ, "ZCL_RPC_URL": settings.rpc_url, "ZCL_DATA_DIR": str(settings.data_dir),
           "ZCL_PRIVATE_KEY": settings.private_key, "ZCL_TEST_STEP_DELAY": "0.15"}
    args = [str(ZCL), "oracle", "run", "--institution", str(tree.institution), "--file", str(path), "--until-idle",
            "--batch-size", "3", "--batch-window", "0.2", "--backoff-max", "0.5"]
    spool = settings.data_dir / "oracle" / f"institution-{tree.institution}" / "spool.sqlite"
    rng = random.Random(4)
    kills = []
    for round_ in range(6):
        before = _progress(spool)[0]
        with (tmp_path / "oracle.log").open("ab") as log:
            process = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        if round_ % 2 == 0:  # kill while a new batch is prepared (the test hook holds it there ≥ 0.3 s)
            _wait(process, lambda: _progress(spool)[0] > before and _progress(spool)[1] > 0)
            time.sleep(rng.uniform(0, 0.1))
        else:  # kill at a random moment once the oracle runs
            _wait(process, lambda: _progress(spool)[2] == str(process.pid))
            time.sleep(rng.uniform(0, 1.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills.append(_progress(spool)[:2])
        process.wait(timeout=30)
    final = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stderr[-3000:]

    pairs, loose, states, counted = _spool_facts(spool)
    expected = {(r.payload[1:33], int.from_bytes(r.payload[33:41], "big")) for r in readings}
    assert len(kills) >= 3 and any(prepared for _, prepared in kills), kills  # some kills hit a batch mid-way
    assert pairs == expected and loose == 0 and counted == len(expected)
    assert set(states) == {"anchored"}
    evidence = LocalEvidenceStore(settings.evidence_path)
    report = verify_ledger(contracts, evidence, tree.institution)
    assert report.ok, [f.describe() for f in report.findings]
    on_chain = _pairs_on_chain(contracts, evidence, tree.institution)
    assert sorted(on_chain) == sorted(expected)  # each exactly once
    assert report.batches == len(states)


class SimulatedCrash(Exception):
    """The oracle process dies here (raised from the node's step hook or mid-ingest)."""


STEPS = st.one_of(
    st.tuples(st.just("ingest"), st.integers(1, 7), st.booleans()),  # n readings, with a repeat of an old one?
    st.tuples(st.just("flush"), st.booleans(), st.just(None)),
    st.tuples(st.just("crash"), st.sampled_from(["prepared", "anchored", "ingest"]), st.integers(0, 3)),
    st.tuples(st.just("restart"), st.none(), st.none()),
)


@hypothesis_settings(max_examples=20, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEPS, min_size=1, max_size=12))
def test_every_accepted_reading_lies_in_exactly_one_anchored_batch(contracts, tree, tmp_path, steps) -> None:
    tag = uuid.uuid4().hex[:10]
    institution = contracts.organizations.create_node(tree.district, NodeKind.INSTITUTION, f"property-{tag}")
    contracts.devices.authorize_oracle(institution, contracts.devices.chain.account.address)
    meters = [registered_meter(contracts, institution, f"property-{tag}-{i}") for i in range(2)]
    stream = [m.sign(s, START + s * 900, 10 * s) for s in range(1, 30) for m in meters]
    folder = tmp_path / tag
    fed = 0  # readings of `stream` handed to the oracle in committed ingests

    def reopen(old=None):
        if old is not None:
            old.spool.close()  # the process is gone: only what the spool committed survives
        return watched_node(contracts, institution, folder, batch_size=3)

    def crash_at(stage: str):
        def hook(reached: str, batch) -> None:
            if reached == stage:
                raise SimulatedCrash(stage)
        return hook

    node = reopen()
    for kind, a, b in steps:
        if kind == "ingest":
            batch = stream[fed:fed + a] + ([stream[0]] if b and fed else [])
            node.ingest((f"p{i}", r) for i, r in enumerate(batch))
            fed = min(len(stream), fed + a)
        elif kind == "flush":
            node.flush(force=a)
        elif kind == "crash" and a == "ingest":
            def dying(count=b):
                yield from ((f"d{i}", r) for i, r in enumerate(stream[fed:fed + count]))
                raise SimulatedCrash("ingest")
            with pytest.raises(SimulatedCrash):
                node.ingest(dying())
            node = reopen(node)  # nothing of the dying ingest was committed: the source will send it again
        elif kind == "crash":
            node.step_hook = crash_at(a)
            try:
                node.flush(force=True)
            except SimulatedCrash:
                pass
            node = reopen(node)
        else:
            node = reopen(node)
    node = reopen(node)
    node.flush(force=True)
    pairs, loose, states, counted = _spool_facts(folder / "spool.sqlite")
    node.spool.close()

    accepted = {(r.payload[1:33], int.from_bytes(r.payload[33:41], "big")) for r in stream[:fed]}
    assert pairs == accepted and loose == 0 and counted == len(accepted) and set(states) <= {"anchored"}
    on_chain = _pairs_on_chain(contracts, node.evidence, institution)
    assert sorted(on_chain) == sorted(accepted)
    assert verify_ledger(contracts, node.evidence, institution).ok
