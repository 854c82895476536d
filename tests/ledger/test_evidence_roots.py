"""The persistent CID → Merkle root memo: accounting reuses roots computed before, a memo entry that
disagrees with the anchor is never believed, and a tampered memo cannot hide a wrong root from the
auditor, who recomputes every tree (real anvil, real contracts, real evidence store)."""

from __future__ import annotations

import sqlite3

import pytest

from ledger.accounting.metered import UnverifiedEvidence, collect_points, period_bounds
from ledger.batch import EvidenceBatch, canonical_order, evidence_root, forget_evidence_roots
from ledger.encoding import Quantity as Measured, Reading, Unit
from ledger.evidence_roots import MEMO_FILE, RootMemo, root_memo_for
from ledger.signing import sign_reading
from ledger.verification import Problem, verify_ledger
from tests.ledger.accounting.test_metered import DAY, HOUR, START, kwh_meter  # noqa: F401  (kwh_meter: a fixture)
from tests.oracles.conftest import node  # noqa: F401  (node: a fixture)

FAKE_ROOT = bytes(31) + b"\x01"


def _signed(meter, hours: range):
    return [sign_reading(Reading(meter.device_id, h + 10, START + h * HOUR, Measured.ACTIVE_ENERGY_IMPORT, Unit.KWH, -3,
                                 (1000 + 10 * h) * 1000), meter.key) for h in hours]


def _anchor_by_node(node, readings) -> tuple[bytes, str]:
    assert node.ingest((f"t:{i}", r) for i, r in enumerate(readings)).accepted == len(readings)
    [anchor] = node.flush()
    return anchor.root, anchor.evidence_cid


def _anchor_with_wrong_root(contracts, tree, store, readings) -> str:
    """Evidence stored under its true CID, anchored with a root it does not give (a faulty oracle)."""
    batch = EvidenceBatch(tree.institution, tuple(canonical_order(readings)))
    cid = store.add(batch.encode())
    ledger = contracts.attestations
    ledger.anchor_batch(tree.institution, FAKE_ROOT, ledger.latest_root(tree.institution), len(batch.readings),
                        batch.first_timestamp, batch.last_timestamp, cid)
    return cid


def _collect(contracts, node, tree):
    return collect_points(contracts, node.evidence, tree.institution, *period_bounds(DAY))


@pytest.fixture(autouse=True)
def cold():
    forget_evidence_roots()  # each test starts as a fresh process would
    yield
    forget_evidence_roots()


def test_roots_checked_once_are_kept_beside_the_evidence(contracts, tree, node, kwh_meter) -> None:
    root, cid = _anchor_by_node(node, _signed(kwh_meter, range(-2, 27)))
    memo = root_memo_for(node.evidence)
    assert memo is not None and memo.path == node.evidence.root / MEMO_FILE
    assert memo.get(cid) == root  # the oracle recorded the root of the evidence it anchored
    with sqlite3.connect(memo.path) as db:
        db.execute("DELETE FROM evidence_root WHERE cid = ?", (cid,))
    assert memo.get(cid) is None
    _collect(contracts, node, tree)  # accounting that had to build the tree records it too
    assert RootMemo(memo.path).get(cid) == root  # readable by any other process using the folder


def test_a_memo_entry_other_than_the_anchored_root_is_recomputed(contracts, tree, node, kwh_meter) -> None:
    root, cid = _anchor_by_node(node, _signed(kwh_meter, range(-2, 27)))
    memo = root_memo_for(node.evidence)
    memo.put(cid, FAKE_ROOT)
    series, roots = _collect(contracts, node, tree)
    assert roots == (root,) and memo.get(cid) == root  # recomputed, and the memo put right


def test_a_tampered_memo_is_caught_by_verification(contracts, tree, node, kwh_meter) -> None:
    _anchor_by_node(node, _signed(kwh_meter, range(-2, 13)))
    cid = _anchor_with_wrong_root(contracts, tree, node.evidence, _signed(kwh_meter, range(13, 27)))
    with pytest.raises(UnverifiedEvidence, match="does not give the anchored root"):
        _collect(contracts, node, tree)
    true_root = evidence_root(node.evidence.cat(cid))
    assert root_memo_for(node.evidence).get(cid) == true_root  # the memo records what the bytes give

    with sqlite3.connect(node.evidence.root / MEMO_FILE) as db:  # someone rewrites the memo to match the bad anchor
        db.execute("UPDATE evidence_root SET root = ? WHERE cid = ?", (FAKE_ROOT, cid))
    forget_evidence_roots()
    series, roots = _collect(contracts, node, tree)  # accounting trusts the memo: the CID pinned these bytes...
    assert FAKE_ROOT in roots

    forget_evidence_roots()
    findings = verify_ledger(contracts, node.evidence, tree.institution).findings  # ...the auditor recomputes
    assert [(f.problem, f.batch_root, f.detail) for f in findings] == [
        (Problem.ROOT_MISMATCH, FAKE_ROOT, f"evidence gives 0x{true_root.hex()}")]
    assert root_memo_for(node.evidence).get(cid) == true_root  # and puts the memo right
    forget_evidence_roots()
    with sqlite3.connect(node.evidence.root / MEMO_FILE) as db:
        db.execute("UPDATE evidence_root SET root = ? WHERE cid = ?", (FAKE_ROOT, cid))
    assert verify_ledger(contracts, node.evidence, tree.institution, trust_root_memo=True).ok  # only when told to trust


def test_a_memo_that_cannot_be_opened_only_costs_recomputation(tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"x")
    memo = RootMemo(blocker / MEMO_FILE)  # its folder cannot exist
    memo.put("Qm-anything", FAKE_ROOT)
    assert memo.get("Qm-anything") is None
