"""The explorer served alone (an auditor's RPC URL and deployment file only) answers every error in the
service's one body, `{"error": {"code", "message", "details"}}`, as the full API does."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.explorer.mount import standalone_app
from ledger.config import Settings


def test_the_standalone_explorer_answers_errors_in_the_one_shape(tmp_path: Path) -> None:
    client = TestClient(standalone_app(Settings(rpc_url="http://127.0.0.1:9", data_dir=tmp_path / "zcl")))
    down = client.post(f"/explorer/api/batch/0x{'ab' * 32}/verify", json={"index": 0})  # no chain at that URL
    assert down.status_code == 503 and down.json()["error"]["code"] == "explorer_unavailable"
    assert set(down.json()["error"]) == {"code", "message", "details"}
    unknown = client.get("/explorer/api/contracts/Nope/metadata.json")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found" and unknown.json()["error"]["message"].startswith(
        "no project contract named 'Nope'")
    assert client.get("/no/such/path").json() == {"error": {"code": "not_found", "message": "Not Found", "details": None}}
