"""Anchoring: refused anchors lose nothing, and a crash between steps never anchors twice."""

from __future__ import annotations

import pytest

from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import ContractRevert, connect
from ledger.chain.devchain import DEV_PRIVATE_KEYS
from tests.conftest import settings_for
from tests.oracles.conftest import make_node


def _as_account(settings, deployment, key_index: int) -> LedgerContracts:
    return LedgerContracts.attach(connect(settings_for(settings.rpc_url, settings.data_dir, key_index)), deployment)


def test_unauthorised_oracle_is_refused_and_keeps_its_readings(settings, deployment, contracts, tree, meter, tmp_path) -> None:
    stranger = _as_account(settings, deployment, 2)
    node = make_node(stranger, tree.institution, tmp_path / "stranger")
    assert node.ingest(("t", r) for r in meter.readings(6)).accepted == 6
    with pytest.raises(ContractRevert) as caught:
        node.flush()
    assert caught.value.name == "NotAuthorizedOracle"
    assert caught.value.args_tuple == (tree.institution, stranger.devices.chain.account.address)
    contracts.devices.authorize_oracle(tree.institution, stranger.devices.chain.account.address)
    anchors = node.flush()  # the prepared batch is retried, not rebuilt or lost
    assert [a.reading_count for a in anchors] == [6]
    assert stranger.attestations.batch(anchors[0].root).reading_count == 6
    node.spool.close()


def test_revoked_oracle_can_no_longer_anchor(contracts, tree, node, meter) -> None:
    node.ingest(("t", r) for r in meter.readings(2))
    contracts.devices.revoke_oracle(tree.institution, contracts.devices.chain.account.address)
    with pytest.raises(ContractRevert, match="NotAuthorizedOracle"):
        node.flush()


def test_duplicate_root_is_refused_by_the_contract(contracts, tree) -> None:
    root = b"\x42" * 32
    contracts.attestations.anchor_batch(tree.institution, root, bytes(32), 1, 1, 1, "QmA")
    with pytest.raises(ContractRevert) as caught:
        contracts.attestations.anchor_batch(tree.institution, root, root, 1, 1, 1, "QmB")
    assert (caught.value.name, caught.value.args_tuple) == ("DuplicateRoot", (root,))


def test_crash_after_prepare_anchors_once_on_restart(contracts, tree, node, meter, tmp_path) -> None:
    node.ingest(("t", r) for r in meter.readings(5))
    prepared, _ = node._prepare(node.spool.pending(100))  # crash: evidence stored, batch recorded, no anchor sent
    node.spool.close()
    restarted = make_node(contracts, tree.institution, tmp_path / "oracle")
    anchors = restarted.flush()
    assert [(a.root, a.reading_count) for a in anchors] == [(prepared.root, 5)]
    assert restarted.flush() == []
    restarted.spool.close()


def test_crash_after_anchor_before_bookkeeping_is_not_anchored_twice(contracts, tree, node, meter, tmp_path) -> None:
    node.ingest(("t", r) for r in meter.readings(5))
    prepared, _ = node._prepare(node.spool.pending(100))
    readings = node.spool.batch_readings(prepared)
    first, last = readings[0].reading.timestamp, readings[-1].reading.timestamp
    contracts.attestations.anchor_batch(tree.institution, prepared.root, bytes(32), 5, first, last, prepared.evidence_cid)
    node.spool.close()  # crash: the anchor is mined but the spool still says "prepared"
    restarted = make_node(contracts, tree.institution, tmp_path / "oracle")
    anchors = restarted.flush()
    assert [(a.root, a.transaction_hash) for a in anchors] == [(prepared.root, None)]  # recognised, not re-sent
    assert contracts.attestations.latest_root(tree.institution) == prepared.root
    assert [b.state for b in restarted.spool.batches()] == ["anchored"]
    restarted.spool.close()


def test_an_anchor_by_another_oracle_meanwhile_is_followed_not_broken(settings, deployment, contracts, tree, meter,
                                                                     tmp_path) -> None:
    """The oracle remembers the institution's head instead of reading it per anchor; when another oracle
    anchored in between, the contract refuses the stale head and the oracle re-reads it and anchors once."""
    other = _as_account(settings, deployment, 3)
    contracts.devices.authorize_oracle(tree.institution, other.devices.chain.account.address)
    readings = list(meter.readings(6))
    mine = make_node(contracts, tree.institution, tmp_path / "mine")
    theirs = make_node(other, tree.institution, tmp_path / "theirs")
    mine.ingest(("t", r) for r in readings[:2])
    [first] = mine.flush()
    theirs.ingest(("t", r) for r in readings[2:4])
    [between] = theirs.flush()
    mine.ingest(("t", r) for r in readings[4:])
    [last] = mine.flush()  # its remembered head (`first`) is stale: refused once, read again, anchored
    ledger = contracts.attestations
    assert ledger.latest_root(tree.institution) == last.root
    assert [ledger.batch(a.root).reading_count for a in (first, between, last)] == [2, 2, 2]
    assert [(b.state, b.reading_count) for b in mine.spool.batches()] == [("anchored", 2), ("anchored", 2)]
    mine.spool.close()
    theirs.spool.close()
