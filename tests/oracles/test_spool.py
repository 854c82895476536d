"""The spool across versions: a spool written before confirmations were tracked still opens, batches intact."""

from __future__ import annotations

import sqlite3

from ledger.signing import SignedReading
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


def _signed(device: bytes, sequence: int) -> SignedReading:
    return SignedReading(bytes([1]) + device + sequence.to_bytes(8, "big") + (1000 + sequence).to_bytes(8, "big")
                         + bytes(19), bytes(64))


def test_buffered_readings_are_seen_by_every_read_and_lost_with_a_rollback(tmp_path) -> None:
    spool = Spool(tmp_path / "spool.sqlite")
    device = bytes([7]) * 32
    spool.db.execute("BEGIN")
    spool.accept(device, 1, 1001, _signed(device, 1))
    assert spool.has(device, 1) and spool.latest(device) == (1, 1001)  # a read writes the buffer first
    spool.accept(device, 2, 1002, _signed(device, 2))
    spool.db.execute("ROLLBACK")
    spool.discard_buffered()
    assert spool.pending_count() == 0 and not spool.has(device, 2)
    spool.close()


def test_missing_sequences_count_the_gaps_between_a_devices_lowest_and_highest(tmp_path) -> None:
    """A broker that drops frames (Mosquitto past max_queued_messages) shows up here, per device."""
    spool = Spool(tmp_path / "spool.sqlite")
    a, b = bytes([1]) * 32, bytes([2]) * 32
    spool.db.execute("BEGIN")
    for device, sequences in ((a, (3, 4, 7, 8, 10)), (b, (1, 2, 3))):
        for s in sequences:
            spool.accept(device, s, 1000 + s, _signed(device, s))
    spool.write_buffered()
    spool.db.execute("COMMIT")
    assert {d.device_id: d.missing_sequences for d in spool.device_activity()} == {a: 3, b: 0}
    spool.close()
