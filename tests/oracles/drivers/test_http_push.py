"""POST /v1/readings through FastAPI's test client, feeding a real oracle on a real anvil."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from oracles.drivers.http_push import readings_router
from oracles.jsonl import signed_reading_to_json
from tests.oracles.conftest import make_node
from tests.oracles.drivers.conftest import SIM_START, register_identities


@pytest.fixture
def gateway(contracts, tree, tmp_path, fleet):
    """A client of an app with the push router over a fresh oracle, and the c6 collector's readings."""
    identities = [i for i in fleet.identities.values() if i.device.collector == "c6"]
    register_identities(contracts, tree.building, identities)
    readings = [r.signed for step in fleet.readings(fleet.series(SIM_START + 1800, start=SIM_START))
                for r in step if r.collector == "c6"]
    node = make_node(contracts, tree.institution, tmp_path / "oracle", batch_size=10)
    app = FastAPI()
    app.include_router(readings_router(node, max_batch=50))
    with TestClient(app) as client:
        yield client, node, readings
    node.spool.close()


def test_a_json_batch_gets_an_outcome_per_reading_in_order(gateway) -> None:
    client, node, readings = gateway
    tampered = bytearray(readings[2].to_bytes())
    tampered[-1] ^= 1
    body = {"gateway": "gw-7", "readings": [
        json.loads(signed_reading_to_json(readings[0])),  # the field form of oracles/jsonl.py
        {"payload": "0x" + readings[1].payload.hex(), "signature": "0x" + readings[1].signature.hex()},
        {"frame": tampered.hex()},
        {"frame": readings[3].to_bytes().hex()},
        {"frame": readings[3].to_bytes().hex()},  # sent twice
        {"payload": "0x12"},
    ]}
    response = client.post("/v1/readings", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (3, 3)
    statuses = [(r["index"], r["status"], r.get("reason")) for r in result["results"]]
    assert statuses == [(0, "accepted", None), (1, "accepted", None), (2, "rejected", "bad_signature"),
                        (3, "accepted", None), (4, "rejected", "replayed"), (5, "rejected", "malformed")]
    assert result["results"][0]["device_id"] == "0x" + readings[0].payload[1:33].hex()
    assert node.spool.pending_count() == 3
    assert [e["source"] for e in node.rejects.entries()] == ["http:gw-7#2", "http:gw-7#4", "http:gw-7#5"]


def test_raw_frames_back_to_back_are_accepted_and_anchor(gateway, contracts) -> None:
    client, node, readings = gateway
    body = b"".join(r.to_bytes() for r in readings)
    response = client.post("/v1/readings", content=body, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 200 and response.json()["accepted"] == len(readings) == 22
    anchors = node.flush()
    assert sum(a.reading_count for a in anchors) == 22 and all(contracts.attestations.is_anchored(a.root) for a in anchors)


@pytest.mark.parametrize(("content", "content_type", "status", "message"), [
    (b"\x00" * 131, "application/octet-stream", 400, "not a whole number of 132-byte frames"),
    (b"{nope", "application/json", 400, "body is not JSON"),
    (b'{"frames": []}', "application/json", 400, 'expected {\\"readings\\": [...]}'),
    (b'{"gateway": 7, "readings": []}', "application/json", 400, "gateway must be a string"),
    (b"<readings/>", "application/xml", 415, "application/octet-stream"),
    (b"\x00" * 132 * 51, "application/octet-stream", 413, "at most 50 readings"),
])
def test_bodies_that_cannot_be_read_are_refused_whole(gateway, content, content_type, status, message) -> None:
    client, node, _ = gateway
    response = client.post("/v1/readings", content=content, headers={"content-type": content_type})
    assert response.status_code == status and message in response.text
    assert node.spool.pending_count() == 0


def test_the_endpoint_documents_both_body_types(gateway) -> None:
    client, _, _ = gateway
    operation = client.get("/openapi.json").json()["paths"]["/v1/readings"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "application/octet-stream"}
