"""A persistent memo "the evidence named CID X gives Merkle root R", kept beside a local evidence store.

Why it is safe to trust for accounting: a CID is a hash of the evidence bytes, and every reader still
re-hashes the bytes it reads to the anchored CID before it consults the memo. So the memo never
vouches for *which* bytes are read (the CID does that); it only spares recomputing a pure function of
those bytes (the Merkle tree, three keccaks a reading). An entry is written only by a process that has
just computed the root from bytes hashing to that CID. If the memo were tampered with to pair an
anchored CID with the anchored root although the bytes give another root (an oracle that anchored a
wrong root), accounting would accept the batch — and `zcl audit` / `verify_ledger`, which by default
read nothing from the memo and recompute every tree, report ROOT_MISMATCH for it. A memo entry that
disagrees with the anchor is never believed either: the reader recomputes.

Stored as one SQLite table in `<evidence store>/.roots.sqlite3` (a dot-name the CID layout never uses);
a store without a local folder (Kubo) has no memo and every root is recomputed.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

MEMO_FILE = ".roots.sqlite3"
_SCHEMA = "CREATE TABLE IF NOT EXISTS evidence_root (cid TEXT PRIMARY KEY, root BLOB NOT NULL) WITHOUT ROWID"


class RootMemo:
    """CID → Merkle root of the evidence bytes, shared by every process using the store's folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, shared by the threads of a server

    def get(self, cid: str) -> bytes | None:
        """The root recorded for `cid`, or None (also when the memo file cannot be read)."""
        try:
            with self._lock:
                row = self._connection().execute("SELECT root FROM evidence_root WHERE cid = ?", (cid,)).fetchone()
        except (sqlite3.Error, OSError):
            return None
        return bytes(row[0]) if row is not None and len(row[0]) == 32 else None

    def put(self, cid: str, root: bytes) -> None:
        """Record a root just computed from bytes that hash to `cid`; a memo that cannot be written is skipped
        (it only saves work)."""
        try:
            with self._lock, self._connection() as db:
                db.execute("INSERT OR REPLACE INTO evidence_root (cid, root) VALUES (?, ?)", (cid, root))
        except (sqlite3.Error, OSError):
            pass

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def clear(self) -> None:
        """Delete the memo (its file and SQLite's side files): every root is recomputed next time."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # losing the last entries in a crash only costs recomputation
            db.execute(_SCHEMA)
            db.commit()
            self._db = db
        return self._db


_MEMOS: dict[Path, RootMemo] = {}


def root_memo_for(evidence: object) -> RootMemo | None:
    """The memo of a store kept in a local folder (one per folder in a process); None for other stores."""
    root = getattr(evidence, "root", None)
    if not isinstance(root, Path):
        return None
    path = root / MEMO_FILE
    memo = _MEMOS.get(path)
    if memo is None:
        memo = _MEMOS[path] = RootMemo(path)
    return memo
