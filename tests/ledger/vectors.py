"""Shared test vectors: fixed inputs → fixed bytes, pinned for every implementation of the encoding."""

from __future__ import annotations

from ledger.encoding import Quantity, Reading, Unit

VECTOR_SEED = bytes(range(32))
VECTOR_PUBLIC_KEY = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
VECTOR_READING = Reading(
    device_id=bytes.fromhex("11" * 32),
    sequence=7,
    timestamp=1_767_225_600,  # 2026-01-01T00:00:00Z
    quantity=Quantity.ACTIVE_ENERGY_IMPORT,
    unit=Unit.KWH,
    scale=-3,
    value=1_234_567,  # 1234.567 kWh
)
VECTOR_PAYLOAD = bytes.fromhex(
    "01"  # version
    + "11" * 32  # device id
    + "0000000000000007"  # sequence 7
    + "000000006955b900"  # timestamp 1767225600
    + "01"  # quantity ACTIVE_ENERGY_IMPORT
    + "02"  # unit KWH
    + "fd"  # scale -3
    + "0000000000000000000000000012d687"  # value 1234567
)
VECTOR_SIGNATURE = bytes.fromhex(
    "353e2379657cfab41c528a4fb886fd7a456c511f7b904f3dc28c24b57f3b401b"
    "a004c8ca1fc391485d12bdc6a9c32921ef4c82e4c1404f5c40c5ccc3990bc808"
)
VECTOR_LEAF = bytes.fromhex("d2c87aae645c14c3ac08411996742d615d13549b4f92e817977d7524cf65aec0")
