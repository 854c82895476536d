"""The auditor's check: from chain events and evidence alone, re-derive every anchored batch.

For each institution's batch chain it checks the links (each anchor names its predecessor,
indexes run 1..n, the last root is the contract's latestRoot), the contract's stored record,
the evidence (present, its CID recomputed, well-formed, for this institution, the counts and
time range that were anchored), every reading's signature against the key the registry says
was valid for that device and sequence, that no (device, sequence) appears twice, and that the
leaves give the anchored root. Nothing here trusts the oracle or any database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from ledger.batch import BatchFormatError, EvidenceBatch, decode_batch
from ledger.chain.clients import AnchoredBatch, KeyEpoch, LedgerContracts
from ledger.chain.connection import ContractRevert
from ledger.device_keys import key_for_sequence
from ledger.encoding import EncodingError, decode_reading
from ledger.evidence import EvidenceError, EvidenceStore, compute_cid
from ledger.signing import verify_signature

ZERO_ROOT = bytes(32)


class Problem(str, Enum):
    CHAIN_BROKEN = "batch chain broken"
    CHAIN_HEAD_MISMATCH = "latest root differs from the last anchored batch"
    RECORD_MISMATCH = "on-chain record differs from the anchor event"
    EVIDENCE_MISSING = "evidence missing"
    EVIDENCE_CID_MISMATCH = "evidence bytes do not hash to the anchored CID"
    EVIDENCE_MALFORMED = "evidence is not a valid batch file"
    EVIDENCE_HEADER_MISMATCH = "evidence header differs from the anchor"
    READING_MALFORMED = "reading cannot be decoded"
    UNKNOWN_DEVICE = "device not registered"
    DEVICE_OF_OTHER_INSTITUTION = "device registered to another institution"
    NO_KEY = "no key valid for this sequence"
    BAD_SIGNATURE = "signature does not verify against the key valid for this sequence"
    DUPLICATE_READING = "(device, sequence) counted twice"
    ROOT_MISMATCH = "recomputed Merkle root differs from the anchored root"


@dataclass(frozen=True)
class Finding:
    problem: Problem
    batch_root: bytes | None
    detail: str
    reading_index: int | None = None
    device_id: bytes | None = None
    sequence: int | None = None

    def describe(self) -> str:
        where = f"batch 0x{self.batch_root.hex()}" if self.batch_root else "ledger"
        if self.reading_index is not None:
            where += f", reading #{self.reading_index}"
            if self.device_id is not None:
                where += f" (device 0x{self.device_id.hex()[:16]}…, seq {self.sequence})"
        return f"{where}: {self.problem.value}: {self.detail}"


@dataclass
class VerificationReport:
    institutions: int = 0
    batches: int = 0
    readings: int = 0
    signatures_checked: int = 0
    devices: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


class _Keys:
    """Key histories read once per device from the registry."""

    def __init__(self, contracts: LedgerContracts) -> None:
        self.contracts = contracts
        self.cache: dict[bytes, tuple[int, tuple[KeyEpoch, ...]] | None] = {}

    def lookup(self, device_id: bytes) -> tuple[int, tuple[KeyEpoch, ...]] | None:
        if device_id not in self.cache:
            try:
                device = self.contracts.devices.device(device_id)
                self.cache[device_id] = (device.institution_id, tuple(self.contracts.devices.key_history(device_id)))
            except ContractRevert as exc:
                if exc.name != "UnknownDevice":
                    raise
                self.cache[device_id] = None
        return self.cache[device_id]


def verify_ledger(
    contracts: LedgerContracts,
    evidence: EvidenceStore,
    institution_id: int | None = None,
    on_batch: Callable[[AnchoredBatch], None] | None = None,
) -> VerificationReport:
    """Walk every anchored batch (of one institution, or all) and report every discrepancy."""
    report = VerificationReport()
    keys = _Keys(contracts)
    seen: dict[tuple[bytes, int], bytes] = {}
    chains: dict[int, list[AnchoredBatch]] = {}
    for batch in contracts.attestations.anchored_batches(institution_id=institution_id):
        chains.setdefault(batch.institution_id, []).append(batch)
    report.institutions = len(chains)
    for inst, batches in chains.items():
        _check_chain(contracts, inst, batches, report)
        for batch in batches:
            _check_batch(contracts, evidence, batch, keys, seen, report)
            report.batches += 1
            if on_batch is not None:
                on_batch(batch)
    report.devices = len(keys.cache)
    return report


def _check_chain(contracts: LedgerContracts, inst: int, batches: list[AnchoredBatch], report: VerificationReport) -> None:
    previous = ZERO_ROOT
    for expected_index, batch in enumerate(batches, 1):
        if batch.previous_root != previous or batch.index != expected_index:
            report.findings.append(Finding(
                Problem.CHAIN_BROKEN, batch.root,
                f"institution {inst}: batch #{batch.index} names previous 0x{batch.previous_root.hex()}, "
                f"expected batch #{expected_index} after 0x{previous.hex()} (an anchor event is missing or altered)"))
        previous = batch.root
    head = contracts.attestations.latest_root(inst)
    if head != previous:
        report.findings.append(Finding(
            Problem.CHAIN_HEAD_MISMATCH, head,
            f"institution {inst}: contract's latest root is 0x{head.hex()}, events end at 0x{previous.hex()}"))


def _check_batch(contracts, evidence, batch: AnchoredBatch, keys: _Keys, seen, report: VerificationReport) -> None:
    def find(problem: Problem, detail: str, **where: object) -> None:
        report.findings.append(Finding(problem, batch.root, detail, **where))

    record = contracts.attestations.batch(batch.root)
    anchored = (batch.institution_id, batch.index, batch.reading_count, batch.first_timestamp, batch.last_timestamp)
    stored = (record.institution_id, record.index, record.reading_count, record.first_timestamp, record.last_timestamp)
    if anchored != stored:
        find(Problem.RECORD_MISMATCH, f"event says {anchored}, contract stores {stored}")
    try:
        data = evidence.cat(batch.evidence_cid)
    except EvidenceError as exc:
        find(Problem.EVIDENCE_MISSING, f"CID {batch.evidence_cid}: {exc}")
        return
    actual_cid = compute_cid(data, cid_version=1 if batch.evidence_cid.startswith("b") else 0)
    if actual_cid != batch.evidence_cid:
        find(Problem.EVIDENCE_CID_MISMATCH, f"anchored {batch.evidence_cid}, bytes hash to {actual_cid}")
    try:
        parsed = decode_batch(data)
    except BatchFormatError as exc:
        find(Problem.EVIDENCE_MALFORMED, str(exc))
        return
    _check_header(parsed, batch, find)
    _check_readings(parsed, batch, keys, seen, report, find)
    root = parsed.tree().root
    if root != batch.root:
        find(Problem.ROOT_MISMATCH, f"evidence gives 0x{root.hex()}")


def _check_header(parsed: EvidenceBatch, batch: AnchoredBatch, find) -> None:
    if parsed.institution_id != batch.institution_id:
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence is for institution {parsed.institution_id}, anchored for {batch.institution_id}")
    if len(parsed.readings) != batch.reading_count:
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence holds {len(parsed.readings)} readings, anchor says {batch.reading_count}")
    span = (parsed.first_timestamp, parsed.last_timestamp)
    if span != (batch.first_timestamp, batch.last_timestamp):
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence spans {span}, anchor says {(batch.first_timestamp, batch.last_timestamp)}")


def _check_readings(parsed: EvidenceBatch, batch: AnchoredBatch, keys: _Keys, seen, report: VerificationReport, find) -> None:
    for index, signed in enumerate(parsed.readings):
        report.readings += 1
        try:
            reading = decode_reading(signed.payload)
        except EncodingError as exc:
            find(Problem.READING_MALFORMED, str(exc), reading_index=index)
            continue
        where = {"reading_index": index, "device_id": reading.device_id, "sequence": reading.sequence}
        device = keys.lookup(reading.device_id)
        if device is None:
            find(Problem.UNKNOWN_DEVICE, "no DeviceRegistered for this id", **where)
            continue
        device_institution, history = device
        if device_institution != batch.institution_id:
            find(Problem.DEVICE_OF_OTHER_INSTITUTION, f"device belongs to institution {device_institution}", **where)
        key = key_for_sequence(history, reading.sequence)
        if key is None:
            find(Problem.NO_KEY, "sequence precedes every registered key", **where)
        else:
            report.signatures_checked += 1
            if not verify_signature(signed, key):
                find(Problem.BAD_SIGNATURE, f"key 0x{key.hex()[:16]}…", **where)
        pair = (reading.device_id, reading.sequence)
        if pair in seen:
            find(Problem.DUPLICATE_READING, f"already in batch 0x{seen[pair].hex()}", **where)
        else:
            seen[pair] = batch.root

