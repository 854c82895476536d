"""Evidence kept in a local folder, one file per CID, the file holding the original bytes.

Layout: `<root>/<shard>/<cid>`, where the shard is the two characters before the CID's last one
(go-ds-flatfs `next-to-last/2`, what Kubo's own blockstore uses), so no folder grows past ~1000
entries. Writes go to `<root>/.incoming/` first and reach their CID path by one `os.replace`
after an fsync: a crash leaves at most a temporary file there, never a partial file under a CID.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ledger.evidence.cid import EvidenceCid, parse_cid
from ledger.evidence.errors import EvidenceNotFound
from ledger.evidence.unixfs import CID_VERSIONS, FileDagBuilder, ImportProfile, feed_stream, import_file

ProgressCallback = Callable[[int], object]
"""Called with the number of bytes just read, for progress bars."""

_INCOMING = ".incoming"
_STREAM_PIECE = 1 << 20


class LocalEvidenceStore:
    """A content-addressed folder whose keys are exactly the CIDs `ipfs add` prints.

    `add` is idempotent: adding the same bytes again returns the same CID and writes nothing.
    `cat` returns the stored bytes as they are; `verify` recomputes their CID.
    """

    def __init__(self, root: Path, cid_version: int = 0) -> None:
        if cid_version not in CID_VERSIONS:
            raise ValueError(f"cid_version must be 0 or 1, not {cid_version!r}")
        self.root = Path(root)
        self.cid_version = cid_version

    def __repr__(self) -> str:
        return f"LocalEvidenceStore({str(self.root)!r}, cid_version={self.cid_version})"

    # -- writing ----------------------------------------------------------------------------------

    def add(self, data: bytes) -> str:
        cid = import_file(data, self.cid_version).cid
        if self._path(cid).exists():
            return cid

        def write(out: BinaryIO) -> str:
            out.write(data)
            return cid

        return self._write_atomically(write)

    def add_file(self, path: Path, progress: ProgressCallback | None = None) -> str:
        """Copy the file in while computing its CID, in one streaming pass (any size)."""
        with Path(path).open("rb", buffering=0) as source:
            return self.add_stream(source, progress)

    def add_stream(self, source: BinaryIO, progress: ProgressCallback | None = None) -> str:
        """Store a binary stream read to its end; the CID is known only once it is all read."""

        def write(out: BinaryIO) -> str:
            builder = FileDagBuilder(ImportProfile.for_cid_version(self.cid_version))

            def tee(piece: memoryview) -> None:
                out.write(piece)
                if progress is not None:
                    progress(len(piece))

            feed_stream(builder, source, tee)
            return builder.finish().cid

        return self._write_atomically(write)

    # -- reading ----------------------------------------------------------------------------------

    def has(self, cid: str) -> bool:
        return self._find(parse_cid(cid)) is not None

    def cat(self, cid: str) -> bytes:
        return self._existing(cid).read_bytes()

    def stream(self, cid: str) -> Iterator[bytes]:
        """The stored bytes in pieces of at most 1 MiB, for content too large to hold at once."""
        path = self._existing(cid)  # raise before the first piece is asked for
        return _read_pieces(path)

    def verify(self, cid: str) -> bool:
        """Whether the stored bytes still hash to `cid` (recomputed with the CID's own version)."""
        wanted = parse_cid(cid)
        path = self._find(wanted)
        if path is None:
            raise EvidenceNotFound(wanted.text)
        stored = parse_cid(path.name)
        return import_file(path, stored.version).cid == stored.text

    def path_of(self, cid: str) -> Path:
        """Where the content of `cid` is (or would be) kept."""
        return self._path(parse_cid(cid).text)

    # -- plumbing ---------------------------------------------------------------------------------

    def _existing(self, cid: str) -> Path:
        parsed = parse_cid(cid)
        path = self._find(parsed)
        if path is None:
            raise EvidenceNotFound(parsed.text)
        return path

    def _find(self, cid: EvidenceCid) -> Path | None:
        # A dag-pb root has a CIDv0 and a CIDv1 name for the same block: accept either.
        for version in (cid.version, 1 - cid.version):
            alias = cid.as_version(version)
            if alias is not None and (path := self._path(alias.text)).is_file():
                return path
        return None

    def _path(self, cid_text: str) -> Path:
        return self.root / cid_text[-3:-1] / cid_text

    def _write_atomically(self, write: Callable[[BinaryIO], str]) -> str:
        """Run `write` on a temp file (it returns the content's CID), then publish it under that CID.

        The temp file is fsynced, then renamed into place: readers see the whole file or nothing.
        """
        incoming = self.root / _INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=incoming, prefix="add-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                cid = write(out)
                out.flush()
                os.fsync(out.fileno())
            target = self._path(cid)
            if target.exists():  # added meanwhile, or before (add_stream learns its CID only now)
                temp.unlink()
            else:
                self._publish(temp, target)
            return cid
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _publish(self, temp: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp, 0o444)  # content under a CID never changes
        os.replace(temp, target)
        _fsync_dir(target.parent)


def _read_pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while piece := f.read(_STREAM_PIECE):
            yield piece


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
