"""Properties of the UnixFS importer that must hold for every input, not only the published vectors.

* However the bytes arrive (one buffer, a stream with short reads, a file path, writes of any size)
  the CID is the same.
* The DAG is well formed the way boxo builds it: its root's filesize is the input length, leaves
  concatenate to the input, every inner node has <= max_links links with an empty Name and
  Tsize = child block length + child's own link Tsizes, blocksizes match the children, Links are
  written before Data, and every leaf is at the same depth (balanced).
* With tiny chunk sizes and widths (deep trees from a few hundred bytes), the streaming builder
  agrees with `ReferenceImporter`, a recursive transcription of boxo's balanced builder.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multiformats import CID
from unixfs_reference import ReferenceImporter, ShortReads, decode_file_node

from ledger.evidence.unixfs import CHUNK_SIZE, MAX_LINKS, FileDagBuilder, ImportProfile, import_file

BOUNDARIES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE]
sizes_near_chunk_boundaries = st.sampled_from(BOUNDARIES).flatmap(
    lambda edge: st.integers(min_value=max(0, edge - 2), max_value=edge + 2)
)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
read_sizes = st.lists(st.integers(min_value=1, max_value=3 * CHUNK_SIZE), min_size=1, max_size=8)


def _content(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=sizes_near_chunk_boundaries, seed=seeds, reads=read_sizes, cid_version=st.sampled_from([0, 1]))
def test_streamed_path_and_in_memory_cids_agree(size: int, seed: int, reads: list[int], cid_version: int) -> None:
    data = _content(size, seed)
    in_memory = import_file(data, cid_version)
    streamed = import_file(ShortReads(data, reads), cid_version)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evidence.bin"
        path.write_bytes(data)
        from_path = import_file(path, cid_version)
    assert streamed == in_memory == from_path
    assert in_memory.filesize == size


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=sizes_near_chunk_boundaries, seed=seeds, cid_version=st.sampled_from([0, 1]))
def test_dag_total_filesize_equals_input_length_and_dag_is_balanced(size: int, seed: int, cid_version: int) -> None:
    data = _content(size, seed)
    blocks: dict[bytes, bytes] = {}
    root = import_file(data, cid_version, block_sink=lambda cid, block: blocks.__setitem__(cid, block))
    _check_dag(blocks, _binary_cid(root.cid), data, MAX_LINKS, raw_leaves=cid_version == 1)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=400),
    seed=seeds,
    chunk_size=st.integers(min_value=1, max_value=8),
    max_links=st.integers(min_value=2, max_value=5),
    cid_version=st.sampled_from([0, 1]),
)
def test_streaming_builder_equals_recursive_boxo_transcription_on_deep_trees(
    size: int, seed: int, chunk_size: int, max_links: int, cid_version: int
) -> None:
    data = _content(size, seed)
    raw_leaves = cid_version == 1
    profile = ImportProfile(cid_version=cid_version, raw_leaves=raw_leaves, chunk_size=chunk_size, max_links=max_links)
    blocks: dict[bytes, bytes] = {}
    root = import_file(data, profile=profile, block_sink=lambda cid, block: blocks.__setitem__(cid, block))
    reference = ReferenceImporter(
        data, chunk_size=chunk_size, max_links=max_links, cid_version=cid_version, raw_leaves=raw_leaves
    )
    assert root.cid == reference.run()
    assert blocks == reference.blocks
    _check_dag(blocks, _binary_cid(root.cid), data, max_links, raw_leaves=raw_leaves)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=0, max_value=200), seed=seeds, cuts=st.lists(st.integers(min_value=0, max_value=200)))
def test_cid_does_not_depend_on_how_writes_are_split(size: int, seed: int, cuts: list[int]) -> None:
    data = _content(size, seed)
    profile = ImportProfile(cid_version=0, raw_leaves=False, chunk_size=7, max_links=3)
    builder = FileDagBuilder(profile)
    previous = 0
    for cut in [*sorted({min(c, size) for c in cuts}), size]:
        builder.write(data[previous:cut])
        previous = cut
    assert builder.finish() == import_file(data, profile=profile)


def _check_dag(blocks: dict[bytes, bytes], root: bytes, data: bytes, max_links: int, *, raw_leaves: bool) -> None:
    leaves: list[tuple[int, bytes]] = []

    def walk(cid: bytes, depth: int) -> tuple[int, int]:
        """Returns (file bytes, Tsize) under `cid`, collecting leaves with their depth."""
        block = blocks[cid]
        if cid[:2] == b"\x01\x55":  # raw leaf
            assert raw_leaves
            leaves.append((depth, block))
            return len(block), len(block)
        node = decode_file_node(block)
        assert node.unixfs_type == 2  # File
        if not node.links:
            assert not raw_leaves  # with raw leaves every leaf is a raw block
            leaves.append((depth, node.data or b""))
            assert node.filesize == len(node.data or b"")
            return len(node.data or b""), len(block)
        assert node.data is None
        assert len(node.links) <= max_links
        assert node.field_order == [2] * len(node.links) + [1]  # Links before Data
        tsize = len(block)
        sizes = []
        for link in node.links:
            assert link.name == b""  # Name present and empty, as boxo writes it
            filesize, child_tsize = walk(link.cid, depth + 1)
            assert link.tsize == child_tsize
            tsize += child_tsize
            sizes.append(filesize)
        assert node.blocksizes == sizes
        assert node.filesize == sum(sizes)
        return node.filesize, tsize

    total, _ = walk(root, 0)
    assert total == len(data)
    assert b"".join(chunk for _, chunk in leaves) == data
    assert len({depth for depth, _ in leaves}) == 1  # balanced: every leaf at the same depth


def _binary_cid(text: str) -> bytes:
    cid = CID.decode(text)
    return bytes(cid.digest) if cid.version == 0 else bytes(cid)
