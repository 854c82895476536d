"""UnixFS file import exactly as Kubo's `ipfs add` does it: the CID computed here is the one Kubo prints.

This is the one home of the evidence CID rule; the store, the CLI and the auditor call `compute_cid`.
The rule, with where each part comes from (ipfs/boxo, `ipld/unixfs/importer/...`):

* Chunking: fixed 262144-byte chunks (`chunker.DefaultBlockSize`, Kubo `Import.UnixFSChunker`
  default `size-262144`); the last chunk may be short; an empty file is one empty leaf.
* Layout: balanced (`importer/balanced/builder.go`). One chunk: the leaf is the root. More: every
  inner node holds up to 174 children (`helpers.DefaultLinksPerBlock`, Kubo `Import.UnixFSFileMaxLinks`)
  filled left to right, all leaves at the same depth, the depth being the smallest d with
  174**d >= number of leaves. A last node keeps even a single child (nothing is collapsed), so 175
  chunks give a root with two links: a full node of 174 leaves and a node holding one leaf.
* Leaves: CIDv0 wraps each chunk in a dag-pb node whose Data is UnixFS `{Type: File, Data: chunk,
  filesize: len}` (`helpers.NewLeafNode`, `ft.TFile`); CIDv1 (`--cid-version 1` implies
  `--raw-leaves`) stores the chunk itself as a raw block (codec 0x55), so a one-chunk file is `bafkrei…`.
* Inner nodes: dag-pb, one link per child `{Hash: child CID, Name: "", Tsize: child's cumulative
  size}` and Data UnixFS `{Type: File, filesize: sum, blocksizes: [file bytes under each child]}`
  (`helpers.FSNodeOverDag.AddChild/Commit`).
* dag-pb bytes (`ipld/merkledag/coding.go` through go-codec-dagpb): Links (field 2) are written
  before Data (field 1); each link writes Hash (1), Name (2, present even when empty) and Tsize (3).
  Tsize of a block = its encoded length + the Tsize of each of its links.
* UnixFS Data (`ipld/unixfs/pb/unixfs.proto`, proto2): Type (1), Data (2, absent when nil),
  filesize (3, always written), blocksizes (4, repeated, not packed).

Everything streams: memory stays at a few chunks plus one pending link list per tree level,
whatever the file size.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from multiformats import CID, multihash

from ledger.evidence.cid import DAG_PB, RAW, from_multihash

CHUNK_SIZE = 262_144
"""Bytes per leaf, Kubo's default chunker `size-262144`."""

MAX_LINKS = 174
"""Children per inner node, Kubo's default `Import.UnixFSFileMaxLinks`."""

CID_VERSIONS = (0, 1)

_READ_SIZE = 4 * CHUNK_SIZE  # bytes asked of a stream per read; whole chunks keep the copy-free path

BlockSink = Callable[[bytes, bytes], None]
"""Receives (binary CID, block bytes) for every block of the DAG, children before parents."""


@dataclass(frozen=True)
class ImportProfile:
    """The `ipfs add` parameters that shape a CID. Only `for_cid_version` profiles are Kubo defaults."""

    cid_version: int
    raw_leaves: bool
    chunk_size: int = CHUNK_SIZE
    max_links: int = MAX_LINKS

    @staticmethod
    def for_cid_version(cid_version: int) -> ImportProfile:
        """What `ipfs add` (0) and `ipfs add --cid-version 1` (1) use with Kubo's default config."""
        if cid_version not in CID_VERSIONS:
            raise ValueError(f"cid_version must be 0 or 1, not {cid_version!r}")
        return ImportProfile(cid_version=cid_version, raw_leaves=cid_version == 1)


@dataclass(frozen=True)
class DagRoot:
    """The root of an imported file: its CID, the file's length and the DAG's shape."""

    cid: str
    filesize: int  # bytes of file content under the root (== input length)
    tsize: int  # cumulative size of all blocks, what a parent link would carry as Tsize
    leaves: int
    depth: int  # 0 when the root is the only leaf


@dataclass(frozen=True)
class _Child:
    cid: bytes  # binary CID as a dag-pb link holds it (CIDv0: the bare multihash)
    tsize: int
    filesize: int


