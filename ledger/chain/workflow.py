"""Typed client of WorkflowLog: anchors of retrofit-project step hashes, checked against the actor's signature."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak

from ledger.chain.clients import LedgerContracts
from ledger.chain.receipts import ReceiptClient, Transaction

RECORDER_ROLE = keccak(text="RECORDER_ROLE")


def step_label(step: str) -> bytes:
    """A step name as the contract's bytes32 (UTF-8, zero-padded on the right)."""
    raw = step.encode()
    if len(raw) > 32:
        raise ValueError(f"step name {step!r} is longer than 32 bytes")
    return raw.ljust(32, b"\x00")


@dataclass(frozen=True)
class StepAnchor:
    project_id: int
    step: str
    step_hash: bytes
    actor: str
    tx: Transaction


@dataclass(frozen=True)
class StepRecord:
    actor: str
    recorded_at: int  # 0 when never anchored


class WorkflowLogClient(ReceiptClient):
    NAME = "WorkflowLog"

    @classmethod
    def of(cls, contracts: LedgerContracts) -> "WorkflowLogClient":
        return cls(contracts.organizations.chain, contracts.organizations.deployment)

    def record_step(self, project_id: int, step: str, step_hash: bytes, actor: str, signature: bytes) -> StepAnchor:
        """Anchor a signed step (RECORDER_ROLE); SignatureNotByActor unless `actor` signed `step_hash`."""
        receipt = self._send("recordStep", project_id, step_label(step), step_hash, actor, signature)
        event = self._one(receipt, "StepRecorded")
        return StepAnchor(int(event["projectId"]), step, bytes(event["stepHash"]), event["actor"], Transaction.of(receipt))

    def record_of(self, step_hash: bytes) -> StepRecord:
        actor, recorded_at = self._call("recordOf", step_hash)
        return StepRecord(actor, int(recorded_at))

    def anchors_of(self, project_id: int, from_block: int = 0) -> list[StepAnchor]:
        """Every StepRecorded event of `project_id`, in chain order."""
        return [StepAnchor(project_id, bytes(a["step"]).rstrip(b"\x00").decode(), bytes(a["stepHash"]), a["actor"],
                           Transaction("0x" + log["transactionHash"].hex().removeprefix("0x"), log["blockNumber"], 0))
                for log in self._logs("StepRecorded", from_block, None, projectId=project_id) for a in (log["args"],)]

    def grant_recorder(self, account: str) -> Transaction:
        return Transaction.of(self._send("grantRole", RECORDER_ROLE, account))
