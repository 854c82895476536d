"""The oracle: verify → spool → batch → evidence → anchor, for one institution.

Accepted readings are durable in the spool before the oracle answers for them; a batch is
recorded as prepared (root and evidence CID known, evidence stored) before its anchor is sent,
so a restart finishes or confirms it instead of anchoring it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ledger.batch import EvidenceBatch, canonical_order
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import ContractRevert
from ledger.evidence import EvidenceStore
from ledger.signing import SignedReading
from oracles.gate import DeviceDirectory, ReadingGate
from oracles.rejects import ReadingRejected, RejectsLog
from oracles.spool import PendingReadings, Spool, SpooledBatch

DEFAULT_BATCH_SIZE = 1_000
_COMMIT_EVERY = 1_000


@dataclass
class IngestReport:
    accepted: int = 0
    rejected: list[ReadingRejected] = field(default_factory=list)

    def rejected_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[r.reason.value] = counts.get(r.reason.value, 0) + 1
        return counts


@dataclass(frozen=True)
class AnchorResult:
    root: bytes
    evidence_cid: str
    reading_count: int
    transaction_hash: str | None
    block_number: int | None
    gas_used: int | None


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
    ) -> None:
        self.institution_id = institution_id
        self.contracts = contracts
        self.evidence = evidence
        self.spool = spool
        self.rejects = rejects
        self.batch_size = batch_size
        self.directory = DeviceDirectory(contracts.devices)
        self.gate = ReadingGate(institution_id, self.directory, spool, max_future_skew_seconds)

    def ingest(self, readings: Iterable[tuple[str, SignedReading | ReadingRejected]]) -> IngestReport:
        """Check and spool readings; each item is (source label, reading or a rejection from parsing)."""
        report = IngestReport()
        db = self.spool.db
        db.execute("BEGIN")
        try:
            for n, (source, item) in enumerate(readings, 1):
                try:
                    if isinstance(item, ReadingRejected):
                        raise item
                    reading = self.gate.check(item)
                    self.spool.accept(reading.device_id, reading.sequence, reading.timestamp, item)
                    self.gate.record_accepted(reading)
                    report.accepted += 1
                except ReadingRejected as rejected:
                    report.rejected.append(rejected)
                    raw = None if isinstance(item, ReadingRejected) else item.to_bytes().hex()
                    self.rejects.write(rejected, source, raw)
                if n % _COMMIT_EVERY == 0:
                    db.execute("COMMIT")
                    db.execute("BEGIN")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return report

    def recover(self) -> list[AnchorResult]:
        """Finish batches a previous run prepared but may not have anchored."""
        return [self._anchor(batch, self.spool.batch_readings(batch), maybe_anchored=True)
                for batch in self.spool.prepared_batches()]

    def flush(self, force: bool = True) -> list[AnchorResult]:
        """Anchor pending readings in batches of `batch_size`; the last, smaller one only if `force`."""
        results = self.recover()
        while True:
            pending = self.spool.pending(self.batch_size)
            if pending is None or (len(pending.readings) < self.batch_size and not force):
                return results
            batch, evidence = self._prepare(pending)
            results.append(self._anchor(batch, evidence.readings, maybe_anchored=False))

    def _prepare(self, pending: PendingReadings) -> tuple[SpooledBatch, EvidenceBatch]:
        """Build the evidence, store it, and record the batch before anything is sent to the chain."""
        evidence = EvidenceBatch(self.institution_id, tuple(canonical_order(pending.readings)))
        root = evidence.tree().root
        cid = self.evidence.add(evidence.encode())
        return self.spool.prepare_batch(root, self.institution_id, cid, pending), evidence

    def _anchor(self, batch: SpooledBatch, readings: Sequence[SignedReading], maybe_anchored: bool) -> AnchorResult:
        ledger = self.contracts.attestations
        already = AnchorResult(batch.root, batch.evidence_cid, batch.reading_count, None, None, None)
        if maybe_anchored and ledger.is_anchored(batch.root):  # anchored before a crash: record it, never send twice
            self.spool.mark_anchored(batch.root, None, None, None)
            return already
        evidence = EvidenceBatch(self.institution_id, tuple(readings))
        try:
            receipt = ledger.anchor_batch(
                self.institution_id,
                batch.root,
                ledger.latest_root(self.institution_id),
                len(readings),
                evidence.first_timestamp,
                evidence.last_timestamp,
                batch.evidence_cid,
            )
        except ContractRevert as exc:
            if exc.name == "DuplicateRoot":
                self.spool.mark_anchored(batch.root, None, None, None)
                return already
            raise
        tx = receipt["transactionHash"].hex()
        self.spool.mark_anchored(batch.root, tx, receipt["blockNumber"], receipt["gasUsed"])
        return AnchorResult(batch.root, batch.evidence_cid, len(readings), tx, receipt["blockNumber"], receipt["gasUsed"])
