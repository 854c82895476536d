"""Batch evidence format v1: the file whose CID an anchor records.

Layout (big-endian):

    offset  size        field
    0       4           magic "ZCLB"
    4       1           format version (1)
    5       8           institution id (uint64, OrganizationRegistry node)
    13      4           reading count n (uint32)
    17      132 × n     records: 68-byte canonical reading ‖ 64-byte Ed25519 signature

Records are ordered by (device id, sequence). Leaf i of the batch's Merkle tree is
`reading_leaf(record i)`, so the file alone determines the root that goes on chain.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.encoding import PAYLOAD_LENGTH, SIGNATURE_LENGTH, ReadingColumns, decode_reading_columns
from ledger.evidence_roots import RootMemo
from ledger.merkle import MerkleTree, reading_leaf, record_leaves
from ledger.signing import SignedReading

BATCH_MAGIC = b"ZCLB"
BATCH_FORMAT_VERSION = 1
_HEADER = struct.Struct(">4sBQI")
HEADER_LENGTH = _HEADER.size  # record i starts at HEADER_LENGTH + i × RECORD_LENGTH
RECORD_LENGTH = PAYLOAD_LENGTH + SIGNATURE_LENGTH
_TIMESTAMP = struct.Struct(">Q")
_TIMESTAMP_OFFSET = 41  # see ledger/encoding.py layout
MAX_BATCH_READINGS = 2**32 - 1


class BatchFormatError(ValueError):
    """Evidence bytes that are not a well-formed batch file."""


@dataclass(frozen=True, slots=True)
class EvidenceBatch:
    institution_id: int
    readings: tuple[SignedReading, ...]

    def encode(self) -> bytes:
        return encode_batch(self.institution_id, self.readings)

    def tree(self) -> MerkleTree:
        return MerkleTree([reading_leaf(r) for r in self.readings])

    @property
    def first_timestamp(self) -> int:
        return min(_timestamp(r.payload) for r in self.readings)

    @property
    def last_timestamp(self) -> int:
        return max(_timestamp(r.payload) for r in self.readings)


def canonical_order(readings: Sequence[SignedReading]) -> list[SignedReading]:
    """Records sorted by (device id, sequence): the order the evidence file keeps."""
    return sorted(readings, key=lambda r: r.payload[1:41])


def encode_batch(institution_id: int, readings: Sequence[SignedReading]) -> bytes:
    if not readings:
        raise BatchFormatError("a batch holds at least one reading")
    if len(readings) > MAX_BATCH_READINGS:
        raise BatchFormatError(f"a batch holds at most {MAX_BATCH_READINGS} readings")
    header = _HEADER.pack(BATCH_MAGIC, BATCH_FORMAT_VERSION, institution_id, len(readings))
    return header + b"".join(r.payload + r.signature for r in readings)


def decode_batch(data: bytes) -> EvidenceBatch:
    """Parse evidence bytes; raises BatchFormatError saying what is wrong."""
    institution_id, count = decode_batch_header(data)
    expected = _HEADER.size + count * RECORD_LENGTH
    view = memoryview(data)
    readings = tuple(
        SignedReading(bytes(view[o : o + PAYLOAD_LENGTH]), bytes(view[o + PAYLOAD_LENGTH : o + RECORD_LENGTH]))
        for o in range(_HEADER.size, expected, RECORD_LENGTH)
    )
    return EvidenceBatch(institution_id, readings)


def decode_batch_header(data: bytes) -> tuple[int, int]:
    """(institution id, reading count) of evidence bytes whose length matches the header; BatchFormatError otherwise."""
    if len(data) < _HEADER.size:
        raise BatchFormatError(f"truncated header: {len(data)} bytes")
    magic, version, institution_id, count = _HEADER.unpack_from(data)
    if magic != BATCH_MAGIC:
        raise BatchFormatError(f"bad magic {magic!r}")
    if version != BATCH_FORMAT_VERSION:
        raise BatchFormatError(f"unsupported batch format version {version}")
    expected = _HEADER.size + count * RECORD_LENGTH
    if len(data) != expected:
        raise BatchFormatError(f"header says {count} readings ({expected} bytes), file has {len(data)} bytes")
    if count == 0:
        raise BatchFormatError("a batch holds at least one reading")
    return institution_id, count


def evidence_root(data: bytes) -> bytes:
    """The Merkle root of well-formed evidence bytes, computed from the records in place: the root
    `decode_batch(data).tree().root` gives, without a SignedReading per record."""
    _, count = decode_batch_header(data)
    starts = range(_HEADER.size, len(data), RECORD_LENGTH)
    records = map(data.__getitem__, map(slice, starts, range(_HEADER.size + RECORD_LENGTH, len(data) + 1, RECORD_LENGTH)))
    return MerkleTree(record_leaves(records)).root


def cached_evidence_root(cid: str, data: bytes, memo: RootMemo | None = None, expected: bytes | None = None) -> bytes:
    """evidence_root(data), computed once per CID in this process. `cid` must be the CID the caller has
    just computed from `data` itself: equal CIDs mean equal bytes, hence an equal root.

    With a persistent `memo` (ledger/evidence_roots.py) a root another process computed is reused when it
    is the `expected` (anchored) one; any other memo entry is ignored and the root recomputed. Every root
    computed here is written to the memo. Callers that must recompute everything (an audit) pass no memo.
    """
    root = _ROOTS_BY_CID.get(cid)
    if root is not None:
        return root
    if memo is not None and expected is not None and memo.get(cid) == expected:
        return expected
    root = evidence_root(data)
    if len(_ROOTS_BY_CID) >= _ROOTS_BY_CID_LIMIT:
        _ROOTS_BY_CID.clear()
    _ROOTS_BY_CID[cid] = root
    if memo is not None:
        memo.put(cid, root)
    return root


def forget_evidence_roots() -> None:
    """Empty the cache of cached_evidence_root (benchmarks measure cold passes)."""
    _ROOTS_BY_CID.clear()


_ROOTS_BY_CID: dict[str, bytes] = {}
_ROOTS_BY_CID_LIMIT = 1 << 16  # 2 MiB of roots and CIDs: an institution's years of batches


def evidence_readings(data: bytes) -> tuple[int, ReadingColumns]:
    """(institution id, every reading decoded column-wise) of well-formed evidence bytes, in record order;
    a reading `decode_reading` would refuse raises its EncodingError."""
    institution_id, count = decode_batch_header(data)
    return institution_id, decode_reading_columns(data, count, _HEADER.size, RECORD_LENGTH)


def _timestamp(payload: bytes) -> int:
    return _TIMESTAMP.unpack_from(payload, _TIMESTAMP_OFFSET)[0]
