"""The oracle's durable spool (SQLite, WAL): accepted readings and the batches made of them.

It is the oracle's memory of which (device, sequence) pairs it has accepted, so a replay is
refused even after a restart, and of which batch each reading went into. A batch is written
as `prepared` (root and CID known) before its anchor is sent, so after a crash the oracle asks
the chain whether that root is anchored instead of anchoring it twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ledger.signing import SignedReading

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    device_id BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    record BLOB NOT NULL,
    batch_root BLOB,
    PRIMARY KEY (device_id, sequence)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_pending ON readings (batch_root) WHERE batch_root IS NULL;
CREATE TABLE IF NOT EXISTS batches (
    root BLOB PRIMARY KEY,
    institution_id INTEGER NOT NULL,
    evidence_cid TEXT NOT NULL,
    reading_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'anchored')),
    transaction_hash TEXT,
    block_number INTEGER,
    gas_used INTEGER
);
"""


@dataclass(frozen=True)
class SpooledBatch:
    root: bytes
    institution_id: int
    evidence_cid: str
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
            (device_id, sequence, timestamp, signed.to_bytes()),
        )
        return cursor.rowcount == 1

    def pending(self, limit: int) -> list[SignedReading]:
        rows = self.db.execute(
            "SELECT record FROM readings WHERE batch_root IS NULL ORDER BY device_id, sequence LIMIT ?", (limit,)
        ).fetchall()
        return [SignedReading.from_bytes(r[0]) for r in rows]

    def pending_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM readings WHERE batch_root IS NULL").fetchone()[0]

    def prepare_batch(self, root: bytes, institution_id: int, cid: str, readings: list[SignedReading]) -> None:
        """Record the batch and claim its readings in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO batches (root, institution_id, evidence_cid, reading_count, state) VALUES (?,?,?,?, 'prepared')",
                (root, institution_id, cid, len(readings)),
            )
            self.db.executemany(
                "UPDATE readings SET batch_root=? WHERE device_id=? AND sequence=?",
                [(root, r.payload[1:33], int.from_bytes(r.payload[33:41], "big")) for r in readings],
            )

    def mark_anchored(self, root: bytes, transaction_hash: str | None, block_number: int | None, gas_used: int | None) -> None:
        self.db.execute(
            "UPDATE batches SET state='anchored', transaction_hash=?, block_number=?, gas_used=? WHERE root=?",
            (transaction_hash, block_number, gas_used, root),
        )

    def prepared_batches(self) -> list[SpooledBatch]:
        return self._batches("WHERE state='prepared'")

    def batches(self) -> list[SpooledBatch]:
        return self._batches("")

    def batch_readings(self, root: bytes) -> list[SignedReading]:
        rows = self.db.execute(
            "SELECT record FROM readings WHERE batch_root=? ORDER BY device_id, sequence", (root,)
        ).fetchall()
        return [SignedReading.from_bytes(r[0]) for r in rows]

    def _batches(self, where: str) -> list[SpooledBatch]:
        rows = self.db.execute(
            "SELECT root, institution_id, evidence_cid, reading_count, state, transaction_hash, block_number, gas_used "
            f"FROM batches {where} ORDER BY rowid"
        ).fetchall()
        return [SpooledBatch(bytes(r[0]), *r[1:]) for r in rows]
