"""Test-side tools for the UnixFS CID tests: deterministic content as Kubo's and js-ipfs-unixfs's tests
make it, a dag-pb/UnixFS decoder, and an independent reference importer.

The reference importer is a direct, recursive, in-memory transcription of boxo's balanced layout
(`ipld/unixfs/importer/balanced/builder.go`: `Layout`, `layoutData`, `fillNodeRec`) with its own
protobuf writer, so the streaming builder in ledger/evidence/unixfs.py is checked against a second
implementation of the rule written the way the spec is, not against itself.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from multiformats import CID, multihash

# -- deterministic content ------------------------------------------------------------------------


class ChaChaContent(io.RawIOBase):
    """Kubo's `DeterministicRandomReaderBytes(size, seed)` (test/cli/testutils/random_deterministic.go):
    the ChaCha20 keystream (RFC 8439, 12-byte zero nonce, counter from 0) under key sha256(seed).
    js-ipfs-unixfs `test/helpers/deterministic.ts` generates the same bytes for its IPIP-499 tests.
    """

    def __init__(self, size: int, seed: str) -> None:
        from Crypto.Cipher import ChaCha20  # pycryptodome, a dependency of eth-brownie

        super().__init__()
        self._cipher = ChaCha20.new(key=hashlib.sha256(seed.encode()).digest(), nonce=bytes(12))
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self._left)
        if n <= 0:
            return 0
        buffer[:n] = self._cipher.encrypt(bytes(n))
        self._left -= n
        return n


class ZeroContent(io.RawIOBase):
    """`size` zero bytes without holding them."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self._left)
        buffer[:n] = bytes(n)
        self._left -= n
        return n


class ShortReads(io.RawIOBase):
    """A stream over `data` that returns at most the next of `sizes` bytes per read (cycling)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        super().__init__()
        self._data = memoryview(data)
        self._sizes = [max(1, s) for s in sizes] or [1]
        self._at = 0
        self._turn = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        want = min(len(buffer), self._sizes[self._turn % len(self._sizes)], len(self._data) - self._at)
        self._turn += 1
        buffer[:want] = self._data[self._at : self._at + want]
        self._at += want
        return want


# -- protobuf: a minimal reader and writer ---------------------------------------------------------


def write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_varint_field(number: int, value: int) -> bytes:
    return write_varint(number << 3) + write_varint(value)


def pb_bytes_field(number: int, value: bytes) -> bytes:
    return write_varint(number << 3 | 2) + write_varint(len(value)) + value


def read_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs in wire order; varints as int, length-delimited as bytes."""
    fields: list[tuple[int, int | bytes]] = []
    at = 0

    def varint() -> int:
        nonlocal at
        shift = result = 0
        while True:
            byte = data[at]
            at += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while at < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields.append((number, varint()))
        elif wire == 2:
            length = varint()
            fields.append((number, data[at : at + length]))
            at += length
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return fields


@dataclass
class PBLink:
    cid: bytes
    name: bytes | None
    tsize: int | None


@dataclass
class FileNode:
    """A decoded dag-pb block carrying UnixFS file data, with the raw field order kept for checks."""

    links: list[PBLink]
    unixfs_type: int
    data: bytes | None
    filesize: int | None
    blocksizes: list[int]
    field_order: list[int] = field(default_factory=list)


def decode_file_node(block: bytes) -> FileNode:
    outer = read_fields(block)
    links: list[PBLink] = []
    unixfs = b""
    for number, value in outer:
        assert isinstance(value, bytes)
        if number == 2:
            parts = dict(read_fields(value))
            links.append(PBLink(cid=parts[1], name=parts.get(2), tsize=parts.get(3)))  # type: ignore[arg-type]
        elif number == 1:
            unixfs = value
    inner = read_fields(unixfs)
    values = dict(inner)
    return FileNode(
        links=links,
        unixfs_type=values[1],  # type: ignore[arg-type]
        data=values.get(2),  # type: ignore[arg-type]
        filesize=values.get(3),  # type: ignore[arg-type]
        blocksizes=[v for n, v in inner if n == 4],  # type: ignore[misc]
        field_order=[n for n, _ in outer],
    )


# -- reference importer: boxo's balanced layout, recursive ------------------------------------------

_FILE = 2


@dataclass
class _Node:
    cid: bytes
    block: bytes
    tsize: int
    filesize: int


class ReferenceImporter:
    """boxo's balanced importer, transcribed: `Layout` -> `layoutData` -> `fillNodeRec`."""

    def __init__(self, data: bytes, *, chunk_size: int, max_links: int, cid_version: int, raw_leaves: bool) -> None:
        self._chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
        self._next = 0
        self._max_links = max_links
        self._version = cid_version
        self._raw_leaves = raw_leaves
        self.blocks: dict[bytes, bytes] = {}

    def run(self) -> str:
        if self._done():  # Layout: empty input -> NewLeafNode(nil)
            root = self._leaf(b"", empty=True)
        else:
            root = self._layout_data()
        if self._version == 0:
            return str(CID("base58btc", 0, "dag-pb", root.cid))
        return str(CID.decode(root.cid).set(base="base32"))

    def _done(self) -> bool:
        return self._next >= len(self._chunks)

    def _layout_data(self) -> _Node:
        root = self._new_leaf_data_node()
        depth = 1
        while not self._done():
            children = [root]  # newRoot.AddChild(root)
            root = self._fill_node_rec(children, depth)
            depth += 1
        return root

    def _fill_node_rec(self, children: list[_Node], depth: int) -> _Node:
        while len(children) < self._max_links and not self._done():
            if depth == 1:
                children.append(self._new_leaf_data_node())
            else:
                children.append(self._fill_node_rec([], depth - 1))
        return self._commit(children)

    def _new_leaf_data_node(self) -> _Node:
        chunk = self._chunks[self._next]
        self._next += 1
        return self._leaf(chunk)

    def _leaf(self, chunk: bytes, empty: bool = False) -> _Node:
        if self._raw_leaves:
            return self._store(chunk, codec="raw", tsize=len(chunk), filesize=len(chunk))
        unixfs = pb_varint_field(1, _FILE)
        if not empty:
            unixfs += pb_bytes_field(2, chunk)
        unixfs += pb_varint_field(3, len(chunk))
        block = pb_bytes_field(1, unixfs)
        return self._store(block, codec="dag-pb", tsize=len(block), filesize=len(chunk))

    def _commit(self, children: list[_Node]) -> _Node:
        block = b""
        for child in children:  # PBNode.Links (field 2) first
            link = pb_bytes_field(1, child.cid) + pb_bytes_field(2, b"") + pb_varint_field(3, child.tsize)
            block += pb_bytes_field(2, link)
        filesize = sum(c.filesize for c in children)
        unixfs = pb_varint_field(1, _FILE) + pb_varint_field(3, filesize)
        unixfs += b"".join(pb_varint_field(4, c.filesize) for c in children)
        block += pb_bytes_field(1, unixfs)  # then PBNode.Data (field 1)
        return self._store(block, codec="dag-pb", tsize=len(block) + sum(c.tsize for c in children), filesize=filesize)

    def _store(self, block: bytes, *, codec: str, tsize: int, filesize: int) -> _Node:
        mh = bytes(multihash.digest(block, "sha2-256"))
        cid = mh if self._version == 0 else bytes(CID("base32", 1, codec, mh))
        self.blocks[cid] = block
        return _Node(cid=cid, block=block, tsize=tsize, filesize=filesize)
