"""Canonical reading encoding v1: the exact bytes a meter signs and the ledger anchors.

Byte layout (big-endian, 68 bytes, no padding):

    offset  size  field        type     meaning
    0       1     version      uint8    always 0x01 for this layout
    1       32    device_id    bytes32  the id registered in DeviceRegistry
    33      8     sequence     uint64   per-device counter; a (device, sequence) pair is accepted once
    41      8     timestamp    uint64   unix seconds (UTC) when the value was measured
    49      1     quantity     uint8    what was measured (Quantity)
    50      1     unit         uint8    unit of `value` (Unit); must equal the device's registered unit
    51      1     scale        int8     decimal exponent: real value = value × 10^scale
    52      16    value        int128   two's-complement fixed-point mantissa

Readings are signed with Ed25519 over SIGNING_DOMAIN ‖ payload (ledger/signing.py), so a
signature over a reading can never be mistaken for a signature over anything else.
The code tables below are the ones DeviceRegistry's `kind` and `unit` fields use.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from functools import lru_cache

ENCODING_VERSION = 1
PAYLOAD_LENGTH = 68
SIGNATURE_LENGTH = 64
_LAYOUT = struct.Struct(">B32sQQBBb16s")
assert _LAYOUT.size == PAYLOAD_LENGTH

INT128_MIN = -(2**127)
INT128_MAX = 2**127 - 1
UINT64_MAX = 2**64 - 1


class Quantity(IntEnum):
    """What a reading measures. Cumulative quantities only ever grow (between counter resets)."""

    ACTIVE_ENERGY_IMPORT = 1  # cumulative electricity drawn from the grid
    ACTIVE_ENERGY_EXPORT = 2  # cumulative electricity generated / exported (PV)
    WATER_VOLUME = 3  # cumulative water volume
    GAS_VOLUME = 4  # cumulative natural gas volume
    HEAT_ENERGY = 5  # cumulative heat energy
    ACTIVE_POWER = 6  # instantaneous power
    CURRENT = 7  # instantaneous current (electrical safety)
    WATER_FLOW = 8  # instantaneous flow rate
    RESIDUAL_CURRENT = 9  # earth-leakage current of a circuit (electrical safety; amperes)
    TEMPERATURE = 10  # e.g. a cable or switchgear temperature


class Unit(IntEnum):
    WH = 1
    KWH = 2
    M3 = 3
    LITRE = 4
    GJ = 5
    KW = 6
    AMPERE = 7
    M3_PER_HOUR = 8
    DEGREE_CELSIUS = 9


class DeviceKind(IntEnum):
    ELECTRICITY_METER = 1
    WATER_METER = 2
    GAS_METER = 3
    HEAT_METER = 4
    PV_GENERATION_METER = 5
    CIRCUIT_MONITOR = 6


class EncodingError(ValueError):
    """A reading that cannot be encoded or decoded; `field` names the offending part."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement by one device, in the canonical v1 form."""

    device_id: bytes
    sequence: int
    timestamp: int
    quantity: Quantity
    unit: Unit
    scale: int
    value: int

    @property
    def decimal_value(self) -> Decimal:
        return Decimal(self.value).scaleb(self.scale)

    def encode(self) -> bytes:
        return encode_reading(self)


def encode_reading(reading: Reading) -> bytes:
    """The 68 canonical bytes of `reading`; raises EncodingError naming the field out of range."""
    if len(reading.device_id) != 32:
        raise EncodingError("device_id", f"must be 32 bytes, got {len(reading.device_id)}")
    if reading.device_id == bytes(32):
        raise EncodingError("device_id", "must not be zero")
    _check_range("sequence", reading.sequence, 0, UINT64_MAX)
    _check_range("timestamp", reading.timestamp, 0, UINT64_MAX)
    _check_range("scale", reading.scale, -128, 127)
    _check_range("value", reading.value, INT128_MIN, INT128_MAX)
    quantity = _code(Quantity, "quantity", reading.quantity)
    unit = _code(Unit, "unit", reading.unit)
    return _LAYOUT.pack(
        ENCODING_VERSION,
        reading.device_id,
        reading.sequence,
        reading.timestamp,
        quantity,
        unit,
        reading.scale,
        reading.value.to_bytes(16, "big", signed=True),
    )


