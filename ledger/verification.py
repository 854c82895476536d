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

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from itertools import compress, islice
from operator import ne

from ledger.batch import (
    HEADER_LENGTH, RECORD_LENGTH, BatchFormatError, EvidenceBatch, cached_evidence_root, decode_batch,
    decode_batch_header, evidence_readings,
)
from ledger.chain.clients import AnchoredBatch, KeyEpoch, LedgerContracts
from ledger.chain.connection import ContractRevert
from ledger.device_keys import key_for_sequence, key_index_for_sequence
from ledger.encoding import EncodingError, Reading, ReadingColumns, decode_reading
from ledger.evidence import EvidenceError, EvidenceStore, compute_cid
from ledger.evidence_roots import RootMemo, root_memo_for
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
    trust_root_memo: bool = False,
) -> VerificationReport:
    """Walk every anchored batch (of one institution, or all) and report every discrepancy.

    With `workers` > 0 the signatures are checked by that many processes; the findings are the same.
    Every Merkle tree is recomputed (and its root written to the store's root memo for accounting) unless
    `trust_root_memo`, when a memo entry equal to the anchored root is taken instead
    (ledger/evidence_roots.py).
    """
    memo = root_memo_for(evidence)
    with SignatureBatches(workers) as signatures:
        return _verify_ledger(contracts, evidence, institution_id, on_batch, signatures, memo, trust_root_memo)


def _verify_ledger(contracts, evidence, institution_id, on_batch, signatures: SignatureBatches, memo: RootMemo | None,
                   trust_root_memo: bool) -> VerificationReport:
    """Batches are pipelined: batch N+1 is read, decoded, hashed and its signatures handed to the workers
    before batch N's verdicts are turned into findings, so this process and the workers overlap. Findings
    are stated per batch in chain order, exactly as one batch at a time would state them."""
    report = VerificationReport()
    keys = _Keys(contracts)
    seen = SeenReadings()
    chains: dict[int, list[AnchoredBatch]] = {}
    for batch in contracts.attestations.anchored_batches(institution_id=institution_id):
        chains.setdefault(batch.institution_id, []).append(batch)
    report.institutions = len(chains)
    quorum_batches = contracts.attestations.awaiting_approvals(institution_id) if chains else {}
    for inst, batches in chains.items():
        _check_chain(contracts, inst, batches, report)
        pending: Callable[[], None] | None = None
        for batch in batches:
            finish = _check_batch(contracts, evidence, batch, keys, seen, report, signatures, memo, trust_root_memo)
            if pending is not None:
                pending()
            pending = _then_batch_done(contracts, batch, finish, batch.root in quorum_batches, report, on_batch)
        if pending is not None:
            pending()
    report.devices = len(keys.cache)
    return report


def _then_batch_done(contracts, batch: AnchoredBatch, finish: Callable[[], None], under_quorum: bool,
                     report: VerificationReport, on_batch) -> Callable[[], None]:
    def done() -> None:
        finish()
        if under_quorum:
            _check_approvals(contracts, batch, report)
        report.batches += 1
        if on_batch is not None:
            on_batch(batch)
    return done


class SeenReadings:
    """Every (device, sequence) counted so far, with the batch that first had it.

    Per device: disjoint sequence intervals sorted by start, each with its batch root. A batch holds a
    run of consecutive sequences per meter, so an institution-year of 5 M readings keeps about one
    interval per (meter, batch) (~80 k), not one dict entry per reading (~0.7 GB).
    """

    def __init__(self) -> None:
        self._devices: dict[bytes, tuple[list[int], list[int], list[bytes]]] = {}

    def first_batch(self, device_id: bytes, sequence: int) -> bytes | None:
        """The batch that first had (device, sequence), or None when it was not counted yet."""
        intervals = self._devices.get(device_id)
        if intervals is None:
            return None
        starts, ends, roots = intervals
        i = bisect_right(starts, sequence) - 1
        return roots[i] if i >= 0 and sequence <= ends[i] else None

    def none_of(self, device_id: bytes, first: int, last: int) -> bool:
        """No sequence of first..last of the device was counted yet."""
        intervals = self._devices.get(device_id)
        if intervals is None:
            return True
        starts, ends, _ = intervals
        i = bisect_right(starts, last) - 1  # the last interval starting at or before `last`
        return i < 0 or ends[i] < first

    def add(self, device_id: bytes, first: int, last: int, root: bytes) -> None:
        """Count sequences first..last (none of them counted yet: see none_of) as read in batch `root`."""
        starts, ends, roots = self._devices.setdefault(device_id, ([], [], []))
        i = bisect_right(starts, first)
        if i > 0 and ends[i - 1] == first - 1 and roots[i - 1] == root:
            ends[i - 1] = last
            if i < len(starts) and starts[i] == last + 1 and roots[i] == root:
                ends[i - 1] = ends[i]
                del starts[i], ends[i], roots[i]
        elif i < len(starts) and starts[i] == last + 1 and roots[i] == root:
            starts[i] = first
        else:
            starts.insert(i, first)
            ends.insert(i, last)
            roots.insert(i, root)


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


