"""Evidence held by a Kubo (go-ipfs) node through its RPC API, with the CIDs checked locally.

The client is `ipfshttpclient.Client(addr)` built directly: `ipfshttpclient.connect()` refuses
every Kubo newer than 0.8 (its version window ends there), while the RPC calls used here (`add`,
`cat`, `block/stat`) are unchanged across Kubo versions.

Every add names the import settings explicitly (CID version, raw leaves, 256 KiB chunker, sha2-256,
balanced layout) and the CID the node answers is compared with `compute_cid` over the same bytes:
a node whose config changes the DAG shape (e.g. the `unixfs-v1-2025` profile's 1024 links per
node) is refused with a reason, instead of anchoring a CID nobody else recomputes.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, NoReturn
from urllib.parse import urlsplit

import ipfshttpclient
from ipfshttpclient import exceptions as ipfs_errors

from ledger.evidence.cid import parse_cid
from ledger.evidence.errors import EvidenceBackendError, EvidenceNotFound, InvalidCid
from ledger.evidence.unixfs import CHUNK_SIZE, CID_VERSIONS, FileDagBuilder, ImportProfile, import_file

ProgressCallback = Callable[[int], object]

# ipfshttpclient 0.7.0 (its last release) passes `strict=` to urllib3, which warns on every request;
# the warning is about urllib3 v3, which would break the client: pin urllib3 < 3 rather than show it.
warnings.filterwarnings("ignore", message="The 'strict' parameter is no longer needed", category=FutureWarning)

_BACKEND = "kubo"
_NOT_FOUND_MARKERS = ("not found", "could not find", "no link named", "block was not found")


class KuboEvidenceStore:
    """Evidence added to (and pinned on) a Kubo node; `cat` fetches through the node.

    `api_addr` is the node's RPC address as a multiaddr (`/ip4/127.0.0.1/tcp/5001`) or a URL
    (`http://127.0.0.1:5001`). With `offline=True` reads never leave the node (a missing CID is
    reported at once instead of searched for on the network until `timeout`).
    """

    def __init__(self, api_addr: str, cid_version: int = 0, *, timeout: float = 120.0, offline: bool = False) -> None:
        if cid_version not in CID_VERSIONS:
            raise ValueError(f"cid_version must be 0 or 1, not {cid_version!r}")
        self.api_addr = api_addr
        self.cid_version = cid_version
        self.offline = offline
        try:
            # Not ipfshttpclient.connect(): its version check rejects Kubo > 0.8.
            self._client = ipfshttpclient.Client(_to_multiaddr(api_addr), timeout=timeout)
        except ipfs_errors.Error as exc:
            raise EvidenceBackendError(_BACKEND, f"cannot use API address {api_addr!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"KuboEvidenceStore({self.api_addr!r}, cid_version={self.cid_version})"

    def close(self) -> None:
        self._client.close()

    # -- writing ----------------------------------------------------------------------------------

    def add(self, data: bytes) -> str:
        expected = import_file(data, self.cid_version).cid
        try:
            answered = self._client.add_bytes(bytes(data), opts=self._add_options())
        except ipfs_errors.Error as exc:
            _raise_backend(self.api_addr, "add", exc)
        return self._checked(str(answered), expected)

    def add_file(self, path: Path, progress: ProgressCallback | None = None) -> str:
        """Upload the file in one streaming pass that also computes its CID for the check."""
        with Path(path).open("rb") as source:
            return self.add_stream(source, progress, name=Path(path).name)

    def add_stream(self, source: BinaryIO, progress: ProgressCallback | None = None, name: str = "") -> str:
        tee = _HashingReader(source, FileDagBuilder(ImportProfile.for_cid_version(self.cid_version)), progress, name)
        try:
            # add() overwrites `opts` with its own keyword defaults (raw-leaves=False among them),
            # so the import settings go in as its keywords; only `hash` has none.
            answered = self._client.add(
                tee,
                pin=True,
                trickle=False,
                chunker=f"size-{CHUNK_SIZE}",
                raw_leaves=self.cid_version == 1,
                cid_version=self.cid_version,
                opts={"hash": "sha2-256"},
            )
        except ipfs_errors.Error as exc:
            _raise_backend(self.api_addr, "add", exc)
        return self._checked(str(answered["Hash"]), tee.finish())

    # -- reading ----------------------------------------------------------------------------------

    def has(self, cid: str) -> bool:
        """Whether the node holds the root block locally (it never asks the network)."""
        text = parse_cid(cid).text
        try:
            self._client.block.stat(text, offline=True)
        except ipfs_errors.ErrorResponse as exc:
            if _is_not_found(exc):
                return False
            _raise_backend(self.api_addr, "block/stat", exc)
        except ipfs_errors.Error as exc:
            _raise_backend(self.api_addr, "block/stat", exc)
        return True

    def cat(self, cid: str) -> bytes:
        text = parse_cid(cid).text
        try:
            return bytes(self._client.cat(text, offline=self.offline))
        except ipfs_errors.Error as exc:
            _raise_read_error(self.api_addr, text, exc)

    def stream(self, cid: str) -> Iterator[bytes]:
        """The content in pieces as the node sends them (nothing held whole)."""
        text = parse_cid(cid).text
        try:
            pieces = self._client.cat(text, offline=self.offline, stream=True)
        except ipfs_errors.Error as exc:
            _raise_read_error(self.api_addr, text, exc)
        return _translated(self.api_addr, text, pieces)

    def verify(self, cid: str) -> bool:
        """Fetch the content and recompute its CID (the node's answer is not taken on trust)."""
        parsed = parse_cid(cid)
        builder = FileDagBuilder(ImportProfile.for_cid_version(parsed.version))
        for piece in self.stream(parsed.text):
            builder.write(piece)
        return builder.finish().cid == parsed.text

    # -- plumbing ---------------------------------------------------------------------------------

    def _add_options(self) -> dict[str, str]:
        """The `ipfs add` flags that pin down the DAG, whatever the node's Import config says."""
        return {
            "cid-version": str(self.cid_version),
            "raw-leaves": "true" if self.cid_version == 1 else "false",
            "chunker": f"size-{CHUNK_SIZE}",
            "hash": "sha2-256",
            "trickle": "false",
            "pin": "true",
        }

    def _checked(self, answered: str, expected: str) -> str:
        try:
            answered_text = parse_cid(answered).text
        except InvalidCid as exc:
            raise EvidenceBackendError(_BACKEND, f"node answered a CID that is not one: {exc}") from exc
        if answered_text != expected:
            raise EvidenceBackendError(
                _BACKEND,
                f"node stored the content as {answered_text} but `ipfs add` defaults give {expected}; "
                "its Import settings change the DAG (e.g. Import.UnixFSFileMaxLinks or the unixfs-v1-2025 "
                "profile): set them back to the defaults (profile unixfs-v0-2015) before adding evidence",
            )
        return answered_text


class _HashingReader(io.RawIOBase):
    """A file object for ipfshttpclient's upload that feeds every byte read to a DAG builder."""

    def __init__(self, source: BinaryIO, builder: FileDagBuilder, progress: ProgressCallback | None, name: str) -> None:
        super().__init__()
        self._source = source
        self._builder = builder
        self._progress = progress
        self.name = name  # ipfshttpclient uses it as the multipart file name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._source.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        self._builder.write(data)
        if self._progress is not None:
            self._progress(n)
        return n

    def finish(self) -> str:
        # The upload stops at EOF; read whatever a short-circuiting client might have left.
        while self.read(CHUNK_SIZE):
            pass
        return self._builder.finish().cid


def _translated(api_addr: str, cid: str, pieces: Iterator[bytes]) -> Iterator[bytes]:
    try:
        for piece in pieces:
            yield bytes(piece)
    except ipfs_errors.Error as exc:
        _raise_read_error(api_addr, cid, exc)


def _to_multiaddr(addr: str) -> str:
    """Accept `http(s)://host:port` as well as the multiaddr ipfshttpclient wants."""
    if addr.startswith("/"):
        return addr
    parts = urlsplit(addr if "://" in addr else f"http://{addr}")
    if parts.hostname is None:
        return addr
    host = parts.hostname
    proto = "ip6" if ":" in host else "ip4" if host.replace(".", "").isdigit() else "dns"
    port = parts.port or (443 if parts.scheme == "https" else 5001)
    return f"/{proto}/{host}/tcp/{port}/{'https' if parts.scheme == 'https' else 'http'}"


def _is_not_found(exc: ipfs_errors.Error) -> bool:
    return any(marker in str(exc).lower() for marker in _NOT_FOUND_MARKERS)


def _raise_read_error(api_addr: str, cid: str, exc: ipfs_errors.Error) -> NoReturn:
    if isinstance(exc, ipfs_errors.ErrorResponse) and _is_not_found(exc):
        raise EvidenceNotFound(cid) from exc
    if isinstance(exc, ipfs_errors.TimeoutError):
        reason = f"timed out reading {cid} (not on the node, nor found on the network in time)"
        raise EvidenceBackendError(_BACKEND, reason) from exc
    _raise_backend(api_addr, "cat", exc)


def _raise_backend(api_addr: str, call: str, exc: ipfs_errors.Error) -> NoReturn:
    if isinstance(exc, ipfs_errors.ConnectionError):
        raise EvidenceBackendError(_BACKEND, f"cannot reach the RPC API at {api_addr} ({call}): {_os_reason(exc)}") from exc
    raise EvidenceBackendError(_BACKEND, f"{call} failed: {exc}") from exc


def _os_reason(exc: Exception) -> str:
    """The socket-level cause inside requests' nested connection errors, e.g. "Connection refused"."""
    found = re.search(r"\[Errno -?\d+\] ([^\"')\]]+)", str(exc))
    return found.group(1).strip() if found else type(exc).__name__
