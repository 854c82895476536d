"""The oracle's durable spool (SQLite, WAL): accepted readings and the batches made of them.

It is the oracle's memory of which (device, sequence) pairs it has accepted, so a replay is
refused even after a restart, and of which batch each reading went into. Readings get an
arrival id; a batch is always the oldest unbatched readings, a contiguous id range, so claiming
it is one range update. A batch is written as `prepared` (root and CID known) before its anchor
is sent, so after a crash the oracle asks the chain whether that root is anchored instead of
anchoring it twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ledger.signing import SignedReading

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,            -- arrival order
    device_id BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    record BLOB NOT NULL,              -- 68-byte payload ‖ 64-byte signature
    batch_root BLOB,
    UNIQUE (device_id, sequence)
);
CREATE TABLE IF NOT EXISTS batches (
    root BLOB PRIMARY KEY,
    institution_id INTEGER NOT NULL,
    evidence_cid TEXT NOT NULL,
    first_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    reading_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'anchored')),
    transaction_hash TEXT,
    block_number INTEGER,
    gas_used INTEGER
);
"""


class SpoolError(RuntimeError):
    """The spool's contents contradict themselves (e.g. a batch claim that does not match)."""


@dataclass(frozen=True)
class PendingReadings:
    """The oldest unbatched readings: arrival ids first_id..last_id, in arrival order."""

    first_id: int
    last_id: int
    readings: list[SignedReading]


@dataclass(frozen=True)
class SpooledBatch:
    root: bytes
    institution_id: int
    evidence_cid: str
    first_id: int
    last_id: int
    reading_count: int
    state: str
    transaction_hash: str | None
    block_number: int | None
    gas_used: int | None


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def has(self, device_id: bytes, sequence: int) -> bool:
        row = self.db.execute("SELECT 1 FROM readings WHERE device_id=? AND sequence=?", (device_id, sequence)).fetchone()
        return row is not None

    def latest(self, device_id: bytes) -> tuple[int, int] | None:
        """(sequence, timestamp) of the device's highest accepted sequence."""
        row = self.db.execute(
            "SELECT sequence, timestamp FROM readings WHERE device_id=? ORDER BY sequence DESC LIMIT 1", (device_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def latest_record(self, device_id: bytes) -> SignedReading | None:
        row = self.db.execute(
            "SELECT record FROM readings WHERE device_id=? ORDER BY sequence DESC LIMIT 1", (device_id,)
        ).fetchone()
        return SignedReading.from_bytes(row[0]) if row else None

    def neighbours(self, device_id: bytes, sequence: int) -> tuple[int | None, int | None]:
        """Timestamps of the accepted readings just below and just above `sequence`."""
        below = self.db.execute(
            "SELECT timestamp FROM readings WHERE device_id=? AND sequence<? ORDER BY sequence DESC LIMIT 1",
            (device_id, sequence),
        ).fetchone()
        above = self.db.execute(
            "SELECT timestamp FROM readings WHERE device_id=? AND sequence>? ORDER BY sequence ASC LIMIT 1",
            (device_id, sequence),
        ).fetchone()
        return (below[0] if below else None, above[0] if above else None)

    def accept(self, device_id: bytes, sequence: int, timestamp: int, signed: SignedReading) -> bool:
        """Store an accepted reading; False when the (device, sequence) pair is already there."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO readings (device_id, sequence, timestamp, record) VALUES (?,?,?,?)",
            (device_id, sequence, timestamp, signed.payload + signed.signature),
        )
        return cursor.rowcount == 1

    def pending(self, limit: int) -> PendingReadings | None:
        rows = self.db.execute(
            "SELECT id, record FROM readings WHERE id > ? ORDER BY id LIMIT ?", (self._last_batched_id(), limit)
        ).fetchall()
        if not rows:
            return None
        return PendingReadings(rows[0][0], rows[-1][0], [SignedReading.from_bytes(r[1]) for r in rows])

    def pending_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM readings WHERE id > ?", (self._last_batched_id(),)).fetchone()[0]

    def prepare_batch(self, root: bytes, institution_id: int, cid: str, pending: PendingReadings) -> SpooledBatch:
        """Record the batch and claim its readings (one id range) in one transaction."""
        count = len(pending.readings)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if self._last_batched_id() >= pending.first_id:
                raise SpoolError(f"readings from id {pending.first_id} are already in a batch")
            self.db.execute(
                "INSERT INTO batches (root, institution_id, evidence_cid, first_id, last_id, reading_count, state) "
                "VALUES (?,?,?,?,?,?, 'prepared')",
                (root, institution_id, cid, pending.first_id, pending.last_id, count),
            )
            claimed = self.db.execute(
                "UPDATE readings SET batch_root=? WHERE id BETWEEN ? AND ?", (root, pending.first_id, pending.last_id)
            ).rowcount
            if claimed != count:
                raise SpoolError(f"batch claims {claimed} readings, expected {count}")
        return SpooledBatch(root, institution_id, cid, pending.first_id, pending.last_id, count, "prepared", None, None, None)

    def mark_anchored(self, root: bytes, transaction_hash: str | None, block_number: int | None, gas_used: int | None) -> None:
        self.db.execute(
            "UPDATE batches SET state='anchored', transaction_hash=?, block_number=?, gas_used=? WHERE root=?",
            (transaction_hash, block_number, gas_used, root),
        )

    def prepared_batches(self) -> list[SpooledBatch]:
        return self._batches("WHERE state='prepared'")

    def batches(self) -> list[SpooledBatch]:
        return self._batches("")

    def batch_readings(self, batch: SpooledBatch) -> list[SignedReading]:
        rows = self.db.execute(
            "SELECT record FROM readings WHERE id BETWEEN ? AND ? ORDER BY id", (batch.first_id, batch.last_id)
        ).fetchall()
        return [SignedReading.from_bytes(r[0]) for r in rows]

    def _last_batched_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(last_id), 0) FROM batches").fetchone()[0]

    def _batches(self, where: str) -> list[SpooledBatch]:
        rows = self.db.execute(
            "SELECT root, institution_id, evidence_cid, first_id, last_id, reading_count, state, transaction_hash, "
            f"block_number, gas_used FROM batches {where} ORDER BY first_id"
        ).fetchall()
        return [SpooledBatch(bytes(r[0]), *r[1:]) for r in rows]
