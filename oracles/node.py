"""The oracle: verify → dedupe → plausibility → spool → batch → evidence → anchor, for one institution.

Accepted readings are durable in the spool before the oracle answers for them; a batch is
recorded as prepared (root and evidence CID known, evidence stored) before its anchor is sent,
so a restart finishes or confirms it instead of anchoring it twice. If the evidence store is
down, no batch is prepared and the readings stay pending; if the chain is down, prepared batches
wait. Anchored batches are confirmed once `confirmations` deep, and a batch whose anchor a reorg
removed is prepared again and re-sent (`confirm`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from ledger.batch import EvidenceBatch, canonical_order, evidence_root
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import ContractRevert
from ledger.evidence import EvidenceStore
from ledger.evidence_roots import root_memo_for
from ledger.signing import SignedReading
from oracles.alarm_rules import AlarmMonitor
from oracles.chunk_check import ChunkChecker, ChunkPlan, SourcedItem, plan_chunk, plan_current
from oracles.directory import DeviceDirectory, DirectoryUnavailable
from oracles.gate import ReadingGate
from oracles.profiles import DeviceProfiles
from oracles.rejects import ReadingRejected, RejectsLog
from oracles.signature_pool import SignaturePool, SignaturePoolError
from oracles.spool import PendingReadings, Spool, SpooledBatch

DEFAULT_BATCH_SIZE = 1_000
_COMMIT_EVERY = 1_000
_CHUNK = 500  # readings checked together; the next chunk's signatures are verified meanwhile
# Chunks committed together: a runner step's worth (RunPolicy.max_items_per_step). Every commit rewrites the
# spool index pages its readings touched (about one per device), so fewer, larger commits cost less per reading.
_CHUNKS_PER_COMMIT = 10
# AttestationLedger.anchorBatch writes a new batch record (with its 46- or 59-character CID) and the
# institution's head; a fixed limit well above that saves an eth_estimateGas round trip per anchor.
# A limit is a ceiling, not a charge: only the gas used is paid.
ANCHOR_GAS_LIMIT = 500_000

StepHook = Callable[[str, SpooledBatch], None]
"""Called with "prepared" (batch recorded, anchor not yet sent) and "anchored" (mined, not yet recorded).
Tests use it to crash the oracle at exactly those points; it has no other use."""


@dataclass
class IngestReport:
    accepted: int = 0
    rejected: list[ReadingRejected] = field(default_factory=list)
    deferred: int = 0  # kept for later: the registry could not be reached for a device never seen

    def rejected_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[r.reason.value] = counts.get(r.reason.value, 0) + 1
        return counts

    def add(self, other: "IngestReport") -> None:
        self.accepted += other.accepted
        self.rejected.extend(other.rejected)
        self.deferred += other.deferred


@dataclass(frozen=True)
class Presubmitted:
    """Readings planned and handed to the signature pool ahead of `ingest` (`OracleNode.presubmit`), so the
    workers verify them while this process does something else (the runner anchors). Nothing about them is
    decided or stored yet: `ingest(readings, ahead=...)` checks and spools them as its first readings."""

    items: list[SourcedItem]
    chunks: list[tuple[ChunkPlan, int]]  # each chunk's plan and its pool ticket, in order


@dataclass(frozen=True)
class AnchorResult:
    root: bytes
    evidence_cid: str
    reading_count: int
    transaction_hash: str | None
    block_number: int | None
    gas_used: int | None


@dataclass(frozen=True)
class ConfirmReport:
    confirmed: list[bytes] = field(default_factory=list)
    reorged: list[bytes] = field(default_factory=list)  # prepared again, to be re-sent


class OracleNode:
    def __init__(
        self,
        institution_id: int,
        contracts: LedgerContracts,
        evidence: EvidenceStore,
        spool: Spool,
        rejects: RejectsLog,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_future_skew_seconds: int = 300,
        profiles: DeviceProfiles | None = None,
        alarms: AlarmMonitor | None = None,
        clock: Callable[[], float] = time.time,
        verify_workers: int = 0,
    ) -> None:
        self.institution_id = institution_id
        self.contracts = contracts
        self.evidence = evidence
        self.spool = spool
        self.rejects = rejects
        self.batch_size = batch_size
        self.profiles = profiles if profiles is not None else DeviceProfiles(spool.db)
        self.alarms = alarms
        self.clock = clock
        self.step_hook: StepHook | None = None
        # False: Chain.transact already waited for the configured confirmations, an anchor counts at once.
        # True (the runner): anchors stay unconfirmed until `confirm` finds them deep enough.
        self.track_confirmations = False
        self.directory = DeviceDirectory(contracts.devices, db=spool.db)
        self.gate = ReadingGate(institution_id, self.directory, spool, max_future_skew_seconds, profiles=self.profiles)
        self.signatures = SignaturePool(verify_workers)  # 0: verified in this process
        # The institution's latest anchored root as this oracle last saw it, so an anchor needs no latestRoot
        # read; None: ask the chain. Another oracle anchoring for the institution makes the contract refuse
        # the stale one (BatchChainBroken): the head is read again and the anchor re-sent once.
        self._head: bytes | None = None

    def close(self) -> None:
        """Stop the signature workers and close the spool."""
        self.signatures.close()
        self.spool.close()

    def presubmit(self, readings: list[SourcedItem]) -> Presubmitted | None:
        """Plan `readings` in chunks and hand their signatures to the pool now; None without worker processes
        (verifying here would gain nothing). Pass the result to `ingest` with the same readings first."""
        if self.signatures.workers == 0 or not readings:
            return None
        return Presubmitted(list(readings), [self._submit(chunk) for chunk in _chunks(readings, _CHUNK)])

    def ingest(self, readings: Iterable[tuple[str, SignedReading | ReadingRejected]],
               before_commit: Callable[[], None] | None = None, ahead: Presubmitted | None = None) -> IngestReport:
        """Check and spool readings; each item is (source label, reading or a rejection from parsing).

        Alarms the readings raise commit with them. `before_commit` runs inside the transaction that
        commits the last item (readings are committed 5,000 at a time). Each chunk of 500 is decoded as
        columns and its signatures go to the signature pool while the chunk before is checked and
        spooled (oracles/chunk_check.py: the usual reading on its fields, anything else through the
        gate one by one). With `ahead` (from `presubmit`), `readings` begin with its readings, whose
        signatures the pool has been verifying since. If anything raises, the open transaction rolls
        back and the gate forgets what it cached, so nothing half-done remains.
        """
        report = IngestReport()
        spool, db = self.spool, self.spool.db
        checker = ChunkChecker(self.gate, spool, self.alarms)

        def per_reading(source: str, item: SignedReading | ReadingRejected, verified_key: bytes | None) -> None:
            self._ingest_one(source, item, report, verified_key)

        rest = iter(readings)
        if ahead is not None:
            first = list(islice(rest, len(ahead.items)))
            if len(first) != len(ahead.items) or any(a is not b for a, b in zip(first, ahead.items)):
                raise ValueError("ingest(ahead=...) must be given the presubmitted readings first")
        db.execute("BEGIN")
        try:
            chunks = self._submitted(ahead, rest)
            current = next(chunks, None)
            checked = 0
            while current is not None:
                plan, ticket = current
                current = next(chunks, None)  # verified while this one is checked
                accepted = checker.run(plan, self.signatures.collect(ticket), per_reading)  # per_reading counts its own
                report.accepted += accepted
                checked += 1
                if current is not None and checked % _CHUNKS_PER_COMMIT == 0:
                    spool.write_buffered()
                    db.execute("COMMIT")
                    db.execute("BEGIN")
            spool.write_buffered()
            if before_commit is not None:
                before_commit()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            spool.discard_buffered()
            self.signatures.close()  # verdicts still in flight belong to nothing now
            self.gate.forget()
            if self.alarms is not None:
                self.alarms.forget()
            raise
        return report

    def _submitted(self, ahead: Presubmitted | None, rest: Iterable[SourcedItem]) -> Iterator[tuple[ChunkPlan, int]]:
        """Each chunk's plan and ticket, submitted one chunk ahead of its use: the presubmitted chunks first
        (planned and submitted again when the pool was closed since, or a device's view changed), then `rest`."""
        for plan, ticket in ahead.chunks if ahead is not None else ():
            if self.signatures.holds(ticket) and plan_current(self.gate, plan):
                yield plan, ticket
                continue
            if self.signatures.holds(ticket):
                self.signatures.collect(ticket)  # verdicts against keys no longer current: dropped
            yield self._submit(plan.items)
        for chunk in _chunks(rest, _CHUNK):
            yield self._submit(chunk)

    def _submit(self, chunk: list[tuple[str, SignedReading | ReadingRejected]]) -> tuple[ChunkPlan, int]:
        """Plan the chunk (columns, one registry lookup per device, each reading's key) and hand its
        signatures to the pool: the plan and the pool's ticket for its verdicts."""
        plan = plan_chunk(self.gate, chunk)
        return plan, self.signatures.submit(plan.records)

    def _ingest_one(self, source: str, item: SignedReading | ReadingRejected, report: IngestReport,
                    verified_key: bytes | None = None) -> None:
        try:
            if isinstance(item, ReadingRejected):
                raise item
            checked = self.gate.check(item, verified_key)
            reading = checked.reading
            self.spool.accept(reading.device_id, reading.sequence, reading.timestamp, item)
            self.gate.record_accepted(reading)
            if self.alarms is not None:
                self.alarms.on_accepted(reading, checked.previous, checked.flag)
            report.accepted += 1
        except DirectoryUnavailable as unavailable:
            self.spool.defer(source, item, unavailable.reason, int(self.clock()))
            report.deferred += 1
        except ReadingRejected as rejected:
            report.rejected.append(rejected)
            raw = None if isinstance(item, ReadingRejected) else item.to_bytes().hex()
            self.rejects.write(rejected, source, raw)
            if self.alarms is not None:
                self.alarms.on_rejected(rejected)

    def retry_deferred(self, limit: int = _COMMIT_EVERY) -> IngestReport:
        """Check deferred readings again; those still unverifiable are deferred anew, in the same transaction."""
        waiting = self.spool.deferred(min(limit, _COMMIT_EVERY))
        if not waiting:
            return IngestReport()
        return self.ingest(((d.source, d.signed) for d in waiting),
                           before_commit=lambda: self.spool.drop_deferred([d.id for d in waiting]))

    def recover(self) -> list[AnchorResult]:
        """Finish batches a previous run prepared (or a reorg un-anchored) but may not have anchored."""
        return [self._anchor(batch, self.spool.batch_readings(batch), maybe_anchored=True)
                for batch in self.spool.prepared_batches()]

    def flush(self, force: bool = True, max_batches: int | None = None) -> list[AnchorResult]:
        """Anchor pending readings in batches of `batch_size`; the last, smaller one only if `force`."""
        results = self.recover()
        while max_batches is None or len(results) < max_batches:
            pending = self.spool.pending(self.batch_size)
            if pending is None or (len(pending.readings) < self.batch_size and not force):
                break
            batch, evidence = self._prepare(pending)
            results.append(self._anchor(batch, evidence.readings, maybe_anchored=False))
            self._feed_workers()
        return results

    def _feed_workers(self) -> None:
        """Between anchors, keep the workers busy with presubmitted readings (oracles/runner.py). A dead worker
        is no anchoring failure: the pool is closed, and the next ingest submits those readings again."""
        try:
            self.signatures.pump()
        except SignaturePoolError:
            pass

    def confirm(self, confirmations: int) -> ConfirmReport:
        """Confirm anchored batches `confirmations` blocks deep; re-prepare those a reorg removed.

        The contract's own state decides, not receipts: a root anchored at the block `confirmations`−1
        below the head is confirmed; a root no longer anchored at the head was reorged out (whatever
        happened to its transaction), and goes back to `prepared` with its readings, to be re-sent.
        """
        report = ConfirmReport()
        unconfirmed = self.spool.unconfirmed_batches()
        if not unconfirmed:
            return report
        ledger = self.contracts.attestations
        # one confirmation: anchored at the head is deep enough, so one read per batch and no block number
        depth_block = None if confirmations <= 1 else ledger.chain.w3.eth.block_number - confirmations + 1
        for batch in unconfirmed:
            if not ledger.is_anchored(batch.root):
                self.spool.mark_reorged(batch.root)
                report.reorged.append(batch.root)
            elif depth_block is None or (
                    depth_block >= 0
                    and ledger.contract.functions.isAnchored(batch.root).call(block_identifier=depth_block)):
                self.spool.mark_confirmed(batch.root)
                report.confirmed.append(batch.root)
        if report.reorged:
            ledger.chain.resync()
            self._head = None
        return report

    def _prepare(self, pending: PendingReadings) -> tuple[SpooledBatch, EvidenceBatch]:
        """Build the evidence, store it, and record the batch before anything is sent to the chain."""
        evidence = EvidenceBatch(self.institution_id, tuple(canonical_order(pending.readings)))
        data = evidence.encode()
        root = evidence_root(data)  # the tree of the bytes stored, hashed from the records in place
        cid = self.evidence.add(data)  # evidence store down: raises, nothing is recorded
        memo = root_memo_for(self.evidence)  # so accounting never rebuilds this tree (the audit always does)
        if memo is not None:
            memo.put(cid, root)
        batch = self.spool.prepare_batch(root, self.institution_id, cid, pending)
        if self.step_hook is not None:
            self.step_hook("prepared", batch)
        return batch, evidence

    def _anchor(self, batch: SpooledBatch, readings: Sequence[SignedReading], maybe_anchored: bool) -> AnchorResult:
        ledger = self.contracts.attestations
        already = AnchorResult(batch.root, batch.evidence_cid, batch.reading_count, None, None, None)
        now = int(self.clock())
        confirmed = not self.track_confirmations
        if maybe_anchored and ledger.is_anchored(batch.root):  # anchored before a crash: record it, never send twice
            self.spool.mark_anchored(batch.root, None, None, None, now, confirmed)
            return already
        evidence = EvidenceBatch(self.institution_id, tuple(readings))
        cached_head, self._head = self._head, None  # unknown until this anchor is mined
        try:
            receipt = ledger.anchor_batch(
                self.institution_id,
                batch.root,
                cached_head if cached_head is not None else ledger.latest_root(self.institution_id),
                len(readings),
                evidence.first_timestamp,
                evidence.last_timestamp,
                batch.evidence_cid,
                gas=ANCHOR_GAS_LIMIT,
            )
        except ContractRevert as exc:
            if exc.name == "DuplicateRoot":
                self.spool.mark_anchored(batch.root, None, None, None, now, confirmed)
                return already
            if exc.name == "BatchChainBroken" and cached_head is not None:  # another oracle anchored meanwhile
                return self._anchor(batch, readings, maybe_anchored)
            raise
        if self.step_hook is not None:
            self.step_hook("anchored", batch)
        self._head = batch.root
        tx = receipt["transactionHash"].hex()
        self.spool.mark_anchored(batch.root, tx, receipt["blockNumber"], receipt["gasUsed"], now, confirmed)
        return AnchorResult(batch.root, batch.evidence_cid, len(readings), tx, receipt["blockNumber"], receipt["gasUsed"])


def _chunks(items: Iterable[tuple[str, SignedReading | ReadingRejected]], size: int,
            ) -> Iterator[list[tuple[str, SignedReading | ReadingRejected]]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
