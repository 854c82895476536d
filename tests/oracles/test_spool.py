"""The spool across versions: a spool written before confirmations were tracked still opens, batches intact."""

from __future__ import annotations

import sqlite3

from oracles.spool import Spool

_FIRST_RELEASE = """
CREATE TABLE readings (id INTEGER PRIMARY KEY, device_id BLOB NOT NULL, sequence INTEGER NOT NULL,
    timestamp INTEGER NOT NULL, record BLOB NOT NULL, batch_root BLOB, UNIQUE (device_id, sequence));
CREATE TABLE batches (root BLOB PRIMARY KEY, institution_id INTEGER NOT NULL, evidence_cid TEXT NOT NULL,
    first_id INTEGER NOT NULL, last_id INTEGER NOT NULL, reading_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'anchored')), transaction_hash TEXT, block_number INTEGER,
    gas_used INTEGER);
INSERT INTO batches VALUES (x'01', 4, 'QmA', 1, 10, 10, 'anchored', 'ab', 7, 90000);
INSERT INTO batches VALUES (x'02', 4, 'QmB', 11, 12, 2, 'prepared', NULL, NULL, NULL);
"""


def test_a_spool_from_the_first_release_opens_with_its_batches(tmp_path) -> None:
    path = tmp_path / "spool.sqlite"
    old = sqlite3.connect(path)
    old.executescript(_FIRST_RELEASE)
    old.close()
    spool = Spool(path)
    anchored, prepared = spool.batches()
    assert (anchored.state, anchored.transaction_hash, anchored.confirmed) == ("anchored", "ab", False)
    assert spool.prepared_batches() == [prepared] and spool.unconfirmed_batches() == [anchored]
    spool.mark_confirmed(anchored.root)
    assert spool.last_anchored_batch().confirmed and spool.unconfirmed_batches() == []
    spool.close()
