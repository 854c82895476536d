"""Anchored batches, their readings and Merkle proofs, read from the chain and the evidence store.

This is the path until the indexer's tables serve batches; the rules (decoding, leaves, proofs)
are ledger's, never re-implemented here.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.errors import ApiError, not_found
from api.services.chain import ChainAccess
from ledger.batch import EvidenceBatch, decode_batch
from ledger.chain.clients import AnchoredBatch
from ledger.evidence import EvidenceError, open_evidence_store
from ledger.merkle import reading_leaf, verify_proof

ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class LoadedBatch:
    anchor: AnchoredBatch
    evidence: EvidenceBatch


def find_batch(chain: ChainAccess, root: bytes) -> AnchoredBatch:
    attestations = chain.contracts.attestations
    if not attestations.is_anchored(root):
        raise not_found(f"anchored batch 0x{root.hex()}")
    record = attestations.batch(root)
    for batch in attestations.anchored_batches(institution_id=record.institution_id):
        if batch.root == root:
            return batch
    raise not_found(f"BatchAnchored event of 0x{root.hex()}")


def load_batch(chain: ChainAccess, anchor: AnchoredBatch) -> LoadedBatch:
    settings = chain.settings
    try:
        data = open_evidence_store(settings.evidence_path, settings.ipfs_api).cat(anchor.evidence_cid)
        evidence = decode_batch(data)
    except (EvidenceError, ValueError) as exc:
        raise ApiError(409, "evidence_unavailable", f"evidence {anchor.evidence_cid} of batch 0x{anchor.root.hex()}: "
                       f"{exc}") from None
    if evidence.tree().root != anchor.root:
        raise ApiError(409, "evidence_mismatch", f"evidence {anchor.evidence_cid} does not re-derive root "
                       f"0x{anchor.root.hex()}")
    return LoadedBatch(anchor, evidence)


def reading_proof(chain: ChainAccess, loaded: LoadedBatch, index: int) -> dict[str, object]:
    readings = loaded.evidence.readings
    if index >= len(readings):
        raise not_found(f"reading {index} in batch 0x{loaded.anchor.root.hex()} ({len(readings)} readings)")
    signed = readings[index]
    tree = loaded.evidence.tree()
    leaf, proof = reading_leaf(signed), tree.proof(index)
    return {
        "root": "0x" + loaded.anchor.root.hex(), "index": index, "leaf": "0x" + leaf.hex(),
        "proof": ["0x" + p.hex() for p in proof], "payload": "0x" + signed.payload.hex(),
        "signature": "0x" + signed.signature.hex(),
        "verified_off_chain": verify_proof(leaf, proof, loaded.anchor.root),
        "verified_on_chain": chain.contracts.attestations.verify_reading(loaded.anchor.root, leaf, proof),
    }
