"""The text form of evidence CIDs: which strings are accepted and the one spelling the store keys on.

An evidence CID is what `ipfs add` prints: CIDv0 (`Qm…`, base58btc, dag-pb) or CIDv1 (`bafy…` dag-pb
or `bafk…` raw, written here in base32 as Kubo prints them). Only sha2-256 is accepted, because it
is the only hash the ledger recomputes. A CIDv1 given in another multibase (e.g. base36 `k…`) is
accepted and rewritten to base32, so each content has one key.
"""

from __future__ import annotations

from dataclasses import dataclass

from multiformats import CID

from ledger.evidence.errors import InvalidCid

DAG_PB = "dag-pb"
RAW = "raw"
_SHA2_256 = "sha2-256"


@dataclass(frozen=True)
class EvidenceCid:
    """A validated evidence CID: its canonical text, version, codec and binary multihash."""

    text: str
    version: int
    codec: str
    multihash: bytes

    def as_version(self, version: int) -> EvidenceCid | None:
        """The same block named with the other CID version, when one exists (dag-pb only)."""
        if version == self.version:
            return self
        if self.codec != DAG_PB:
            return None  # a raw block has no CIDv0 name
        return from_multihash(self.multihash, version=version, codec=DAG_PB)

    def __str__(self) -> str:
        return self.text


def parse_cid(value: str) -> EvidenceCid:
    """Validate `value` and return it in canonical form; raise `InvalidCid(value, reason)` otherwise."""
    if not isinstance(value, str):
        raise InvalidCid(repr(value), "a CID is a string")
    if value == "":
        raise InvalidCid(value, "empty string")
    if value != value.strip() or any(c.isspace() for c in value):
        raise InvalidCid(value, "contains whitespace")
    try:
        cid = CID.decode(value)
    except Exception as exc:  # multiformats raises KeyError, ValueError and its own errors alike
        raise InvalidCid(value, _reason(exc)) from None
    if cid.hashfun.name != _SHA2_256:
        raise InvalidCid(value, f"hash function {cid.hashfun.name} is not supported (only sha2-256)")
    if len(cid.raw_digest) != 32:
        raise InvalidCid(value, f"sha2-256 digest of {len(cid.raw_digest)} bytes (expected 32)")
    if cid.codec.name not in (DAG_PB, RAW):
        raise InvalidCid(value, f"codec {cid.codec.name} is not UnixFS content (expected dag-pb or raw)")
    return from_multihash(bytes(cid.digest), version=cid.version, codec=cid.codec.name)


def from_multihash(multihash: bytes, *, version: int, codec: str) -> EvidenceCid:
    """The canonical CID of a block: CIDv0 in base58btc, CIDv1 in base32."""
    if version == 0:
        cid = CID("base58btc", 0, DAG_PB, multihash)
    else:
        cid = CID("base32", 1, codec, multihash)
    return EvidenceCid(text=str(cid), version=version, codec=codec, multihash=multihash)


def _reason(exc: Exception) -> str:
    text = str(exc).strip("'\" ") or type(exc).__name__
    return text[0].lower() + text[1:] if text else text
