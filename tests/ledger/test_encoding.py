"""Pins reading encoding v1 to fixed bytes (the vectors other implementations must match)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.encoding import (
    PAYLOAD_LENGTH,
    EncodingError,
    Quantity,
    Reading,
    Unit,
    decode_reading,
    encode_reading,
    to_fixed_point,
)
from tests.ledger.vectors import VECTOR_PAYLOAD, VECTOR_READING

def test_vector_reading_encodes_to_the_documented_bytes() -> None:
    assert encode_reading(VECTOR_READING) == VECTOR_PAYLOAD
    assert len(VECTOR_PAYLOAD) == PAYLOAD_LENGTH == 68


def test_vector_bytes_decode_to_the_reading() -> None:
    reading = decode_reading(VECTOR_PAYLOAD)
    assert reading == VECTOR_READING
    assert reading.decimal_value == Decimal("1234.567")


def test_negative_values_use_twos_complement() -> None:
    payload = encode_reading(Reading(bytes([1]) * 32, 1, 1, Quantity.ACTIVE_POWER, Unit.KW, 0, -1))
    assert payload[52:] == b"\xff" * 16


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device_id": b"\x01" * 31}, "device_id"),
        ({"device_id": bytes(32)}, "device_id"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": 2**64}, "sequence"),
        ({"timestamp": 2**64}, "timestamp"),
        ({"scale": 128}, "scale"),
        ({"value": 2**127}, "value"),
        ({"value": 1.5}, "value"),
        ({"quantity": 99}, "quantity"),
        ({"unit": 0}, "unit"),
    ],
)
def test_out_of_range_fields_are_named(change: dict, field: str) -> None:
    fields = {name: getattr(VECTOR_READING, name) for name in Reading.__dataclass_fields__}
    fields.update(change)
    with pytest.raises(EncodingError) as caught:
        encode_reading(Reading(**fields))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (VECTOR_PAYLOAD[:-1], "payload"),
        (b"\x02" + VECTOR_PAYLOAD[1:], "version"),
        (VECTOR_PAYLOAD[:49] + b"\x63" + VECTOR_PAYLOAD[50:], "quantity"),
        (VECTOR_PAYLOAD[:50] + b"\x00" + VECTOR_PAYLOAD[51:], "unit"),
    ],
)
def test_malformed_payloads_are_refused(payload: bytes, field: str) -> None:
    with pytest.raises(EncodingError) as caught:
        decode_reading(payload)
    assert caught.value.field == field


def test_fixed_point_refuses_silent_rounding() -> None:
    assert to_fixed_point("1234.567", -3) == 1_234_567
    assert to_fixed_point(Decimal("1200"), 2) == 12
    assert to_fixed_point(-5, 0) == -5
    with pytest.raises(EncodingError):
        to_fixed_point("0.0001", -3)


readings = st.builds(
    Reading,
    device_id=st.binary(min_size=32, max_size=32).filter(lambda b: b != bytes(32)),
    sequence=st.integers(0, 2**64 - 1),
    timestamp=st.integers(0, 2**64 - 1),
    quantity=st.sampled_from(Quantity),
    unit=st.sampled_from(Unit),
    scale=st.integers(-128, 127),
    value=st.integers(-(2**127), 2**127 - 1),
)


@given(readings)
def test_every_reading_round_trips(reading: Reading) -> None:
    assert decode_reading(encode_reading(reading)) == reading