class FileDagBuilder:
    """Build the UnixFS DAG of one file from its bytes, fed in pieces of any size.

    `write` as often as needed, then `finish` once. The result equals what Kubo builds for the
    concatenated bytes, however they were split across `write` calls.
    """

    def __init__(self, profile: ImportProfile, block_sink: BlockSink | None = None) -> None:
        if profile.chunk_size < 1 or profile.max_links < 2:
            raise ValueError("chunk_size must be >= 1 and max_links >= 2")
        self._profile = profile
        self._sink = block_sink
        self._levels: list[list[_Child]] = [[]]  # _levels[h]: finished children waiting for a parent at height h+1
        self._pending = bytearray()  # start of the next chunk
        self._leaves = 0
        self._size = 0
        self._finished = False
        # A full chunk's dag-pb/UnixFS framing is the same for every chunk: build it once.
        self._full_frame = _leaf_frame(profile.chunk_size)

    @property
    def bytes_written(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append file bytes. Whole chunks are hashed straight from `data`, without a copy."""
        if self._finished:
            raise RuntimeError("write after finish")
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        self._size += len(view)
        size = self._profile.chunk_size
        if self._pending:
            need = size - len(self._pending)
            self._pending += view[:need]
            view = view[need:]
            if len(self._pending) < size:
                return
            self._add_leaf(self._pending)
            self._pending = bytearray()
        while len(view) >= size:
            self._add_leaf(view[:size])
            view = view[size:]
        if len(view):
            self._pending += view

    def finish(self) -> DagRoot:
        """Close every open node up to the root and return it."""
        if self._finished:
            raise RuntimeError("finish called twice")
        self._finished = True
        if self._pending or self._leaves == 0:
            self._add_leaf(self._pending)
            self._pending = bytearray()
        depth = _depth(self._leaves, self._profile.max_links)
        for height in range(depth):
            if self._levels[height]:
                parent = self._commit(self._levels[height])
                self._levels[height] = []
                self._push(height + 1, parent)
        (root,) = self._levels[depth]
        if depth == 0 and self._profile.raw_leaves:  # a raw block has only a CIDv1 name, as in Kubo
            cid = from_multihash(_multihash_of(root.cid), version=1, codec=RAW)
        else:
            cid = from_multihash(_multihash_of(root.cid), version=self._profile.cid_version, codec=DAG_PB)
        return DagRoot(cid=cid.text, filesize=root.filesize, tsize=root.tsize, leaves=self._leaves, depth=depth)

    # -- plumbing -------------------------------------------------------------------------------

    def _add_leaf(self, chunk: bytes | bytearray | memoryview) -> None:
        length = len(chunk)
        if self._profile.raw_leaves:
            digest = hashlib.sha256(chunk).digest()
            cid = _binary_cid(digest, version=1, codec=RAW)
            if self._sink is not None:
                self._sink(cid, bytes(chunk))
            child = _Child(cid=cid, tsize=length, filesize=length)
        else:
            prefix, suffix = self._full_frame if length == self._profile.chunk_size else _leaf_frame(length)
            hasher = hashlib.sha256(prefix)
            hasher.update(chunk)
            hasher.update(suffix)
            cid = _binary_cid(hasher.digest(), version=self._profile.cid_version, codec=DAG_PB)
            if self._sink is not None:
                self._sink(cid, prefix + bytes(chunk) + suffix)
            child = _Child(cid=cid, tsize=len(prefix) + length + len(suffix), filesize=length)
        self._leaves += 1
        self._push(0, child)

    def _push(self, height: int, child: _Child) -> None:
        """Add a finished child at `height`; a node that reaches max_links children is closed at once."""
        while True:
            if height == len(self._levels):
                self._levels.append([])
            level = self._levels[height]
            level.append(child)
            if len(level) < self._profile.max_links:
                return
            child = self._commit(level)
            self._levels[height] = []
            height += 1

    def _commit(self, children: list[_Child]) -> _Child:
        block = _inner_node(children)
        cid = _binary_cid(hashlib.sha256(block).digest(), version=self._profile.cid_version, codec=DAG_PB)
        if self._sink is not None:
            self._sink(cid, block)
        return _Child(
            cid=cid,
            tsize=len(block) + sum(c.tsize for c in children),
            filesize=sum(c.filesize for c in children),
        )


def import_file(
    source: bytes | bytearray | memoryview | BinaryIO | Path,
    cid_version: int = 0,
    *,
    block_sink: BlockSink | None = None,
    profile: ImportProfile | None = None,
) -> DagRoot:
    """Import `source` as `ipfs add` would and return the DAG root (CID, size, shape).

    `source` is content in memory, a binary stream (read to its end, never held whole) or a path.
    `profile` overrides the Kubo defaults for `cid_version` (for tests of other import settings).
    """
    builder = FileDagBuilder(profile or ImportProfile.for_cid_version(cid_version), block_sink)
    if isinstance(source, (bytes, bytearray, memoryview)):
        builder.write(source)
    elif isinstance(source, Path):
        with source.open("rb", buffering=0) as stream:
            feed_stream(builder, stream)
    elif isinstance(source, str):
        raise TypeError("pass a pathlib.Path for a file, or bytes for content (a str is ambiguous)")
    elif hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise TypeError("the stream must be binary (open the file with 'rb')")
        feed_stream(builder, source)
    else:
        raise TypeError(f"cannot import a {type(source).__name__}: pass bytes, a binary stream or a Path")
    return builder.finish()


def compute_cid(source: bytes | BinaryIO | Path, cid_version: int = 0) -> str:
    """The CID `ipfs add` prints for these bytes (`ipfs add --cid-version 1` when `cid_version=1`)."""
    return import_file(source, cid_version).cid


def feed_stream(builder: FileDagBuilder, stream: BinaryIO, tee: Callable[[memoryview], object] | None = None) -> None:
    """Read `stream` to its end into `builder` (and `tee`, e.g. a temp file) in 1 MiB pieces."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        buffer = bytearray(_READ_SIZE)
        view = memoryview(buffer)
        while True:
            n = readinto(view)
            if not n:
                break
            piece = view[:n]
            builder.write(piece)
            if tee is not None:
                tee(piece)
        return
    while True:
        data = stream.read(_READ_SIZE)
        if not data:
            break
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("the stream must be binary (its read() returned text)")
        builder.write(data)
        if tee is not None:
            tee(memoryview(data))


def _depth(leaves: int, max_links: int) -> int:
    depth, capacity = 0, 1
    while capacity < leaves:
        capacity *= max_links
        depth += 1
    return depth


def _leaf_frame(length: int) -> tuple[bytes, bytes]:
    """dag-pb + UnixFS bytes around a chunk of `length` bytes in a CIDv0-style leaf."""
    if length == 0:
        unixfs = b"\x08\x02\x18\x00"  # Type=File, filesize=0; Data absent (nil in boxo)
        return b"\x0a" + _varint(len(unixfs)) + unixfs, b""
    size = _varint(length)
    unixfs_head = b"\x08\x02\x12" + size  # Type=File, Data=<length-prefixed chunk>
    unixfs_tail = b"\x18" + size  # filesize
    unixfs_len = len(unixfs_head) + length + len(unixfs_tail)
    return b"\x0a" + _varint(unixfs_len) + unixfs_head, unixfs_tail


def _inner_node(children: list[_Child]) -> bytes:
    parts: list[bytes] = []
    for child in children:
        link = b"\x0a" + _varint(len(child.cid)) + child.cid + b"\x12\x00" + b"\x18" + _varint(child.tsize)
        parts.append(b"\x12" + _varint(len(link)) + link)
    unixfs = b"\x08\x02\x18" + _varint(sum(c.filesize for c in children))
    unixfs += b"".join(b"\x20" + _varint(c.filesize) for c in children)
    parts.append(b"\x0a" + _varint(len(unixfs)) + unixfs)
    return b"".join(parts)


# Binary prefixes, derived once from multiformats (building a CID object per leaf costs more than
# hashing it): <sha2-256 code><length> for a multihash, <version><codec> before it for CIDv1.
_MULTIHASH_PREFIX = bytes(multihash.wrap(bytes(32), "sha2-256"))[:-32]
_CIDV1_PREFIX = {
    codec: bytes(CID("base32", 1, codec, _MULTIHASH_PREFIX + bytes(32)))[: -len(_MULTIHASH_PREFIX) - 32]
    for codec in (DAG_PB, RAW)
}


def _binary_cid(digest: bytes, *, version: int, codec: str) -> bytes:
    if version == 0:
        return _MULTIHASH_PREFIX + digest
    return _CIDV1_PREFIX[codec] + _MULTIHASH_PREFIX + digest


def _multihash_of(binary_cid: bytes) -> bytes:
    return binary_cid[-(len(_MULTIHASH_PREFIX) + 32) :]  # a sha2-256 multihash ends every CID here


def _varint(value: int) -> bytes:
    """Unsigned LEB128, the protobuf varint."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
