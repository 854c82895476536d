"""An anchored batch as an auditor sees it: the anchor, the evidence's readings, and proof checks.

`check_reading` is the page's "verify" action. It takes a reading from the batch's evidence, lets the
user change its value, re-encodes it with ledger/encoding.py and asks the AttestationLedger contract
itself (`verifyReadingBytes`: leaf hash and Merkle proof against the anchored root) as well as
ledger/merkle.py off-chain. An unchanged reading verifies; any edit changes the leaf, so it does not.
The device's signature is checked against the key the DeviceRegistry names for the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from ledger.batch import EvidenceBatch, decode_batch
from ledger.chain.clients import AnchoredBatch, LedgerContracts
from ledger.device_keys import key_for_sequence
from ledger.encoding import EncodingError, Reading, encode_reading, to_fixed_point
from ledger.evidence import EvidenceStore, compute_cid
from ledger.merkle import reading_leaf, verify_proof
from ledger.signing import SignedReading, verify_signature

from api.explorer.chain_view import NotFound

PAGE_SIZE = 100


class BadProofRequest(ValueError):
    """The verify form's input cannot be used (index out of range, value not a number); says which."""


@dataclass(frozen=True)
class ReadingRow:
    index: int
    device_id: str
    sequence: int
    timestamp: int
    quantity: str
    unit: str
    value: str
    leaf: str


@dataclass(frozen=True)
class BatchView:
    anchor: AnchoredBatch
    evidence_cid_recomputed: str
    root_recomputed: str
    re_derives: bool
    readings: list[ReadingRow]
    page: int
    pages: int


@dataclass(frozen=True)
class ProofCheck:
    index: int
    tampered: bool
    original_value: str
    checked_value: str
    leaf: str
    root: str
    proof: list[str]
    anchored: bool
    onchain_valid: bool
    offchain_valid: bool
    signature_valid: bool

    @property
    def valid(self) -> bool:
        return self.anchored and self.onchain_valid and self.offchain_valid and self.signature_valid


def parse_root(text: str) -> bytes:
    try:
        root = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise NotFound(f"{text} is not a batch root (32 bytes of hex)") from None
    if len(root) != 32:
        raise NotFound(f"{text} is not a batch root (32 bytes of hex)")
    return root


def find_batch(contracts: LedgerContracts, root: bytes) -> AnchoredBatch:
    for batch in contracts.attestations.anchored_batches():
        if batch.root == root:
            return batch
    raise NotFound(f"no batch anchored with root 0x{root.hex()}")


def batch_view(contracts: LedgerContracts, evidence: EvidenceStore, root: bytes, page: int = 1) -> BatchView:
    anchor = find_batch(contracts, root)
    data = evidence.cat(anchor.evidence_cid)
    parsed = decode_batch(data)
    tree_root = parsed.tree().root
    cid = compute_cid(data, cid_version=1 if anchor.evidence_cid.startswith("b") else 0)
    pages = max(1, -(-len(parsed.readings) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    first = (page - 1) * PAGE_SIZE
    rows = [_row(first + i, signed) for i, signed in enumerate(parsed.readings[first : first + PAGE_SIZE])]
    return BatchView(anchor, cid, "0x" + tree_root.hex(), cid == anchor.evidence_cid and tree_root == root,
                     rows, page, pages)


def check_reading(contracts: LedgerContracts, evidence: EvidenceStore, root: bytes, index: int,
                  value: str | None = None) -> ProofCheck:
    """Verify reading `index` of the batch, with its value replaced by `value` (decimal text) when given."""
    anchor = find_batch(contracts, root)
    parsed: EvidenceBatch = decode_batch(evidence.cat(anchor.evidence_cid))
    if not 0 <= index < len(parsed.readings):
        raise BadProofRequest(f"reading index {index} outside 0..{len(parsed.readings) - 1}")
    signed = parsed.readings[index]
    reading = signed.reading
    checked = reading if value is None else replace(reading, value=_mantissa(value, reading))
    submitted = SignedReading(encode_reading(checked), signed.signature)
    proof = parsed.tree().proof(index)
    leaf = reading_leaf(submitted)
    attest = contracts.attestations
    anchored = attest.is_anchored(root)
    key = key_for_sequence(contracts.devices.key_history(reading.device_id), reading.sequence)
    return ProofCheck(
        index=index, tampered=checked != reading, original_value=_text(reading), checked_value=_text(checked),
        leaf="0x" + leaf.hex(), root="0x" + root.hex(), proof=["0x" + p.hex() for p in proof], anchored=anchored,
        onchain_valid=anchored and attest.verify_reading_bytes(root, submitted.payload, submitted.signature, proof),
        offchain_valid=verify_proof(leaf, proof, root),
        signature_valid=key is not None and verify_signature(submitted, key))


def _mantissa(value: str, reading: Reading) -> int:
    try:
        return to_fixed_point(Decimal(value.strip()), reading.scale)
    except InvalidOperation:
        raise BadProofRequest(f"value {value!r} is not a number") from None
    except EncodingError as exc:
        raise BadProofRequest(f"value {value!r}: {exc.reason}") from None


def _text(reading: Reading) -> str:
    return format(reading.decimal_value, "f")


def _row(index: int, signed: SignedReading) -> ReadingRow:
    r = signed.reading
    return ReadingRow(index, "0x" + r.device_id.hex(), r.sequence, r.timestamp, r.quantity.name.lower(),
                      r.unit.name.lower(), _text(r), "0x" + reading_leaf(signed).hex())
