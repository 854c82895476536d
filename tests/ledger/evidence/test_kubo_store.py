"""KuboEvidenceStore against Kubo's RPC API.

Two kinds of test, named for what they prove:

* `test_real_kubo_*` talk to a real Kubo node at ZCL_TEST_IPFS_API (a multiaddr such as
  /ip4/127.0.0.1/tcp/5001 or http://127.0.0.1:5001) and are skipped when it is unset: no Kubo can be
  installed on the project's machines, so they run wherever a developer has one.
* `test_protocol_shape_*` run the real client code path (ipfshttpclient over HTTP) against a tiny
  in-test server that answers /api/v0/add, /api/v0/cat and /api/v0/block/stat the way Kubo does
  (POST only; multipart upload in, one JSON object per line out; errors as HTTP 500 with
  {"Message", "Code", "Type": "error"}). They prove the request and response shapes, not Kubo's
  behaviour: the fake computes CIDs with our own compute_cid.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ledger.evidence import (
    EvidenceBackendError,
    EvidenceNotFound,
    InvalidCid,
    KuboEvidenceStore,
    compute_cid,
)
from ledger.evidence.unixfs import CHUNK_SIZE

HELLO = b"hello carbon ledger\n"
HELLO_CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"


# -- a fake Kubo RPC endpoint ----------------------------------------------------------------------


@dataclass
class FakeKubo:
    """State of the fake node: its blocks (root CID -> content) and every request it saw."""

    content: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    answer_cid_override: str | None = None  # to play a node whose Import config differs
    address: str = ""


def _handler_for(node: FakeKubo) -> type[BaseHTTPRequestHandler]:
    class KuboRpc(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:  # Kubo's RPC refuses GET since 0.5
            self._send(405, b"405 - Method Not Allowed", "text/plain")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            node.requests.append((url.path, query))
            body = self._read_body()
            if url.path == "/api/v0/add":
                self._add(query, body)
            elif url.path == "/api/v0/cat":
                self._cat(query["arg"][0])
            elif url.path == "/api/v0/block/stat":
                self._block_stat(query["arg"][0])
            else:
                self._send(404, b"404 page not found", "text/plain")

        def _add(self, query: dict[str, list[str]], body: bytes) -> None:
            boundary = self.headers.get_param("boundary")
            name, data = _first_multipart_file(body, str(boundary))
            node.uploads.append(data)
            version = int(query.get("cid-version", ["0"])[0])
            cid = node.answer_cid_override or compute_cid(data, version)
            node.content[cid] = data
            line = json.dumps({"Name": name or cid, "Hash": cid, "Size": str(len(data))}) + "\n"
            self._send(200, line.encode(), "application/json", extra={"X-Chunked-Output": "1"})

        def _cat(self, cid: str) -> None:
            if cid in node.content:
                self._send(200, node.content[cid], "text/plain")
            else:
                self._error(f"block was not found locally (offline): ipld: could not find {cid}")

        def _block_stat(self, cid: str) -> None:
            if cid in node.content:
                self._send(200, json.dumps({"Key": cid, "Size": len(node.content[cid])}).encode(), "application/json")
            else:
                self._error(f"block was not found locally (offline): ipld: could not find {cid}")

        def _error(self, message: str) -> None:
            self._send(500, json.dumps({"Message": message, "Code": 0, "Type": "error"}).encode(), "application/json")

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return KuboRpc


def _first_multipart_file(body: bytes, boundary: str) -> tuple[str, bytes]:
    delimiter = b"--" + boundary.encode()
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        headers, _, content = part.partition(b"\r\n\r\n")
        name = ""
        for line in headers.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-disposition") and 'filename="' in line:
                name = line.split('filename="', 1)[1].split('"', 1)[0]
        return name, content[:-2] if content.endswith(b"\r\n") else content
    raise AssertionError("no file part in the upload")


@pytest.fixture
def fake_kubo() -> Iterator[FakeKubo]:
    node = FakeKubo()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(node))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    node.address = f"/ip4/127.0.0.1/tcp/{server.server_address[1]}/http"
    try:
        yield node
    finally:
        server.shutdown()
        server.server_close()


# -- protocol-shape tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("cid_version", [0, 1])
def test_protocol_shape_add_sends_the_import_settings_and_returns_the_cid(fake_kubo: FakeKubo, cid_version: int) -> None:
    store = KuboEvidenceStore(fake_kubo.address, cid_version=cid_version)
    cid = store.add(HELLO)
    assert cid == compute_cid(HELLO, cid_version)
    path, query = fake_kubo.requests[-1]
    assert path == "/api/v0/add"
    assert query["cid-version"] == [str(cid_version)]
    assert query["raw-leaves"] == ["true" if cid_version == 1 else "false"]
    assert query["chunker"] == ["size-262144"]
    assert query["pin"] == ["true"]
    assert fake_kubo.uploads == [HELLO]


@pytest.mark.parametrize("cid_version", [0, 1])
def test_protocol_shape_add_file_streams_a_multi_chunk_file(fake_kubo: FakeKubo, tmp_path: Path, cid_version: int) -> None:
    data = os.urandom(3 * CHUNK_SIZE + 5)
    source = tmp_path / "meter-export.csv"
    source.write_bytes(data)
    seen: list[int] = []
    store = KuboEvidenceStore(fake_kubo.address, cid_version=cid_version)
    cid = store.add_file(source, progress=seen.append)
    assert cid == compute_cid(data, cid_version)
    assert fake_kubo.uploads == [data]
    assert sum(seen) == len(data)
    _, query = fake_kubo.requests[-1]
    assert query["cid-version"] == [str(cid_version)] and query["pin"] == ["True"]


def test_protocol_shape_cat_stream_has_and_verify(fake_kubo: FakeKubo) -> None:
    store = KuboEvidenceStore(fake_kubo.address)
    cid = store.add(HELLO)
    assert store.cat(cid) == HELLO
    assert b"".join(store.stream(cid)) == HELLO
    assert store.has(cid)
    assert store.verify(cid)
    fake_kubo.content[cid] = b"tampered"
    assert not store.verify(cid)


def test_protocol_shape_missing_cid_is_evidence_not_found(fake_kubo: FakeKubo) -> None:
    store = KuboEvidenceStore(fake_kubo.address, offline=True)
    missing = compute_cid(b"never added")
    with pytest.raises(EvidenceNotFound) as caught:
        store.cat(missing)
    assert caught.value.cid == missing
    assert not store.has(missing)
    path, query = fake_kubo.requests[-2]
    assert path == "/api/v0/cat" and query["offline"] == ["true"]


def test_protocol_shape_invalid_cid_never_reaches_the_node(fake_kubo: FakeKubo) -> None:
    store = KuboEvidenceStore(fake_kubo.address)
    with pytest.raises(InvalidCid):
        store.cat("not-a-cid")
    assert fake_kubo.requests == []


def test_protocol_shape_a_node_answering_another_cid_is_refused(fake_kubo: FakeKubo) -> None:
    """A node configured with e.g. the unixfs-v1-2025 profile would anchor a CID nobody recomputes."""
    fake_kubo.answer_cid_override = compute_cid(b"something else")
    store = KuboEvidenceStore(fake_kubo.address)
    with pytest.raises(EvidenceBackendError, match="Import settings"):
        store.add(HELLO)


def test_protocol_shape_url_address_is_accepted(fake_kubo: FakeKubo) -> None:
    port = fake_kubo.address.split("/")[4]
    store = KuboEvidenceStore(f"http://127.0.0.1:{port}")
    assert store.add(HELLO) == HELLO_CID


def test_unreachable_node_is_a_backend_error() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = KuboEvidenceStore(f"/ip4/127.0.0.1/tcp/{port}/http", timeout=5)
    with pytest.raises(EvidenceBackendError, match="cannot reach"):
        store.add(HELLO)
    with pytest.raises(EvidenceBackendError):
        store.cat(HELLO_CID)


def test_malformed_api_address_is_a_backend_error() -> None:
    with pytest.raises(EvidenceBackendError, match="API address"):
        KuboEvidenceStore("/ip4/not-an-ip/tcp/5001")


# -- a real Kubo node, when one is configured -------------------------------------------------------

REAL_KUBO = os.environ.get("ZCL_TEST_IPFS_API")
needs_kubo = pytest.mark.skipif(
    not REAL_KUBO,
    reason="set ZCL_TEST_IPFS_API to a Kubo RPC address (e.g. /ip4/127.0.0.1/tcp/5001) to run; "
    "no Kubo daemon can be installed on the project's machines",
)


@needs_kubo
@pytest.mark.parametrize("cid_version", [0, 1])
@pytest.mark.parametrize("size", [0, 20, CHUNK_SIZE, 5 * CHUNK_SIZE + 3])
def test_real_kubo_add_gives_the_locally_computed_cid_and_cat_round_trips(size: int, cid_version: int) -> None:
    data = os.urandom(size)
    store = KuboEvidenceStore(str(REAL_KUBO), cid_version=cid_version)
    cid = store.add(data)  # the store itself refuses a CID differing from compute_cid
    assert cid == compute_cid(data, cid_version)
    assert store.has(cid)
    assert store.cat(cid) == data


@needs_kubo
def test_real_kubo_known_vector() -> None:
    assert KuboEvidenceStore(str(REAL_KUBO)).add(HELLO) == HELLO_CID


@needs_kubo
def test_real_kubo_missing_cid_offline_is_evidence_not_found() -> None:
    store = KuboEvidenceStore(str(REAL_KUBO), offline=True, timeout=30)
    missing = compute_cid(os.urandom(64))
    assert not store.has(missing)
    with pytest.raises(EvidenceNotFound):
        store.cat(missing)
