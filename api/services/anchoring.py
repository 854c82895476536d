"""Anchoring signed project steps in WorkflowLog: the step hash and the actor's signature go on chain.

The step is recorded in SQL first (the workflow never waits for the chain); anchoring follows with the
API's recorder account and is retried for every step still unanchored, so a chain outage delays
anchors but loses none. The contract checks the signature, so an anchor proves who signed the step.
"""

from __future__ import annotations

import logging
from threading import Lock

from sqlmodel import Session, select

from api.models import ProjectStep
from api.services.chain import ChainAccess
from ledger.chain.connection import ChainError, ContractRevert
from ledger.chain.workflow import WorkflowLogClient

log = logging.getLogger("api.anchoring")
_serial = Lock()  # one recorder key: its transactions go out one at a time (nonces)


def workflow_log(chain: ChainAccess) -> WorkflowLogClient | None:
    """The recorder's WorkflowLog client, or None when there is no recorder key or no WorkflowLog deployed."""
    recorder = chain.recorder()
    if recorder is None or "WorkflowLog" not in recorder.organizations.deployment.addresses:
        return None
    return WorkflowLogClient.of(recorder)


def anchor_pending(session: Session, chain: ChainAccess, project_id: int) -> int:
    """Anchor the project's unanchored steps in order; the number anchored now (0 without a recorder)."""
    try:
        client = workflow_log(chain)
    except ChainError as exc:
        log.warning("workflow anchoring unavailable: %s", exc)
        return 0
    if client is None:
        return 0
    anchored = 0
    steps = session.exec(select(ProjectStep).where(ProjectStep.project_id == project_id,
                                                   ProjectStep.anchor_tx.is_(None)).order_by(ProjectStep.id)).all()
    with _serial:
        for step in steps:
            try:
                anchor = client.record_step(project_id, step.step, bytes.fromhex(step.step_hash[2:]),
                                            step.actor_address, bytes.fromhex(step.signature[2:]))
                step.anchor_tx, step.anchor_block = anchor.tx.hash, anchor.tx.block_number
            except ContractRevert as exc:
                earlier = [a for a in client.anchors_of(project_id) if "0x" + a.step_hash.hex() == step.step_hash]
                if exc.name != "StepAlreadyRecorded" or not earlier:
                    log.warning("step %s of project %s not anchored: %s", step.step, project_id, exc)
                    break
                step.anchor_tx, step.anchor_block = earlier[0].tx.hash, earlier[0].tx.block_number
            except ChainError as exc:
                client.chain.resync()
                log.warning("step %s of project %s not anchored: %s", step.step, project_id, exc)
                break
            session.add(step)
            session.commit()
            anchored += 1
    return anchored