def decode_reading(payload: bytes) -> Reading:
    """Parse canonical bytes back into a Reading; rejects any other length, version or code."""
    if len(payload) != PAYLOAD_LENGTH:
        raise EncodingError("payload", f"must be {PAYLOAD_LENGTH} bytes, got {len(payload)}")
    version, device_id, sequence, timestamp, quantity, unit, scale, value = _LAYOUT.unpack(payload)
    if version != ENCODING_VERSION:
        raise EncodingError("version", f"unsupported encoding version {version}")
    if device_id == bytes(32):
        raise EncodingError("device_id", "must not be zero")
    return Reading(
        device_id=device_id,
        sequence=sequence,
        timestamp=timestamp,
        quantity=_code(Quantity, "quantity", quantity),
        unit=_code(Unit, "unit", unit),
        scale=scale,
        value=int.from_bytes(value, "big", signed=True),
    )


# The same layout with the int128 value read as (high int64, low uint64): bulk decoding makes no bytes
# object per value. Derived from _LAYOUT's format so there is one definition of the bytes.
_COLUMNS_FORMAT = _LAYOUT.format.removeprefix(">").removesuffix("16s") + "qQ"
_COLUMN_COUNT = 9  # version, device_id, sequence, timestamp, quantity, unit, scale, value high, value low


@dataclass(frozen=True, slots=True)
class ReadingColumns:
    """Many readings decoded field by field: column i of each tuple belongs to reading i.

    What `decode_reading` gives for each payload, without a Reading object per reading (decoding
    millions of readings for an accounting year); quantities and units stay integer codes, checked.
    """

    device_ids: tuple[bytes, ...]
    sequences: tuple[int, ...]
    timestamps: tuple[int, ...]
    quantities: tuple[int, ...]
    units: tuple[int, ...]
    scales: tuple[int, ...]
    values: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.sequences)


def decode_reading_columns(data: bytes | memoryview, count: int, offset: int = 0,
                           stride: int = PAYLOAD_LENGTH) -> ReadingColumns:
    """Decode `count` payloads that start at `offset` and every `stride` bytes after it (a payload may be
    followed by other bytes, e.g. its signature in an evidence file). Accepts and refuses exactly what
    `decode_reading` does: the first payload it would refuse raises its EncodingError."""
    if stride < PAYLOAD_LENGTH:
        raise ValueError(f"stride must be at least {PAYLOAD_LENGTH}, got {stride}")
    if count == 0:
        return ReadingColumns((), (), (), (), (), (), ())
    gap = f"{stride - PAYLOAD_LENGTH}x" if stride > PAYLOAD_LENGTH else ""
    layout = _columns_struct(count, gap)
    if offset < 0 or len(data) < offset + (count - 1) * stride + PAYLOAD_LENGTH:
        raise EncodingError("payload", f"{count} payloads of stride {stride} from offset {offset} exceed {len(data)} bytes")
    flat = layout.unpack_from(data, offset)
    versions, device_ids, sequences, timestamps, quantities, units, scales, highs, lows = (
        flat[i::_COLUMN_COUNT] for i in range(_COLUMN_COUNT))
    if versions.count(ENCODING_VERSION) != count or bytes(32) in device_ids \
            or not set(quantities) <= _QUANTITY_CODES or not set(units) <= _UNIT_CODES:
        for i in range(count):  # name the first refused payload exactly as decode_reading does
            decode_reading(bytes(data[offset + i * stride: offset + i * stride + PAYLOAD_LENGTH]))
    if highs.count(0) == count:
        values = lows
    else:
        values = tuple((high << 64) | low for high, low in zip(highs, lows))
    return ReadingColumns(device_ids, sequences, timestamps, quantities, units, scales, values)


_QUANTITY_CODES = frozenset(int(q) for q in Quantity)
_UNIT_CODES = frozenset(int(u) for u in Unit)


@lru_cache(maxsize=4)
def _columns_struct(count: int, gap: str) -> struct.Struct:
    return struct.Struct(">" + (_COLUMNS_FORMAT + gap) * count)


def to_fixed_point(value: Decimal | str | int, scale: int) -> int:
    """The int128 mantissa of `value` at decimal exponent `scale`; refuses to round silently."""
    mantissa = Decimal(value).scaleb(-scale)
    if mantissa != mantissa.to_integral_value():
        raise EncodingError("value", f"{value} is not representable at scale {scale} without rounding")
    result = int(mantissa)
    _check_range("value", result, INT128_MIN, INT128_MAX)
    return result


def _check_range(field: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise EncodingError(field, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise EncodingError(field, f"{value} outside [{low}, {high}]")


def _code(table: type[IntEnum], field: str, value: int) -> IntEnum:
    member = table._value2member_map_.get(value)  # a dict lookup: decoding is on the oracle's hot path
    if member is None:
        raise EncodingError(field, f"unknown {table.__name__} code {value}")
    return member