def _check_batch(contracts, evidence, batch: AnchoredBatch, keys: _Keys, seen: SeenReadings, report: VerificationReport,
                 signatures: SignatureBatches, memo: RootMemo | None = None,
                 trust_root_memo: bool = False) -> Callable[[], None]:
    """Everything about one batch that needs no earlier batch (evidence, CID, decoding, keys, root), with its
    signatures handed to the workers; the returned call waits for their verdicts and states the batch's
    findings (those above first) and counts its (device, sequence) pairs."""
    found: list[Finding] = []

    def find(problem: Problem, detail: str, **where: object) -> None:
        found.append(Finding(problem, batch.root, detail, **where))

    def flush() -> None:
        report.findings.extend(found)

    record = contracts.attestations.batch(batch.root)
    anchored = (batch.institution_id, batch.index, batch.reading_count, batch.first_timestamp, batch.last_timestamp)
    stored = (record.institution_id, record.index, record.reading_count, record.first_timestamp, record.last_timestamp)
    if anchored != stored:
        find(Problem.RECORD_MISMATCH, f"event says {anchored}, contract stores {stored}")
    try:
        data = evidence.cat(batch.evidence_cid)
    except EvidenceError as exc:
        find(Problem.EVIDENCE_MISSING, f"CID {batch.evidence_cid}: {exc}")
        return flush
    actual_cid = compute_cid(data, cid_version=1 if batch.evidence_cid.startswith("b") else 0)
    if actual_cid != batch.evidence_cid:
        find(Problem.EVIDENCE_CID_MISMATCH, f"anchored {batch.evidence_cid}, bytes hash to {actual_cid}")
    try:
        institution, count = decode_batch_header(data)
    except BatchFormatError as exc:
        find(Problem.EVIDENCE_MALFORMED, str(exc))
        return flush
    try:
        columns = evidence_readings(data)[1]
    except EncodingError:  # some reading is malformed: check them one by one, to name each
        parsed = decode_batch(data)
        _check_header(parsed.institution_id, len(parsed.readings), parsed.first_timestamp, parsed.last_timestamp,
                      batch, find)
        readings_done = _check_readings(parsed, batch, keys, seen, report, find, signatures)
    else:
        _check_header(institution, count, min(columns.timestamps), max(columns.timestamps), batch, find)
        readings_done = _check_columns(data, columns, batch, keys, seen, report, find, signatures)
    # keyed by the CID of these very bytes; the memo is read only when trusted, written always
    root = cached_evidence_root(actual_cid, data, memo, batch.root if trust_root_memo else None)

    def finish() -> None:
        readings_done()
        if root != batch.root:
            find(Problem.ROOT_MISMATCH, f"evidence gives 0x{root.hex()}")
        flush()
    return finish


def _check_approvals(contracts: LedgerContracts, batch: AnchoredBatch, report: VerificationReport) -> None:
    required, given = contracts.attestations.approvals_of(batch.root)
    if given < required:
        report.findings.append(Finding(Problem.NOT_APPROVED, batch.root,
                                       f"{given} of the {required} oracle approvals its quorum requires"))


def _check_header(institution: int, count: int, first_timestamp: int, last_timestamp: int, batch: AnchoredBatch,
                  find) -> None:
    if institution != batch.institution_id:
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence is for institution {institution}, anchored for {batch.institution_id}")
    if count != batch.reading_count:
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence holds {count} readings, anchor says {batch.reading_count}")
    span = (first_timestamp, last_timestamp)
    if span != (batch.first_timestamp, batch.last_timestamp):
        find(Problem.EVIDENCE_HEADER_MISMATCH, f"evidence spans {span}, anchor says {(batch.first_timestamp, batch.last_timestamp)}")


