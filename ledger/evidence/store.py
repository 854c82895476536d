"""The evidence-store contract the ledger is written against, and the one place a backend is chosen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class EvidenceStore(Protocol):
    """Content-addressed evidence: the key of any content is the CID `ipfs add` prints for it.

    `add`/`add_file` return that CID and are idempotent. `cat` returns the stored bytes as they
    are (auditors recompute the CID themselves). `cat` of an unknown CID raises `EvidenceNotFound`;
    a string that is not an evidence CID raises `InvalidCid`; backend failures raise
    `EvidenceBackendError`. All are `EvidenceError`.
    """

    def add(self, data: bytes) -> str: ...

    def add_file(self, path: Path) -> str: ...

    def cat(self, cid: str) -> bytes: ...

    def has(self, cid: str) -> bool: ...


@runtime_checkable
class StreamingEvidenceStore(EvidenceStore, Protocol):
    """A store that can also hand out content in pieces, for evidence too large to hold at once."""

    def stream(self, cid: str) -> Iterator[bytes]: ...

    def verify(self, cid: str) -> bool: ...


def open_evidence_store(local_dir: Path, ipfs_api: str | None = None, cid_version: int = 0) -> EvidenceStore:
    """The configured store: the Kubo node at `ipfs_api` when set, else the folder `local_dir`."""
    if ipfs_api:
        from ledger.evidence.kubo import KuboEvidenceStore

        return KuboEvidenceStore(ipfs_api, cid_version)
    from ledger.evidence.local import LocalEvidenceStore

    return LocalEvidenceStore(Path(local_dir), cid_version)
