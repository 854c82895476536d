"""The auditor's check: from chain events and evidence alone, re-derive every anchored batch.

For each institution's batch chain it checks the links (each anchor names its predecessor,
indexes run 1..n, the last root is the contract's latestRoot), the contract's stored record,
the evidence (present, its CID recomputed, well-formed, for this institution, the counts and
time range that were anchored), every reading's signature against the key the registry says
was valid for that device and sequence, that no (device, sequence) appears twice, and that the
leaves give the anchored root, and that a batch anchored under an institution's k-of-n quorum
has its k oracle approvals (without them it does not count). Nothing here trusts the oracle or any
database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from itertools import compress, islice, repeat
from operator import ne

from ledger.batch import BatchFormatError, EvidenceBatch, cached_evidence_root, decode_batch, evidence_readings
from ledger.chain.clients import AnchoredBatch, KeyEpoch, LedgerContracts
from ledger.chain.connection import ContractRevert
from ledger.device_keys import key_for_sequence, key_index_for_sequence
from ledger.encoding import EncodingError, Reading, ReadingColumns, decode_reading
from ledger.evidence import EvidenceError, EvidenceStore, compute_cid
from ledger.signature_batches import SignatureBatches

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
    NOT_APPROVED = "anchored under a quorum without the oracle approvals it requires: it does not count"


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
    workers: int = 0,
) -> VerificationReport:
    """Walk every anchored batch (of one institution, or all) and report every discrepancy.

    With `workers` > 0 the signatures are checked by that many processes; the findings are the same.
    """
    with SignatureBatches(workers) as signatures:
        return _verify_ledger(contracts, evidence, institution_id, on_batch, signatures)


def _verify_ledger(contracts, evidence, institution_id, on_batch, signatures: SignatureBatches) -> VerificationReport:
    report = VerificationReport()
    keys = _Keys(contracts)
    seen: dict[tuple[bytes, int], bytes] = {}
    chains: dict[int, list[AnchoredBatch]] = {}
    for batch in contracts.attestations.anchored_batches(institution_id=institution_id):
        chains.setdefault(batch.institution_id, []).append(batch)
    report.institutions = len(chains)
    quorum_batches = contracts.attestations.awaiting_approvals(institution_id) if chains else {}
    for inst, batches in chains.items():
        _check_chain(contracts, inst, batches, report)
        for batch in batches:
            _check_batch(contracts, evidence, batch, keys, seen, report, signatures)
            if batch.root in quorum_batches:
                _check_approvals(contracts, batch, report)
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


def _check_batch(contracts, evidence, batch: AnchoredBatch, keys: _Keys, seen, report: VerificationReport,
                 signatures: SignatureBatches) -> None:
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
    try:
        columns = evidence_readings(data)[1]
    except EncodingError:  # some reading is malformed: check them one by one, to name each
        _check_readings(parsed, batch, keys, seen, report, find, signatures)
    else:
        _check_columns(parsed, columns, batch, keys, seen, report, find, signatures)
    root = cached_evidence_root(actual_cid, data)  # keyed by the CID of these very bytes
    if root != batch.root:
        find(Problem.ROOT_MISMATCH, f"evidence gives 0x{root.hex()}")


def _check_approvals(contracts: LedgerContracts, batch: AnchoredBatch, report: VerificationReport) -> None:
    required, given = contracts.attestations.approvals_of(batch.root)
    if given < required:
        report.findings.append(Finding(Problem.NOT_APPROVED, batch.root,
                                       f"{given} of the {required} oracle approvals its quorum requires"))


def _check_header(parsed: EvidenceBatch, batch: AnchoredBatch, find) -> None:
    if parsed.institution_id != batch.institution_id:
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence is for institution {parsed.institution_id}, anchored for {batch.institution_id}")
    if len(parsed.readings) != batch.reading_count:
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence holds {len(parsed.readings)} readings, anchor says {batch.reading_count}")
    span = (parsed.first_timestamp, parsed.last_timestamp)
    if span != (batch.first_timestamp, batch.last_timestamp):
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence spans {span}, anchor says {(batch.first_timestamp, batch.last_timestamp)}")


def _check_columns(parsed: EvidenceBatch, columns: ReadingColumns, batch: AnchoredBatch, keys: _Keys, seen,
                   report: VerificationReport, find, signatures: SignatureBatches) -> None:
    """_check_readings for a batch whose readings all decode, device run by device run: the same findings
    in the same order, with one registry lookup and (mostly) one key choice per run instead of per reading."""
    ids, sequences = columns.device_ids, columns.sequences
    cuts = [0, *compress(range(1, len(ids)), map(ne, islice(ids, 1, None), ids)), len(ids)]
    plan, checked = [], []
    for first, last in zip(cuts, islice(cuts, 1, None)):
        device = keys.lookup(ids[first])
        if device is None:
            plan.append((first, last, None, repeat(None)))
            continue
        history = device[1]
        low, high = (key_index_for_sequence(history, s) for s in (min(sequences[first:last]), max(sequences[first:last])))
        if low == high:  # one key signs the whole run (always, between rotations)
            run_keys = [None if low is None else history[low].public_key] * (last - first)
        else:
            run_keys = [key_for_sequence(history, s) for s in sequences[first:last]]
        plan.append((first, last, device, run_keys))
        checked.extend((parsed.readings[i], key) for i, key in zip(range(first, last), run_keys) if key is not None)
    verdicts = iter(signatures.verify(checked))
    report.readings += len(ids)
    report.signatures_checked += len(checked)
    root = batch.root
    for first, last, device, run_keys in plan:
        device_id = ids[first]
        other = device is not None and device[0] != batch.institution_id
        for index, key in zip(range(first, last), run_keys):
            sequence = sequences[index]
            if device is None:
                find(Problem.UNKNOWN_DEVICE, "no DeviceRegistered for this id", reading_index=index, device_id=device_id,
                     sequence=sequence)
                continue
            if other:
                find(Problem.DEVICE_OF_OTHER_INSTITUTION, f"device belongs to institution {device[0]}",
                     reading_index=index, device_id=device_id, sequence=sequence)
            if key is None:
                find(Problem.NO_KEY, "sequence precedes every registered key", reading_index=index, device_id=device_id,
                     sequence=sequence)
            elif not next(verdicts):
                find(Problem.BAD_SIGNATURE, f"key 0x{key.hex()[:16]}…", reading_index=index, device_id=device_id,
                     sequence=sequence)
            pair = (device_id, sequence)
            if pair in seen:
                find(Problem.DUPLICATE_READING, f"already in batch 0x{seen[pair].hex()}", reading_index=index,
                     device_id=device_id, sequence=sequence)
            else:
                seen[pair] = root


def _check_readings(parsed: EvidenceBatch, batch: AnchoredBatch, keys: _Keys, seen, report: VerificationReport, find,
                    signatures: SignatureBatches) -> None:
    # First every reading is decoded and its key found, then the batch's signatures are checked in one go
    # (in worker processes when there are any), then the findings are stated reading by reading.
    decoded: list[tuple[Reading | EncodingError, tuple | None, bytes | None]] = []
    for signed in parsed.readings:
        try:
            reading = decode_reading(signed.payload)
        except EncodingError as exc:
            decoded.append((exc, None, None))
            continue
        device = keys.lookup(reading.device_id)
        decoded.append((reading, device, key_for_sequence(device[1], reading.sequence) if device else None))
    checked = [(signed, key) for signed, (_, _, key) in zip(parsed.readings, decoded) if key is not None]
    verdicts = iter(signatures.verify(checked))
    for index, (reading, device, key) in enumerate(decoded):
        report.readings += 1
        if isinstance(reading, EncodingError):
            find(Problem.READING_MALFORMED, str(reading), reading_index=index)
            continue
        where = {"reading_index": index, "device_id": reading.device_id, "sequence": reading.sequence}
        if device is None:
            find(Problem.UNKNOWN_DEVICE, "no DeviceRegistered for this id", **where)
            continue
        device_institution, history = device
        if device_institution != batch.institution_id:
            find(Problem.DEVICE_OF_OTHER_INSTITUTION, f"device belongs to institution {device_institution}", **where)
        if key is None:
            find(Problem.NO_KEY, "sequence precedes every registered key", **where)
        else:
            report.signatures_checked += 1
            if not next(verdicts):
                find(Problem.BAD_SIGNATURE, f"key 0x{key.hex()[:16]}…", **where)
        pair = (reading.device_id, reading.sequence)
        if pair in seen:
            find(Problem.DUPLICATE_READING, f"already in batch 0x{seen[pair].hex()}", **where)
        else:
            seen[pair] = batch.root
