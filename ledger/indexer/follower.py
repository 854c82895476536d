"""Following the chain into the index: block ranges, resumable, reorg-safe.

Each step first compares the stored hashes of the newest indexed blocks with the chain (one batched
request). On a mismatch everything from the fork point is removed, the state tables are replayed
from the raw events that remain, and indexing resumes from the fork. Then the next range up to
`head - confirmations + 1` is read with one eth_getLogs and written in one transaction together
with the cursor (block number and hash), so a crash leaves the index at a range boundary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ledger.chain.connection import Chain, ChainError
from ledger.chain.deployment import Deployment
from ledger.evidence import EvidenceStore
from ledger.indexer.db import drop_index_tables, migrate
from ledger.indexer.events import ChainEvent, ContractSet
from ledger.indexer.evidence_rows import MISSING, daily_row, day_bounds, day_of, derive_batch
from ledger.indexer.models import (
    STATE_TABLES,
    Batch,
    BatchDevice,
    Cursor,
    DailyUsage,
    Device,
    IndexedBlock,
    RawEvent,
    Reading,
)
from ledger.indexer.projection import apply_event, forget_rows

DEFAULT_RANGE_BLOCKS = 2_000
DEFAULT_REORG_WINDOW = 64  # stored block hashes compared with the chain on every step
KEEP_BLOCK_HASHES = 1_024  # older hashes are pruned: a deeper reorg needs `zcl index --rebuild`


class IndexerError(RuntimeError):
    """The index cannot follow this chain (wrong chain, a reorg deeper than the kept hashes)."""


@dataclass
class StepReport:
    from_block: int
    to_block: int
    events: int = 0
    readings: int = 0
    reorg_from: int | None = None  # the fork block when a reorg was rolled back


@dataclass
class SyncReport:
    steps: list[StepReport] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(s.events for s in self.steps)

    @property
    def readings(self) -> int:
        return sum(s.readings for s in self.steps)

    @property
    def reorgs(self) -> list[int]:
        return [s.reorg_from for s in self.steps if s.reorg_from is not None]


@dataclass(frozen=True)
class IndexStatus:
    chain_id: int
    head: int
    target: int  # the newest block the index may hold (head minus confirmations)
    indexed: int  # the cursor; start_block - 1 before anything is indexed
    start_block: int

    @property
    def lag(self) -> int:
        """Blocks the index is behind the chain head."""
        return max(0, self.head - self.indexed)


class Indexer:
    """Follows one deployment into one database, loading each anchored batch's readings from evidence."""

    def __init__(self, chain: Chain, deployment: Deployment, engine: Engine, evidence: EvidenceStore, *,
                 confirmations: int = 1, range_blocks: int = DEFAULT_RANGE_BLOCKS,
                 reorg_window: int = DEFAULT_REORG_WINDOW, migrate_schema: bool = True) -> None:
        if deployment.chain_id != chain.chain_id:
            raise IndexerError(f"deployment is for chain {deployment.chain_id}, connected to chain {chain.chain_id}")
        self.chain, self.deployment, self.engine, self.evidence = chain, deployment, engine, evidence
        self.confirmations = max(1, confirmations)
        self.range_blocks = range_blocks
        self.reorg_window = reorg_window
        self.contracts = ContractSet(deployment)
        if migrate_schema:
            migrate(engine)

    # --- public ---------------------------------------------------------------------------

    def status(self) -> IndexStatus:
        head = self._head()
        with Session(self.engine) as session:
            cursor = self._cursor(session)
        return IndexStatus(self.chain.chain_id, head, head - self.confirmations + 1, cursor.block_number,
                           self.deployment.start_block)

    def step(self) -> StepReport | None:
        """Roll back a reorg if there is one, then index the next range; None when caught up."""
        reorg_from = self._check_reorg()
        head = self._head()
        target = head - self.confirmations + 1
        with Session(self.engine) as session:
            cursor = self._cursor(session)
            missing = self._retry_missing_evidence(session)
            session.commit()
            start = cursor.block_number + 1
            if start > target:
                caught_up = reorg_from is None and not missing
                return None if caught_up else StepReport(start, start - 1, 0, missing, reorg_from)
            end = min(target, start + self.range_blocks - 1)
            events = self.contracts.fetch(self.chain, start, end)
            end_hash = self._block_hashes([end])[end]
            if end_hash is None:  # the chain got shorter since its head was read: a reorg under way
                session.rollback()
                return StepReport(start, start - 1, 0, 0, reorg_from)
            report = StepReport(start, end, len(events), missing, reorg_from)
            report.readings += self._write(session, events)
            blocks = {e.block_number: e.block_hash for e in events}
            blocks[end] = end_hash
            session.connection().execute(IndexedBlock.__table__.insert(),
                                         [{"number": n, "hash": h} for n, h in blocks.items()])
            session.exec(delete(IndexedBlock).where(col(IndexedBlock.number) <= end - KEEP_BLOCK_HASHES))
            cursor.block_number, cursor.block_hash = end, end_hash
            session.add(cursor)
            session.commit()
        return report

    def sync(self, on_step: Callable[[StepReport, IndexStatus], None] | None = None) -> SyncReport:
        """Index until the cursor reaches the confirmed head."""
        report = SyncReport()
        while (step := self.step()) is not None:
            report.steps.append(step)
            if on_step is not None:
                on_step(step, self.status())
        return report

    def follow(self, poll_seconds: float = 2.0, should_stop: Callable[[], bool] = lambda: False,
               on_step: Callable[[StepReport, IndexStatus], None] | None = None,
               on_chain_error: Callable[[ChainError], None] | None = None) -> None:
        """Keep the index at the head until `should_stop()`.

        An unreachable or failing node is reported to `on_chain_error` and retried at the next poll
        (each range is one transaction, so nothing half-written remains); IndexerError stops.
        """
        while not should_stop():
            try:
                self.sync(on_step)
            except ChainError as exc:
                if on_chain_error is None:
                    raise
                on_chain_error(exc)
            time.sleep(poll_seconds)

    def rebuild(self, on_step: Callable[[StepReport, IndexStatus], None] | None = None) -> SyncReport:
        """Drop every index table and index again from the deployment block and the evidence."""
        drop_index_tables(self.engine)
        migrate(self.engine)
        return self.sync(on_step)

    # --- writing ------------------------------------------------------------------------------

    def _write(self, session: Session, events: list[ChainEvent]) -> int:
        readings = 0
        if events:
            session.connection().execute(RawEvent.__table__.insert(), [_raw_row(e) for e in events])
        for event in events:
            if event.contract == "AttestationLedger" and event.event == "BatchAnchored":
                readings += self._add_batch(session, event)
            else:
                apply_event(session, event)
        return readings

    def _add_batch(self, session: Session, e: ChainEvent) -> int:
        a = e.args
        batch = Batch(root=a["root"], institution_id=a["institutionId"], oracle=a["oracle"],
                      previous_root=a["previousRoot"], batch_index=a["index"], reading_count=a["readingCount"],
                      first_timestamp=a["firstTimestamp"], last_timestamp=a["lastTimestamp"],
                      evidence_cid=a["evidenceCid"], block_number=e.block_number, block_hash=e.block_hash,
                      transaction_hash=e.transaction_hash, log_index=e.log_index, evidence_status=MISSING)
        session.add(batch)
        session.flush()
        return self._load_evidence(session, batch)

    def _load_evidence(self, session: Session, batch: Batch) -> int:
        derived = derive_batch(batch.root, batch.institution_id, batch.evidence_cid, batch.block_number, self.evidence)
        batch.evidence_status, batch.evidence_detail = derived.status, derived.detail
        session.add(batch)
        if not derived.readings:
            return 0
        session.flush()
        session.connection().execute(Reading.__table__.insert(), derived.readings)
        session.connection().execute(BatchDevice.__table__.insert(), derived.devices)
        refresh_daily_usage(session, {(r["device_id"], day_of(r["timestamp"]), r["quantity"]) for r in derived.readings})
        return len(derived.readings)

    def _retry_missing_evidence(self, session: Session) -> int:
        """Evidence can reach the store after its anchor: batches still missing theirs are tried again."""
        loaded = 0
        for batch in session.exec(select(Batch).where(Batch.evidence_status == MISSING)).all():
            loaded += self._load_evidence(session, batch)
        return loaded

    # --- reorgs -------------------------------------------------------------------------------

    def _check_reorg(self) -> int | None:
        with Session(self.engine) as session:
            stored = session.exec(select(IndexedBlock).order_by(col(IndexedBlock.number).desc())
                                  .limit(self.reorg_window)).all()
        if not stored:
            return None
        chain_hashes = self._block_hashes([b.number for b in stored])
        mismatched = [b.number for b in stored if chain_hashes.get(b.number) != b.hash]
        if not mismatched:
            return None
        first_bad = min(mismatched)
        matching = [b.number for b in stored if b.number < first_bad]  # all match: hashes chain
        if not matching and len(stored) == self.reorg_window:
            raise IndexerError(f"the chain changed at or below block {first_bad}, deeper than the {self.reorg_window} "
                               f"indexed blocks compared: run `zcl index --rebuild`")
        # a block without events between the last match and the first mismatch may be new too
        fork = max(matching) + 1 if matching else self.deployment.start_block
        self.rollback(fork)
        return fork

    def rollback(self, fork: int) -> None:
        """Forget every block from `fork` on, in one transaction; state tables are replayed from raw events."""
        with Session(self.engine) as session:
            touched = {(r.device_id, day_of(r.timestamp), r.quantity) for r in session.exec(
                select(Reading).where(col(Reading.block_number) >= fork)).all()}
            for model in (Reading, BatchDevice, Batch, RawEvent, IndexedBlock):
                column = model.number if model is IndexedBlock else model.block_number
                session.exec(delete(model).where(col(column) >= fork))
            replay_state(session)
            refresh_daily_usage(session, touched)
            previous = session.exec(select(IndexedBlock).order_by(col(IndexedBlock.number).desc()).limit(1)).first()
            cursor = self._cursor(session)
            cursor.block_number = fork - 1
            cursor.block_hash = self._block_hashes([fork - 1])[fork - 1] if fork - 1 >= 0 else None
            if previous is not None and previous.number == fork - 1:
                cursor.block_hash = previous.hash
            session.add(cursor)
            session.commit()

    # --- chain --------------------------------------------------------------------------------

    def _head(self) -> int:
        try:
            return self.chain.w3.eth.block_number
        except Exception as exc:
            raise ChainError(f"cannot read the chain head: {exc}") from None

    def _block_hashes(self, numbers: list[int]) -> dict[int, str | None]:
        """Hashes of blocks `numbers` in one batched JSON-RPC request (None for blocks the chain lacks)."""
        provider = self.chain.w3.provider
        calls = [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
        try:
            if hasattr(provider, "make_batch_request"):
                answers = provider.make_batch_request(calls)
            else:  # a provider without JSON-RPC batches: one request per block
                answers = [provider.make_request(method, params) for method, params in calls]
        except Exception as exc:
            raise ChainError(f"cannot read blocks {numbers[0]}…{numbers[-1]}: {exc}") from None
        if not isinstance(answers, list) or any("error" in a for a in answers):
            raise ChainError(f"cannot read blocks {numbers[0]}…{numbers[-1]}: {answers}")
        return {n: (a["result"]["hash"].lower() if a.get("result") else None) for n, a in zip(numbers, answers)}

    def _cursor(self, session: Session) -> Cursor:
        cursor = session.get(Cursor, 1)
        if cursor is None:
            cursor = Cursor(id=1, chain_id=self.chain.chain_id, block_number=self.deployment.start_block - 1)
            session.add(cursor)
            session.flush()
        elif cursor.chain_id != self.chain.chain_id:
            raise IndexerError(f"the index holds chain {cursor.chain_id}, connected to chain {self.chain.chain_id}: "
                               f"use another database or `zcl index --rebuild`")
        return cursor


def replay_state(session: Session) -> int:
    """Empty the state tables and apply every stored raw event again, in chain order."""
    for model in STATE_TABLES:
        session.exec(delete(model))
    forget_rows(session)
    count = 0
    for raw in session.exec(select(RawEvent).order_by(RawEvent.block_number, RawEvent.log_index)).all():
        apply_event(session, event_of(raw))
        count += 1
    return count


def event_of(raw: RawEvent) -> ChainEvent:
    return ChainEvent(raw.block_number, raw.block_hash, raw.transaction_hash, raw.transaction_index, raw.log_index,
                      raw.contract, raw.address, raw.event, raw.args)


def refresh_daily_usage(session: Session, keys: set) -> None:
    """Recompute the idx_daily_usage rows of the (device, day) pairs in `keys` from idx_readings."""
    session.flush()
    by_device: dict[str, set] = {}
    for device_id, day, _quantity in keys:
        by_device.setdefault(device_id, set()).add(day)
    for device_id, days in by_device.items():
        start, end = day_bounds(min(days))[0], day_bounds(max(days))[1]
        groups: dict[tuple, list] = {}
        for r in session.exec(select(Reading.timestamp, Reading.sequence, Reading.unit, Reading.value,
                                     Reading.quantity).where(Reading.device_id == device_id,
                                                             col(Reading.timestamp) >= start,
                                                             col(Reading.timestamp) < end)).all():
            day = day_of(r[0])
            if day in days:
                groups.setdefault((day, r[4]), []).append(tuple(r[:4]))
        session.exec(delete(DailyUsage).where(DailyUsage.device_id == device_id, col(DailyUsage.day).in_(days)))
        device = session.get(Device, device_id)
        institution_id, scene_id = (device.institution_id, device.scene_id) if device else (0, 0)
        rows = [daily_row(device_id, day, quantity, institution_id, scene_id, readings)
                for (day, quantity), readings in sorted(groups.items())]
        if rows:
            session.connection().execute(DailyUsage.__table__.insert(), rows)


def _raw_row(e: ChainEvent) -> dict:
    return {"block_number": e.block_number, "log_index": e.log_index, "block_hash": e.block_hash,
            "transaction_hash": e.transaction_hash, "transaction_index": e.transaction_index, "contract": e.contract,
            "address": e.address, "event": e.event, "args": e.args}


def index_lag(engine: Engine, chain: Chain) -> int | None:
    """Blocks between the chain head and the index's cursor, for health endpoints; None before any indexing."""
    with Session(engine) as session:
        try:
            cursor = session.get(Cursor, 1)
        except Exception:  # no index tables yet
            return None
    if cursor is None:
        return None
    return max(0, chain.w3.eth.block_number - cursor.block_number)


