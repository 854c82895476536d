"""LocalEvidenceStore: round trips, idempotence, errors as values, and crash safety of writes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ledger.evidence import (
    EvidenceNotFound,
    EvidenceStore,
    InvalidCid,
    KuboEvidenceStore,
    LocalEvidenceStore,
    StreamingEvidenceStore,
    compute_cid,
    open_evidence_store,
)
from ledger.evidence.unixfs import CHUNK_SIZE

HELLO = b"hello carbon ledger\n"
HELLO_CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"
REPO_ROOT = Path(__file__).resolve().parents[3]


def _files_under_cids(root: Path) -> list[Path]:
    """Everything a reader could take for content: files outside the temp folder."""
    return sorted(p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts)


def test_add_then_cat_returns_the_bytes_and_the_kubo_cid(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    assert store.add(HELLO) == HELLO_CID
    assert store.has(HELLO_CID)
    assert store.cat(HELLO_CID) == HELLO
    assert store.verify(HELLO_CID)


@pytest.mark.parametrize("cid_version", [0, 1])
@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 17])
def test_add_file_streams_and_agrees_with_add_and_compute_cid(tmp_path: Path, size: int, cid_version: int) -> None:
    data = os.urandom(size)
    source = tmp_path / "reading.bin"
    source.write_bytes(data)
    store = LocalEvidenceStore(tmp_path / "store", cid_version=cid_version)
    cid = store.add_file(source)
    assert cid == compute_cid(data, cid_version) == store.add(data)
    assert store.cat(cid) == data
    assert b"".join(store.stream(cid)) == data
    assert store.verify(cid)


def test_adding_the_same_content_twice_writes_nothing_new(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "store")
    cid = store.add(HELLO)
    stored = store.path_of(cid)
    before = stored.stat()
    source = tmp_path / "again.txt"
    source.write_bytes(HELLO)
    assert store.add(HELLO) == cid
    assert store.add_file(source) == cid
    after = stored.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _files_under_cids(tmp_path / "store") == [stored]
    assert list((tmp_path / "store" / ".incoming").iterdir()) == []


def test_content_is_sharded_by_the_next_to_last_two_characters(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    cid = store.add(HELLO)
    assert store.path_of(cid) == tmp_path / cid[-3:-1] / cid
    assert store.path_of(cid).read_bytes() == HELLO


def test_cat_of_an_unknown_cid_raises_evidence_not_found(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    missing = compute_cid(b"never added")
    with pytest.raises(EvidenceNotFound) as caught:
        store.cat(missing)
    assert caught.value.cid == missing
    assert not store.has(missing)
    with pytest.raises(EvidenceNotFound):
        store.stream(missing)
    with pytest.raises(EvidenceNotFound):
        store.verify(missing)


@pytest.mark.parametrize("bad", ["", "not-a-cid", "Qm" + "1" * 44, HELLO_CID + " "])
def test_invalid_cid_raises_invalid_cid_on_every_read(tmp_path: Path, bad: str) -> None:
    store = LocalEvidenceStore(tmp_path)
    for read in (store.cat, store.has, store.stream, store.verify):
        with pytest.raises(InvalidCid) as caught:
            read(bad)
        assert caught.value.value == bad


def test_a_dag_pb_root_is_found_under_its_cidv1_name_too(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    store.add(HELLO)
    v1_name = "bafybeicr5q6xipzlckxxmtvzvgraseianfblgivpoiyewfmzdwixc64dn4"  # same block as HELLO_CID
    assert store.has(v1_name)
    assert store.cat(v1_name) == HELLO
    assert store.verify(v1_name)


def test_verify_detects_content_changed_on_disk(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    cid = store.add(HELLO)
    path = store.path_of(cid)
    path.chmod(0o644)
    path.write_bytes(b"hello carbon ledgeR\n")
    assert store.cat(cid) == b"hello carbon ledgeR\n"  # cat hands back what is stored...
    assert not store.verify(cid)  # ...verify is the check


class _FailingStream(io.RawIOBase):
    """Yields `good` bytes, then fails like a dropped connection or a disk error would."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self._left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._left <= 0:
            raise OSError("source vanished")
        n = min(len(buffer), self._left)
        buffer[:n] = b"\x07" * n
        self._left -= n
        return n


def test_a_failed_add_leaves_no_partial_file(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    with pytest.raises(OSError, match="source vanished"):
        store.add_stream(_FailingStream(3 * CHUNK_SIZE))
    assert _files_under_cids(tmp_path) == []
    assert list((tmp_path / ".incoming").iterdir()) == []  # the temp file is removed too


def test_a_failed_rename_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalEvidenceStore(tmp_path)

    def refuse(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.add(HELLO)
    assert not store.has(HELLO_CID)
    assert _files_under_cids(tmp_path) == []


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ledger.evidence import LocalEvidenceStore
    print(LocalEvidenceStore(Path(sys.argv[1])).add_stream(sys.stdin.buffer), flush=True)
    """
)


def test_a_writer_killed_mid_add_leaves_no_visible_partial_file(tmp_path: Path) -> None:
    """SIGKILL a process while it streams evidence in: nothing appears under a CID, and the same
    content added afterwards is stored whole under its CID."""
    root = tmp_path / "store"
    content = os.urandom(12 * CHUNK_SIZE)  # 3 MiB; 2 MiB sent before the kill (reads are 1 MiB)
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO_ROOT
    )
    try:
        assert writer.stdin is not None
        writer.stdin.write(content[: 8 * CHUNK_SIZE])
        writer.stdin.flush()
        deadline = time.monotonic() + 30
        while not _partial_write_started(root):
            assert time.monotonic() < deadline, "the writer never started writing"
            assert writer.poll() is None, "the writer exited early"
            time.sleep(0.01)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    store = LocalEvidenceStore(root)
    assert _files_under_cids(root) == []
    assert not store.has(compute_cid(content))
    assert not store.has(compute_cid(content[: 8 * CHUNK_SIZE]))
    assert list((root / ".incoming").glob("add-*"))  # what a kill leaves: a temp file, outside every CID path
    cid = store.add(content)
    assert store.cat(cid) == content


def _partial_write_started(root: Path) -> bool:
    return any(p.stat().st_size > 0 for p in (root / ".incoming").glob("add-*"))


def test_stores_satisfy_the_protocols(tmp_path: Path) -> None:
    local = LocalEvidenceStore(tmp_path)
    assert isinstance(local, EvidenceStore) and isinstance(local, StreamingEvidenceStore)


def test_open_evidence_store_picks_kubo_only_when_an_api_is_configured(tmp_path: Path) -> None:
    local = open_evidence_store(tmp_path, None, cid_version=1)
    assert isinstance(local, LocalEvidenceStore) and local.cid_version == 1 and local.root == tmp_path
    kubo = open_evidence_store(tmp_path, "/ip4/127.0.0.1/tcp/5001", cid_version=0)
    assert isinstance(kubo, KuboEvidenceStore)  # constructing it does not contact the node


def test_cid_version_outside_0_and_1_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cid_version"):
        LocalEvidenceStore(tmp_path, cid_version=2)
