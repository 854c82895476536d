"""Ed25519 over the canonical payload: the vector, and that no byte can change unnoticed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.signing import SignedReading, generate_device_key, public_key_bytes, sign_reading, verify_signature
from tests.ledger.vectors import VECTOR_PAYLOAD, VECTOR_PUBLIC_KEY, VECTOR_READING, VECTOR_SEED, VECTOR_SIGNATURE

KEY = generate_device_key(VECTOR_SEED)
SIGNED = sign_reading(VECTOR_READING, KEY)


def test_vector_key_and_signature() -> None:
    assert public_key_bytes(KEY) == VECTOR_PUBLIC_KEY  # RFC 8032-style seed 00..1f
    assert SIGNED.payload == VECTOR_PAYLOAD
    assert SIGNED.signature == VECTOR_SIGNATURE
    assert verify_signature(SIGNED, VECTOR_PUBLIC_KEY)


def test_signature_by_another_key_is_refused() -> None:
    other = generate_device_key(bytes(32))
    assert not verify_signature(sign_reading(VECTOR_READING, other), VECTOR_PUBLIC_KEY)


def test_signature_without_domain_tag_is_refused() -> None:
    bare = SignedReading(VECTOR_PAYLOAD, KEY.sign(VECTOR_PAYLOAD).signature)
    assert not verify_signature(bare, VECTOR_PUBLIC_KEY)


def test_wrong_lengths_are_refused_not_raised() -> None:
    assert not verify_signature(SignedReading(VECTOR_PAYLOAD, VECTOR_SIGNATURE[:63]), VECTOR_PUBLIC_KEY)
    assert not verify_signature(SIGNED, VECTOR_PUBLIC_KEY[:31])


@settings(max_examples=300)
@given(position=st.integers(0, len(VECTOR_PAYLOAD) + len(VECTOR_SIGNATURE) - 1), flip=st.integers(1, 255))
def test_any_single_byte_change_invalidates_the_signed_reading(position: int, flip: int) -> None:
    record = bytearray(SIGNED.to_bytes())
    record[position] ^= flip
    assert not verify_signature(SignedReading.from_bytes(bytes(record)), VECTOR_PUBLIC_KEY)
