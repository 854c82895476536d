"""Batches anchored under an institution's k-of-n oracle quorum: awaiting, approved, counted."""

from __future__ import annotations

from sqlmodel import Session, select

from ledger.indexer.check import check_index
from ledger.indexer.models import BatchApproval, BatchQuorum, Quorum
from oracles.approvals import sign_approval


def test_quorum_approvals_and_counting_are_indexed(world, engine) -> None:
    ledger = world.contracts.attestations
    me, other = ledger.chain.account, world.verifier.attestations.chain.account
    world.contracts.devices.authorize_oracle(world.tree.institution, other.address)
    ledger.set_quorum(world.tree.institution, 2, [me.address, other.address])
    [anchor] = world.anchor(4)  # under the quorum: awaits two approvals
    indexer = world.indexer(engine)
    indexer.sync()
    root = "0x" + anchor.root.hex()
    with Session(engine) as s:
        quorum = s.get(Quorum, world.tree.institution)
        assert (quorum.threshold, quorum.oracles, quorum.set_by) == (2, [me.address, other.address], me.address)
        waiting = s.get(BatchQuorum, root)
        assert (waiting.required, waiting.approvals, waiting.counted) == (2, 0, False)
        assert s.get(BatchQuorum, "0x" + world.anchors[0].root.hex()) is None  # anchored before: counted at once
    approvals = [sign_approval(account, ledger.contract.address, ledger.chain.chain_id, anchor.root,
                               world.tree.institution) for account in (me, other)]
    ledger.approve_batch(anchor.root, [a.oracle for a in approvals], [a.signature for a in approvals])
    indexer.sync()
    with Session(engine) as s:
        counted = s.get(BatchQuorum, root)
        assert (counted.approvals, counted.counted, counted.counted_block) == (2, True, indexer.status().indexed)
        assert [(a.oracle, a.approvals) for a in s.exec(select(BatchApproval).order_by(BatchApproval.approvals))] == [
            (me.address, 1), (other.address, 2)]
    assert check_index(indexer).ok
