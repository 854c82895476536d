"""What can go wrong with evidence, as values: every error carries the offending CID or reason."""

from __future__ import annotations


class EvidenceError(Exception):
    """Base of every evidence-store error (catch this to handle any of them)."""


class InvalidCid(EvidenceError, ValueError):
    """`value` is not a CID this store can hold: not a CID at all, or one of another codec or hash."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid CID {value!r}: {reason}")
        self.value = value
        self.reason = reason


class EvidenceNotFound(EvidenceError, LookupError):
    """No content with this CID is held by the store (or reachable through its node)."""

    def __init__(self, cid: str) -> None:
        super().__init__(f"evidence {cid} not found")
        self.cid = cid


class EvidenceBackendError(EvidenceError):
    """The storage backend failed (a Kubo node unreachable, an error answer, a CID that disagrees)."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"{backend}: {reason}")
        self.backend = backend
        self.reason = reason
