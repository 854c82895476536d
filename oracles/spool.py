"""The oracle's durable spool (SQLite, WAL): accepted readings and the batches made of them.

It is the oracle's memory of which (device, sequence) pairs it has accepted, so a replay is
refused even after a restart, and of which batch each reading went into. Readings get an
arrival id; a batch is always the oldest unbatched readings, a contiguous id range, so claiming
it is one range update. A batch is written as `prepared` (root and CID known) before its anchor
is sent, so after a crash the oracle asks the chain whether that root is anchored instead of
anchoring it twice.

Batch states: `prepared` → `anchored` (mined; `confirmed` set once deep enough). A reorg that drops
the anchor turns it back into `prepared`, with the same root and readings, to be sent again.
Readings whose device the oracle could not look up (chain unreachable) wait in `deferred`.
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
CREATE TABLE IF NOT EXISTS deferred (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    record BLOB NOT NULL,
    reason TEXT NOT NULL,
    deferred_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oracle_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_ADDED_COLUMNS = {  # columns added after the first release, for spools created before them
    "batches": {"confirmed": "INTEGER NOT NULL DEFAULT 0", "anchored_at": "INTEGER"},
}
_INDEXES = """
CREATE INDEX IF NOT EXISTS batches_by_last_id ON batches (last_id);  -- where the next batch starts, every step
CREATE INDEX IF NOT EXISTS batches_unsettled ON batches (state, confirmed, first_id);
"""
_QUANTITY_BYTE = 50  # SQLite substr() position (1-based) of the quantity byte in a record, ledger/encoding.py


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
    confirmed: bool = False
    anchored_at: int | None = None


@dataclass(frozen=True)
class DeviceActivity:
    """A device as the spool has seen it: its newest reading, and the one before (for its interval)."""

    device_id: bytes
    last_sequence: int
    last_timestamp: int
    previous_timestamp: int | None
    readings: int
    first_sequence: int = 0

    @property
    def missing_sequences(self) -> int:
        """Sequences between the device's lowest and highest accepted that never arrived: frames lost on the
        way (e.g. dropped by a broker's queue limit), withheld, or refused."""
        return self.last_sequence - self.first_sequence + 1 - self.readings


@dataclass(frozen=True)
class DeferredReading:
    id: int
    source: str
    signed: SignedReading
    reason: str


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout=10000")  # `zcl alarms ack` and `zcl oracle status` share the file
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns.items():
                if name not in present:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
        self.db.executescript(_INDEXES)  # after the columns they cover exist
        self._buffer: list[tuple[bytes, int, int, bytes]] = []  # accepted, not yet written (see accept)

    def close(self) -> None:
        self.write_buffered()
        self.db.close()

    def has(self, device_id: bytes, sequence: int) -> bool:
        self.write_buffered()
        row = self.db.execute("SELECT 1 FROM readings WHERE device_id=? AND sequence=?", (device_id, sequence)).fetchone()
        return row is not None

    def latest(self, device_id: bytes) -> tuple[int, int] | None:
        """(sequence, timestamp) of the device's highest accepted sequence."""
        self.write_buffered()
        row = self.db.execute(
            "SELECT sequence, timestamp FROM readings WHERE device_id=? ORDER BY sequence DESC LIMIT 1", (device_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def latest_record(self, device_id: bytes) -> SignedReading | None:
        self.write_buffered()
        row = self.db.execute(
            "SELECT record FROM readings WHERE device_id=? ORDER BY sequence DESC LIMIT 1", (device_id,)
        ).fetchone()
        return SignedReading.from_bytes(row[0]) if row else None

    def neighbours(self, device_id: bytes, sequence: int) -> tuple[int | None, int | None]:
        """Timestamps of the accepted readings just below and just above `sequence`."""
        self.write_buffered()
        below = self.db.execute(
            "SELECT timestamp FROM readings WHERE device_id=? AND sequence<? ORDER BY sequence DESC LIMIT 1",
            (device_id, sequence),
        ).fetchone()
        above = self.db.execute(
            "SELECT timestamp FROM readings WHERE device_id=? AND sequence>? ORDER BY sequence ASC LIMIT 1",
            (device_id, sequence),
        ).fetchone()
        return (below[0] if below else None, above[0] if above else None)

    def neighbour_record(self, device_id: bytes, quantity: int, sequence: int | None, below: bool) -> SignedReading | None:
        """The accepted reading of this device and quantity with the next sequence below (or above) `sequence`;
        with `sequence` None, the highest (or lowest) of all."""
        self.write_buffered()
        order, op = ("DESC", "<") if below else ("ASC", ">")
        bound = "" if sequence is None else f" AND sequence {op} ?"
        args: tuple = (device_id, bytes([quantity])) + (() if sequence is None else (sequence,))
        row = self.db.execute(
            f"SELECT record FROM readings WHERE device_id=? AND substr(record, {_QUANTITY_BYTE}, 1)=?{bound} "
            f"ORDER BY sequence {order} LIMIT 1", args,
        ).fetchone()
        return SignedReading.from_bytes(row[0]) if row else None

    def accept(self, device_id: bytes, sequence: int, timestamp: int, signed: SignedReading) -> None:
        """Store an accepted reading, in the caller's transaction.

        Rows are buffered and written with one executemany when the caller commits (`write_buffered`)
        or before anything reads the readings table, so a read always sees every accepted reading.
        The gate refuses a repeated (device, sequence) before it gets here; the unique index keeps the
        first should one ever slip past.
        """
        self._buffer.append((device_id, sequence, timestamp, signed.payload + signed.signature))

    def write_buffered(self) -> None:
        """Write the buffered accepted readings (inside the caller's open transaction)."""
        if self._buffer:
            rows, self._buffer = self._buffer, []
            self.db.executemany("INSERT OR IGNORE INTO readings (device_id, sequence, timestamp, record) VALUES (?,?,?,?)", rows)

    def discard_buffered(self) -> None:
        """The caller's transaction rolled back: the buffered readings were never accepted."""
        self._buffer = []

    def pending(self, limit: int) -> PendingReadings | None:
        self.write_buffered()
        rows = self.db.execute(
            "SELECT id, record FROM readings WHERE id > ? ORDER BY id LIMIT ?", (self._last_batched_id(), limit)
        ).fetchall()
        if not rows:
            return None
        return PendingReadings(rows[0][0], rows[-1][0], [SignedReading.from_bytes(r[1]) for r in rows])

    def device_activity(self) -> list[DeviceActivity]:
        self.write_buffered()
        # SQLite takes the bare `timestamp` from the row that holds max(sequence)
        rows = self.db.execute(
            "SELECT device_id, max(sequence), timestamp, count(*) FROM readings GROUP BY device_id").fetchall()
        activity = []
        for device_id, sequence, timestamp, count in rows:
            # not min(sequence) in the query above: with two aggregates the bare `timestamp` is from either row
            first = self.db.execute("SELECT min(sequence) FROM readings WHERE device_id=?", (device_id,)).fetchone()[0]
            before = self.db.execute(
                "SELECT timestamp FROM readings WHERE device_id=? AND sequence<? ORDER BY sequence DESC LIMIT 1",
                (device_id, sequence)).fetchone()
            activity.append(DeviceActivity(bytes(device_id), sequence, timestamp, before[0] if before else None, count,
                                           first))
        return activity

    def pending_count(self) -> int:
        self.write_buffered()
        return self.db.execute("SELECT count(*) FROM readings WHERE id > ?", (self._last_batched_id(),)).fetchone()[0]

    def prepare_batch(self, root: bytes, institution_id: int, cid: str, pending: PendingReadings) -> SpooledBatch:
        """Record the batch and claim its readings (one id range) in one transaction."""
        count = len(pending.readings)
        self.write_buffered()
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

    def mark_anchored(self, root: bytes, transaction_hash: str | None, block_number: int | None, gas_used: int | None,
                      at: int | None = None, confirmed: bool = False) -> None:
        self.db.execute(
            "UPDATE batches SET state='anchored', transaction_hash=?, block_number=?, gas_used=?, anchored_at=?, "
            "confirmed=? WHERE root=?",
            (transaction_hash, block_number, gas_used, at, int(confirmed), root),
        )

    def mark_confirmed(self, root: bytes) -> None:
        self.db.execute("UPDATE batches SET confirmed=1 WHERE root=? AND state='anchored'", (root,))

    def mark_reorged(self, root: bytes) -> None:
        """The anchor left the canonical chain: the batch (same root, same readings) is to be sent again."""
        self.db.execute(
            "UPDATE batches SET state='prepared', confirmed=0, transaction_hash=NULL, block_number=NULL, "
            "gas_used=NULL, anchored_at=NULL WHERE root=?", (root,))

    def prepared_batches(self) -> list[SpooledBatch]:
        return self._batches("WHERE state='prepared'")

    def unconfirmed_batches(self) -> list[SpooledBatch]:
        return self._batches("WHERE state='anchored' AND confirmed=0")

    def last_anchored_batch(self) -> SpooledBatch | None:
        batches = self._batches("WHERE state='anchored'", "DESC LIMIT 1")
        return batches[0] if batches else None

    def defer(self, source: str, signed: SignedReading, reason: str, at: int) -> None:
        self.db.execute("INSERT INTO deferred (source, record, reason, deferred_at) VALUES (?,?,?,?)",
                        (source, signed.to_bytes(), reason, at))

    def deferred(self, limit: int) -> list[DeferredReading]:
        rows = self.db.execute("SELECT id, source, record, reason FROM deferred ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [DeferredReading(r[0], r[1], SignedReading.from_bytes(r[2]), r[3]) for r in rows]

    def drop_deferred(self, ids: list[int]) -> None:
        self.db.executemany("DELETE FROM deferred WHERE id=?", [(i,) for i in ids])

    def deferred_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM deferred").fetchone()[0]

    def set_state(self, values: dict[str, str]) -> None:
        """Small facts the running oracle publishes for `zcl oracle status` (heartbeat, last error)."""
        self.db.executemany("INSERT OR REPLACE INTO oracle_state (key, value) VALUES (?,?)", list(values.items()))

    def state(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM oracle_state").fetchall())

    def batches(self) -> list[SpooledBatch]:
        return self._batches("")

    def batch_readings(self, batch: SpooledBatch) -> list[SignedReading]:
        self.write_buffered()
        rows = self.db.execute(
            "SELECT record FROM readings WHERE id BETWEEN ? AND ? ORDER BY id", (batch.first_id, batch.last_id)
        ).fetchall()
        return [SignedReading.from_bytes(r[0]) for r in rows]

    def _last_batched_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(last_id), 0) FROM batches").fetchone()[0]

    def _batches(self, where: str, order: str = "") -> list[SpooledBatch]:
        rows = self.db.execute(
            "SELECT root, institution_id, evidence_cid, first_id, last_id, reading_count, state, transaction_hash, "
            f"block_number, gas_used, confirmed, anchored_at FROM batches {where} ORDER BY first_id {order}"
        ).fetchall()
        return [SpooledBatch(bytes(r[0]), *r[1:10], bool(r[10]), r[11]) for r in rows]
