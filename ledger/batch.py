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

from ledger.encoding import PAYLOAD_LENGTH, SIGNATURE_LENGTH
from ledger.merkle import MerkleTree, reading_leaf
from ledger.signing import SignedReading

BATCH_MAGIC = b"ZCLB"
BATCH_FORMAT_VERSION = 1
_HEADER = struct.Struct(">4sBQI")
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
    view = memoryview(data)
    readings = tuple(
        SignedReading(bytes(view[o : o + PAYLOAD_LENGTH]), bytes(view[o + PAYLOAD_LENGTH : o + RECORD_LENGTH]))
        for o in range(_HEADER.size, expected, RECORD_LENGTH)
    )
    return EvidenceBatch(institution_id, readings)


def _timestamp(payload: bytes) -> int:
    return _TIMESTAMP.unpack_from(payload, _TIMESTAMP_OFFSET)[0]
