"""End to end: simulated meters → oracle → chain → `zcl verify`; then tamper and watch verify name it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledger.batch import EvidenceBatch, canonical_order
from ledger.encoding import DeviceKind
from ledger.evidence import LocalEvidenceStore
from ledger.signing import generate_device_key, sign_reading
from oracles.simulator import SimulatedMeter
from tests.oracles.conftest import START, make_node, register
from zcl.main import app

runner = CliRunner()


@pytest.fixture
def anchored(contracts, tree, settings, tmp_path, monkeypatch):
    """Three meters, 40 readings each, anchored in batches of 50 by an oracle using the CLI's folders."""
    monkeypatch.setenv("ZCL_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("ZCL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZCL_PRIVATE_KEY", settings.private_key)
    meters = [register(contracts, tree.building, SimulatedMeter.create(f"m{i}", kind, b"e2e", START))
              for i, kind in enumerate([DeviceKind.ELECTRICITY_METER, DeviceKind.WATER_METER, DeviceKind.PV_GENERATION_METER])]
    node = make_node(contracts, tree.institution, settings.data_dir / "oracle", batch_size=50)
    node.evidence = LocalEvidenceStore(settings.evidence_path)
    report = node.ingest((m.name, r) for m in meters for r in m.readings(40))
    anchors = node.flush()
    node.spool.close()
    assert report.accepted == 120 and [a.reading_count for a in anchors] == [50, 50, 20]
    return anchors


def _verify(*args: str):
    return runner.invoke(app, ["verify", *args])


def test_untouched_ledger_verifies(anchored) -> None:
    result = _verify("--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["batches"] == 3 and report["readings"] == 120 and report["signatures_checked"] == 120


def test_one_changed_evidence_byte_fails_and_names_the_reading(anchored, settings) -> None:
    target = anchored[1]
    path = next(p for p in settings.evidence_path.rglob("*") if p.is_file() and p.name.endswith(target.evidence_cid))
    data = bytearray(path.read_bytes())
    offset = 17 + 7 * 132 + 60  # reading #7's value bytes
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    result = _verify()
    assert result.exit_code == 1
    assert f"batch 0x{target.root.hex()}" in result.output
    assert "reading #7" in result.output
    assert "signature does not verify" in result.output
    assert "do not hash to the anchored CID" in result.output
    assert "recomputed Merkle root differs" in result.output


def test_missing_evidence_fails(anchored, settings) -> None:
    path = next(p for p in settings.evidence_path.rglob("*") if p.is_file() and p.name.endswith(anchored[0].evidence_cid))
    path.unlink()
    result = _verify("--json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["problem"], f["batch"]) for f in findings] == [("EVIDENCE_MISSING", anchored[0].root.hex())]


def test_batch_signed_by_the_wrong_key_fails(anchored, contracts, tree, settings) -> None:
    """A dishonest oracle anchors a reading signed by a key the registry never vouched for."""
    victim = SimulatedMeter.create("m0", DeviceKind.ELECTRICITY_METER, b"e2e", START)
    victim.sequence = 40
    honest = victim.next_reading()
    forged = sign_reading(honest.reading, generate_device_key(b"\x66" * 32))
    batch = EvidenceBatch(tree.institution, tuple(canonical_order([forged])))
    cid = LocalEvidenceStore(settings.evidence_path).add(batch.encode())
    ts = honest.reading.timestamp
    contracts.attestations.anchor_batch(tree.institution, batch.tree().root, anchored[-1].root, 1, ts, ts, cid)
    result = _verify("--json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["problem"], f["reading_index"], f["sequence"]) for f in findings] == [("BAD_SIGNATURE", 0, 41)]


class _LyingRpc(ThreadingHTTPServer):
    """A JSON-RPC proxy that hides one BatchAnchored log: what a compromised node could do."""

    def __init__(self, upstream: str, hidden_root: bytes) -> None:
        self.upstream, self.hidden = upstream, "0x" + hidden_root.hex()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(inner) -> None:  # noqa: N805
                body = inner.rfile.read(int(inner.headers["Content-Length"]))
                answer = httpx.post(self.upstream, content=body, headers={"Content-Type": "application/json"}).json()
                if json.loads(body).get("method") == "eth_getLogs" and isinstance(answer.get("result"), list):
                    answer["result"] = [log for log in answer["result"] if self.hidden not in log["topics"]]
                out = json.dumps(answer).encode()
                inner.send_response(200)
                inner.send_header("Content-Type", "application/json")
                inner.send_header("Content-Length", str(len(out)))
                inner.end_headers()
                inner.wfile.write(out)

            def log_message(inner, *args) -> None:  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_a_hidden_anchor_breaks_the_batch_chain(anchored, settings) -> None:
    proxy = _LyingRpc(settings.rpc_url, anchored[1].root)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        deployment = settings.deployment_path(31337)
        result = runner.invoke(app, ["--rpc-url", url, "--deployment", str(deployment), "verify", "--json"])
    finally:
        proxy.shutdown()
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [f["problem"] for f in findings] == ["CHAIN_BROKEN"]
    assert findings[0]["batch"] == anchored[2].root.hex()


def test_verify_without_deployment_file_says_so(tmp_path: Path, settings) -> None:
    result = runner.invoke(app, ["--rpc-url", settings.rpc_url, "--deployment", str(tmp_path / "none.json"), "verify"])
    assert result.exit_code == 3
    assert "no deployment file" in result.output