def _check_columns(data: bytes, columns: ReadingColumns, batch: AnchoredBatch, keys: _Keys, seen: SeenReadings,
                   report: VerificationReport, find, signatures: SignatureBatches) -> Callable[[], None]:
    """_check_readings for a batch whose readings all decode, device run by device run: the same findings
    in the same order, with one registry lookup and (mostly) one key choice per run instead of per reading,
    and no per-reading work at all for a run of consecutive new sequences whose signatures all verify.
    Submits the signatures; the returned call states the findings once the verdicts are in."""
    ids, sequences = columns.device_ids, columns.sequences
    cuts = [0, *compress(range(1, len(ids)), map(ne, islice(ids, 1, None), ids)), len(ids)]
    plan, records = [], []
    for first, last in zip(cuts, islice(cuts, 1, None)):
        device = keys.lookup(ids[first])
        if device is None:
            plan.append((first, last, None, None))
            continue
        history = device[1]
        low, high = (key_index_for_sequence(history, s) for s in (min(sequences[first:last]), max(sequences[first:last])))
        if low == high:  # one key signs the whole run (always, between rotations)
            run_keys = [None if low is None else history[low].public_key] * (last - first)
        else:
            run_keys = [key_for_sequence(history, s) for s in sequences[first:last]]
        plan.append((first, last, device, run_keys))
        records.extend(key + data[o:o + RECORD_LENGTH] for o, key in
                       zip(range(HEADER_LENGTH + first * RECORD_LENGTH, len(data), RECORD_LENGTH), run_keys)
                       if key is not None)
    pending = signatures.submit(b"".join(records))
    report.readings += len(ids)
    report.signatures_checked += len(records)
    del records

    def finish() -> None:
        verdicts = pending.verdicts()
        root, at = batch.root, 0
        for first, last, device, run_keys in plan:
            device_id, n = ids[first], last - first
            if device is not None and device[0] == batch.institution_id and run_keys[0] is not None \
                    and None not in run_keys and verdicts.count(0, at, at + n) == 0:
                low = sequences[first]
                if sequences[first:last] == tuple(range(low, low + n)) and seen.none_of(device_id, low, low + n - 1):
                    seen.add(device_id, low, low + n - 1, root)  # nothing to report in this run
                    at += n
                    continue
            other = device is not None and device[0] != batch.institution_id
            for index in range(first, last):
                sequence = sequences[index]
                if device is None:
                    find(Problem.UNKNOWN_DEVICE, "no DeviceRegistered for this id", reading_index=index,
                         device_id=device_id, sequence=sequence)
                    continue
                if other:
                    find(Problem.DEVICE_OF_OTHER_INSTITUTION, f"device belongs to institution {device[0]}",
                         reading_index=index, device_id=device_id, sequence=sequence)
                key = run_keys[index - first]
                if key is None:
                    find(Problem.NO_KEY, "sequence precedes every registered key", reading_index=index,
                         device_id=device_id, sequence=sequence)
                else:
                    at += 1
                    if verdicts[at - 1] != 1:
                        find(Problem.BAD_SIGNATURE, f"key 0x{key.hex()[:16]}…", reading_index=index,
                             device_id=device_id, sequence=sequence)
                _count_once(seen, device_id, sequence, root, find, reading_index=index)
    return finish


def _count_once(seen: SeenReadings, device_id: bytes, sequence: int, root: bytes, find, **where: object) -> None:
    earlier = seen.first_batch(device_id, sequence)
    if earlier is not None:
        find(Problem.DUPLICATE_READING, f"already in batch 0x{earlier.hex()}", device_id=device_id, sequence=sequence,
             **where)
    else:
        seen.add(device_id, sequence, sequence, root)


def _check_readings(parsed: EvidenceBatch, batch: AnchoredBatch, keys: _Keys, seen: SeenReadings,
                    report: VerificationReport, find, signatures: SignatureBatches) -> Callable[[], None]:
    # First every reading is decoded and its key found, then the batch's signatures are submitted (to worker
    # processes when there are any); the returned call states the findings reading by reading.
    decoded: list[tuple[Reading | EncodingError, tuple | None, bytes | None]] = []
    for signed in parsed.readings:
        try:
            reading = decode_reading(signed.payload)
        except EncodingError as exc:
            decoded.append((exc, None, None))
            continue
        device = keys.lookup(reading.device_id)
        decoded.append((reading, device, key_for_sequence(device[1], reading.sequence) if device else None))
    pending = signatures.submit(b"".join(key + signed.payload + signed.signature
                                         for signed, (_, _, key) in zip(parsed.readings, decoded) if key is not None))

    def finish() -> None:
        verdicts = iter(pending.verdicts())
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
                if next(verdicts) != 1:
                    find(Problem.BAD_SIGNATURE, f"key 0x{key.hex()[:16]}…", **where)
            _count_once(seen, reading.device_id, reading.sequence, batch.root, find, reading_index=index)
    return finish
