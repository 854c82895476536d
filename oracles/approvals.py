"""An oracle's EIP-712 approval of an anchored batch, for institutions that require k of n oracles.

The typed data is the one AttestationLedger checks (contracts/AttestationLedger.sol):

    domain   EIP712Domain(name "ZCL AttestationLedger", version "1", chainId, verifyingContract = the ledger)
    message  BatchApproval(bytes32 root, uint64 institutionId)

An approval says "I, an oracle of this institution, vouch for this root": a co-signing oracle should
give it only after re-deriving the root from the batch's evidence itself (`approve_if_rederived`).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount

from ledger.batch import BatchFormatError, decode_batch
from ledger.chain.clients import AttestationLedgerClient
from ledger.evidence import EvidenceStore
from ledger.evidence.errors import EvidenceNotFound, InvalidCid

DOMAIN_NAME = "ZCL AttestationLedger"
DOMAIN_VERSION = "1"
_TYPES = {"BatchApproval": [{"name": "root", "type": "bytes32"}, {"name": "institutionId", "type": "uint64"}]}


class ApprovalRefused(RuntimeError):
    """This oracle will not vouch for the batch; `reason` says why."""

    def __init__(self, root: bytes, reason: str) -> None:
        super().__init__(f"batch 0x{root.hex()}: {reason}")
        self.root = root
        self.reason = reason


@dataclass(frozen=True)
class BatchApproval:
    root: bytes
    institution_id: int
    oracle: str  # checksummed address of the signer
    signature: bytes  # 65 bytes, r ‖ s ‖ v


def approval_message(ledger_address: str, chain_id: int, root: bytes, institution_id: int) -> SignableMessage:
    """The EIP-712 message an oracle signs to approve `root`."""
    domain = {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": ledger_address}
    return encode_typed_data(domain_data=domain, message_types=_TYPES,
                             message_data={"root": root, "institutionId": institution_id})


def sign_approval(account: LocalAccount, ledger_address: str, chain_id: int, root: bytes,
                  institution_id: int) -> BatchApproval:
    signed = Account.sign_message(approval_message(ledger_address, chain_id, root, institution_id), account.key)
    return BatchApproval(root, institution_id, account.address, bytes(signed.signature))


def approve_if_rederived(ledger: AttestationLedgerClient, evidence: EvidenceStore, account: LocalAccount,
                         root: bytes) -> BatchApproval:
    """Sign an approval of `root` only if the batch is anchored, needs approvals, and its evidence (fetched
    by the CID its anchor event names) re-derives exactly that root; ApprovalRefused otherwise."""
    if not ledger.is_anchored(root):
        raise ApprovalRefused(root, "not anchored")
    required, _ = ledger.approvals_of(root)
    if required == 0:
        raise ApprovalRefused(root, "anchored without a quorum: it needs no approvals")
    record = ledger.batch(root)
    [anchor] = [a for a in ledger.anchored_batches(institution_id=record.institution_id) if a.root == root]
    return rederive_and_sign(ledger, evidence, account, root, record.institution_id, anchor.evidence_cid)


def rederive_and_sign(ledger: AttestationLedgerClient, evidence: EvidenceStore, account: LocalAccount, root: bytes,
                      institution_id: int, evidence_cid: str) -> BatchApproval:
    """The check itself, for a batch whose anchor event is already known: fetch the evidence, rebuild the
    Merkle root, sign only if it is `root` of `institution_id`. Missing or unreadable evidence is a refusal;
    an evidence store that cannot be reached (EvidenceBackendError) is not, and propagates to be retried."""
    try:
        batch = decode_batch(evidence.cat(evidence_cid))
    except EvidenceNotFound:
        raise ApprovalRefused(root, f"evidence {evidence_cid} is missing from the evidence store") from None
    except (InvalidCid, BatchFormatError) as exc:
        raise ApprovalRefused(root, f"evidence {evidence_cid} is not a readable batch: {exc}") from None
    if batch.institution_id != institution_id or batch.tree().root != root:
        raise ApprovalRefused(root, f"evidence {evidence_cid} does not re-derive this root")
    return sign_approval(account, ledger.contract.address, ledger.chain.chain_id, root, institution_id)
