"""What a co-signing oracle decided about each batch awaiting approvals, kept in its folder.

`approvals.sqlite` beside the spool (its own file: the spool's transactions are the ingest path's, and
`zcl oracle status` reads this one with the chain down). One row per batch of the institution that was
anchored under a quorum, in one of these states:

    waiting   found on chain, not yet decided (the next approval step takes it)
    approved  this oracle re-derived the root from the evidence and its EIP-712 approval is on chain
    refused   it would not vouch for it (evidence missing, unreadable or giving another root; or the
              contract refused the approval): logged with the reason, never signed
    skipped   it already had every approval its quorum requires when its turn came

and the block the discovery has scanned up to, so a restart goes on from there.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ledger.chain.clients import AnchoredBatch

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    root BLOB PRIMARY KEY,
    anchored_by TEXT NOT NULL,
    evidence_cid TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    required INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    transaction_hash TEXT NOT NULL DEFAULT '',
    decided_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_by_state ON approvals (state, block_number);
CREATE TABLE IF NOT EXISTS approval_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

STATES = ("waiting", "approved", "refused", "skipped")


@dataclass(frozen=True)
class ApprovalEntry:
    root: bytes
    anchored_by: str
    evidence_cid: str
    block_number: int
    required: int
    state: str
    reason: str = ""
    transaction_hash: str = ""
    decided_at: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"root": "0x" + self.root.hex(), "anchored_by": self.anchored_by, "evidence_cid": self.evidence_cid,
                "block_number": self.block_number, "required": self.required, "state": self.state,
                "reason": self.reason, "transaction_hash": self.transaction_hash, "decided_at": self.decided_at}


class ApprovalLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # discovery

    def scanned_to(self) -> int | None:
        row = self.db.execute("SELECT value FROM approval_state WHERE key='scanned_to'").fetchone()
        return None if row is None else int(row[0])

    def found(self, anchors: list[tuple[AnchoredBatch, int]], scanned_to: int) -> None:
        """Record batches needing approvals (with their required count) and how far the scan went, at once."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO approvals (root, anchored_by, evidence_cid, block_number, required, state) "
                "VALUES (?,?,?,?,?,'waiting')",
                [(a.root, a.oracle, a.evidence_cid, a.block_number, required) for a, required in anchors])
            self.db.execute("INSERT OR REPLACE INTO approval_state (key, value) VALUES ('scanned_to', ?)", (str(scanned_to),))

    def set_note(self, note: str) -> None:
        """Why the oracle approves nothing right now (e.g. not a member of the quorum); '' when it does."""
        self.db.execute("INSERT OR REPLACE INTO approval_state (key, value) VALUES ('note', ?)", (note,))

    def note(self) -> str:
        row = self.db.execute("SELECT value FROM approval_state WHERE key='note'").fetchone()
        return "" if row is None else row[0]

    # decisions

    def waiting(self, limit: int) -> list[ApprovalEntry]:
        return self._entries("WHERE state='waiting' ORDER BY block_number, root LIMIT ?", (limit,))

    def decide(self, root: bytes, state: str, reason: str = "", transaction_hash: str = "") -> None:
        if state not in STATES[1:]:
            raise ValueError(f"not a decision: {state!r}")
        self.db.execute("UPDATE approvals SET state=?, reason=?, transaction_hash=?, decided_at=? WHERE root=?",
                        (state, reason, transaction_hash, int(time.time()), root))

    # reading back

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, count(*) FROM approvals GROUP BY state").fetchall())

    def refused(self, limit: int = 20) -> list[ApprovalEntry]:
        return self._entries("WHERE state='refused' ORDER BY decided_at DESC, block_number DESC LIMIT ?", (limit,))

    def entry(self, root: bytes) -> ApprovalEntry | None:
        found = self._entries("WHERE root=?", (root,))
        return found[0] if found else None

    def _entries(self, where: str, args: tuple) -> list[ApprovalEntry]:
        rows = self.db.execute(
            "SELECT root, anchored_by, evidence_cid, block_number, required, state, reason, transaction_hash, decided_at "
            f"FROM approvals {where}", args).fetchall()
        return [ApprovalEntry(bytes(r[0]), *r[1:]) for r in rows]
