"""Ed25519 signatures of readings (PyNaCl), with a domain tag so they sign nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ledger.encoding import PAYLOAD_LENGTH, SIGNATURE_LENGTH, Reading, decode_reading, encode_reading

SIGNING_DOMAIN = b"zcl/reading/v1"


@dataclass(frozen=True, slots=True)
class SignedReading:
    """Canonical payload bytes plus the device's Ed25519 signature over SIGNING_DOMAIN ‖ payload."""

    payload: bytes
    signature: bytes

    @property
    def reading(self) -> Reading:
        return decode_reading(self.payload)

    def to_bytes(self) -> bytes:
        return self.payload + self.signature

    @classmethod
    def from_bytes(cls, record: bytes) -> "SignedReading":
        if len(record) != PAYLOAD_LENGTH + SIGNATURE_LENGTH:
            raise ValueError(f"a signed reading is {PAYLOAD_LENGTH + SIGNATURE_LENGTH} bytes, got {len(record)}")
        return cls(record[:PAYLOAD_LENGTH], record[PAYLOAD_LENGTH:])


def generate_device_key(seed: bytes | None = None) -> SigningKey:
    """A new device key; a 32-byte `seed` makes it deterministic (simulators, test vectors)."""
    return SigningKey(seed) if seed is not None else SigningKey.generate()


def public_key_bytes(key: SigningKey) -> bytes:
    return bytes(key.verify_key)


def sign_reading(reading: Reading, key: SigningKey) -> SignedReading:
    payload = encode_reading(reading)
    return SignedReading(payload, key.sign(SIGNING_DOMAIN + payload).signature)


def verify_signature(signed: SignedReading, public_key: bytes | VerifyKey) -> bool:
    """True when `signed.signature` is the holder of `public_key` signing `signed.payload`.

    Callers that check many readings of one device pass a prepared VerifyKey.
    """
    if len(signed.signature) != SIGNATURE_LENGTH:
        return False
    if not isinstance(public_key, VerifyKey):
        if len(public_key) != 32:
            return False
        public_key = VerifyKey(public_key)
    try:
        public_key.verify(SIGNING_DOMAIN + signed.payload, signed.signature)
    except (BadSignatureError, ValueError):
        return False
    return True
