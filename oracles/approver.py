"""The running oracle's co-signing step (`zcl oracle run --approve`): k-of-n approvals without a person.

When an institution requires k of n oracles to approve each batch (AttestationLedger.setQuorum), every
batch anchored under that quorum waits for approvals. An oracle running with an Approver, between its
own anchors (oracles/runner.py), does what `zcl oracle approve` does by hand:

1. discover: reads the institution's BatchAnchored events from the block it scanned up to, as far as
   `confirmations` below the head (an approval of a batch a reorg then drops is wasted), and records
   each batch anchored under a quorum as `waiting` (oracles/approval_log.py);
2. decide, a few batches per step: fetch the batch's evidence by the CID its anchor event names, rebuild
   the Merkle root, and only if it is the anchored root sign the EIP-712 approval and submit it
   (oracles/approvals.py). Missing, unreadable or mismatched evidence is a refusal: logged, kept with
   its reason for `zcl oracle status`, never signed, never retried (a person decides, with
   `zcl oracle approve ROOT` once the evidence is repaired).

It approves the batches of OTHER oracles of the institution and, when this oracle is itself a member of
the quorum, its own: the anchoring oracle's approval is one of the k (with k = 2, one more oracle).
An oracle outside the current quorum approves nothing (the contract would refuse it) and says so.

Anything transient (the chain or the evidence store unreachable) raises, and the runner retries the
step with backoff; the log only records decisions, so a crash between signing and recording at worst
submits an approval that the contract then refuses as `AlreadyApproved`, recorded as approved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from ledger.chain.clients import AnchoredBatch, AttestationLedgerClient
from ledger.chain.connection import ContractRevert
from ledger.evidence import EvidenceStore
from oracles.approval_log import ApprovalEntry, ApprovalLog
from oracles.approvals import ApprovalRefused, rederive_and_sign

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApprovalPolicy:
    check_seconds: float = 5.0  # how often to look for new batches while nothing waits
    max_per_step: int = 4  # approvals submitted per runner step: each is a transaction
    max_delay_seconds: float = 60.0  # readings arriving postpone approving, but never longer than this


@dataclass
class ApprovalReport:
    found: int = 0
    approved: list[bytes] = field(default_factory=list)
    refused: list[tuple[bytes, str]] = field(default_factory=list)
    skipped: int = 0
    more_waiting: bool = False  # the step stopped at max_per_step
    note: str = ""  # why nothing could be approved (not a quorum member)


class Approver:
    def __init__(self, ledger: AttestationLedgerClient, evidence: EvidenceStore, account: LocalAccount,
                 institution_id: int, approvals: ApprovalLog, confirmations: int = 1,
                 policy: ApprovalPolicy | None = None) -> None:
        self.ledger = ledger
        self.evidence = evidence
        self.account = account
        self.institution_id = institution_id
        self.log = approvals
        self.confirmations = max(1, confirmations)
        self.policy = policy or ApprovalPolicy()

    def step(self) -> ApprovalReport:
        """Discover new batches, then decide up to `max_per_step` of those waiting."""
        report = ApprovalReport()
        threshold, members = self.ledger.quorum_of(self.institution_id)
        if self.account.address not in members:
            report.note = (f"institution {self.institution_id} requires no approvals (no quorum): nothing to approve"
                           if threshold == 0 else
                           f"{self.account.address} is not a member of institution {self.institution_id}'s quorum "
                           f"({threshold} of {len(members)}): it approves nothing")
            if self.log.note() != report.note:
                log.warning("%s", report.note)
                self.log.set_note(report.note)
            return report
        if self.log.note():
            self.log.set_note("")
        report.found = self._discover()
        waiting = self.log.waiting(self.policy.max_per_step + 1)
        report.more_waiting = len(waiting) > self.policy.max_per_step
        for entry in waiting[:self.policy.max_per_step]:
            self._decide(entry, report)
        return report

    def _discover(self) -> int:
        head = self.ledger.chain.w3.eth.block_number
        until = head - (self.confirmations - 1)
        start = (self.log.scanned_to() or -1) + 1
        if until < start:
            return 0
        found: list[tuple[AnchoredBatch, int]] = []
        for anchor in self.ledger.anchored_batches(from_block=start, to_block=until, institution_id=self.institution_id):
            required, _ = self.ledger.approvals_of(anchor.root)
            if required:
                found.append((anchor, required))
        self.log.found(found, until)
        return len(found)

    def _decide(self, entry: ApprovalEntry, report: ApprovalReport) -> None:
        root = entry.root
        required, given = self.ledger.approvals_of(root)
        if required == 0:  # a reorg dropped it since it was found (a re-anchored root is found again)
            self.log.decide(root, "skipped", "no longer anchored under a quorum")
            report.skipped += 1
            return
        if given >= required:
            self.log.decide(root, "skipped", f"already had {given} of {required} approvals")
            report.skipped += 1
            return
        try:
            approval = rederive_and_sign(self.ledger, self.evidence, self.account, root, self.institution_id,
                                         entry.evidence_cid)
        except ApprovalRefused as refused:
            self._refuse(entry, refused.reason, report)
            return
        try:
            receipt = self.ledger.approve_batch(root, [approval.oracle], [approval.signature])
        except ContractRevert as revert:
            if revert.name == "AlreadyApproved":
                self.log.decide(root, "approved", "approved before")
                report.approved.append(root)
                return
            self._refuse(entry, f"the contract refused the approval: {revert}", report)
            return
        tx = receipt["transactionHash"].hex()
        self.log.decide(root, "approved", transaction_hash=tx)
        report.approved.append(root)
        log.info("approved batch 0x%s (anchored by %s): %d of %d approvals, tx %s", root.hex()[:16],
                 entry.anchored_by, given + 1, required, tx)

    def _refuse(self, entry: ApprovalEntry, reason: str, report: ApprovalReport) -> None:
        self.log.decide(entry.root, "refused", reason)
        report.refused.append((entry.root, reason))
        log.warning("refused to approve batch 0x%s (anchored by %s): %s", entry.root.hex(), entry.anchored_by, reason)
