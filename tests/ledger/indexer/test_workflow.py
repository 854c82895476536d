"""Retrofit-project steps anchored in WorkflowLog reach the index, names decoded, actors checked by the contract."""

from __future__ import annotations

from eth_account import Account
from sqlmodel import Session, select

from ledger.chain.workflow import WorkflowLogClient
from ledger.indexer.check import check_index
from ledger.indexer.models import WorkflowStep


def test_anchored_project_steps_are_indexed(world, engine) -> None:
    log = WorkflowLogClient.of(world.contracts)
    me = log.chain.account
    log.grant_recorder(me.address)
    digests = [b"\x01" * 32, b"\x02" * 32]
    for step, digest in zip(("proposal", "approval"), digests):
        signature = Account.unsafe_sign_hash(digest, me.key).signature
        log.record_step(7, step, digest, me.address, bytes(signature))
    indexer = world.indexer(engine)
    indexer.sync()
    with Session(engine) as s:
        steps = s.exec(select(WorkflowStep).order_by(WorkflowStep.block_number)).all()
    assert [(w.project_id, w.step, w.step_hash, w.actor) for w in steps] == [
        (7, "proposal", "0x" + digests[0].hex(), me.address), (7, "approval", "0x" + digests[1].hex(), me.address)]
    assert check_index(indexer).ok
