"""HTTP push for gateways: `POST /v1/readings` with a batch of signed frames (a FastAPI router).

Two bodies are accepted:

    Content-Type: application/json
        {"gateway": "<optional label>", "readings": [<reading>, …]}
        each <reading> in a shape of oracles/jsonl.py ({"payload", "signature"} hex, or the field form),
        or {"frame": "<132-byte signed frame as hex>"}
    Content-Type: application/octet-stream
        signed 132-byte frames back to back (a body whose length is not a multiple of 132 is refused whole,
        since the frame boundaries are lost)

The answer lists every reading in order: accepted, rejected with the oracle's reason, or deferred
(kept by the oracle to check once the device registry can be read again):

    {"accepted": 2, "rejected": 1,
     "results": [{"index": 0, "status": "accepted", "device_id": "0x…", "sequence": 7}, …,
                 {"index": 2, "status": "rejected", "reason": "bad_signature", "detail": "…", …}]}

A reading is accepted only once it is in the oracle's durable spool. Gateways need no credentials
to be believed, since every reading carries its meter's signature; whoever deploys the endpoint
should still limit who may call it, as any public endpoint is a way to fill the rejects log.
"""

from __future__ import annotations

import json
import threading
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ledger.chain.connection import ChainError
from ledger.encoding import PAYLOAD_LENGTH, SIGNATURE_LENGTH
from ledger.signing import SignedReading
from oracles.jsonl import parse_line
from oracles.node import OracleNode
from oracles.rejects import ReadingRejected, RejectReason

FRAME_LENGTH = PAYLOAD_LENGTH + SIGNATURE_LENGTH
MAX_BATCH = 10_000


class ReadingOutcome(BaseModel):
    index: int
    status: Literal["accepted", "rejected", "deferred"]
    device_id: str | None = None
    sequence: int | None = None
    reason: str | None = None
    detail: str | None = None


class PushResult(BaseModel):
    accepted: int
    rejected: int
    deferred: int = 0
    results: list[ReadingOutcome]


_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["readings"], "properties": {
                "gateway": {"type": "string"},
                "readings": {"type": "array", "maxItems": MAX_BATCH, "items": {"type": "object"}}}}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def readings_router(node: OracleNode, max_batch: int = MAX_BATCH) -> APIRouter:
    """A router whose `POST /v1/readings` feeds `node`; one request at a time reaches the node."""
    router = APIRouter(tags=["readings"])
    lock = threading.Lock()

    @router.post("/v1/readings", response_model=PushResult, openapi_extra=_BODY_DOC,
                 summary="Push a batch of signed meter readings")
    async def push_readings(request: Request) -> PushResult:
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        client = request.client.host if request.client else "unknown"
        if content_type == "application/octet-stream":
            items = _frames(body, max_batch)
            label = f"http:{client}"
        elif content_type in ("application/json", ""):
            gateway, items = _json_batch(body, max_batch)
            label = f"http:{gateway or client}"
        else:
            raise HTTPException(415, f"send application/json or application/octet-stream, not {content_type!r}")
        return await run_in_threadpool(_ingest_locked, lock, node, label, items)

    return router


def _frames(body: bytes, max_batch: int) -> list[SignedReading | ReadingRejected]:
    if len(body) % FRAME_LENGTH:
        raise HTTPException(400, f"body is {len(body)} bytes, not a whole number of {FRAME_LENGTH}-byte frames")
    if len(body) // FRAME_LENGTH > max_batch:
        raise HTTPException(413, f"at most {max_batch} readings per request")
    return [SignedReading.from_bytes(body[i:i + FRAME_LENGTH]) for i in range(0, len(body), FRAME_LENGTH)]


def _json_batch(body: bytes, max_batch: int) -> tuple[str | None, list[SignedReading | ReadingRejected]]:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"body is not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("readings"), list):
        raise HTTPException(400, 'expected {"readings": [...]}')
    gateway = document.get("gateway")
    if gateway is not None and not isinstance(gateway, str):
        raise HTTPException(400, "gateway must be a string")
    readings = document["readings"]
    if len(readings) > max_batch:
        raise HTTPException(413, f"at most {max_batch} readings per request")
    return gateway, [_one(entry) for entry in readings]


def _one(entry: object) -> SignedReading | ReadingRejected:
    try:
        if isinstance(entry, dict) and "frame" in entry:
            return _frame_hex(entry["frame"])
        return parse_line(json.dumps(entry))
    except ReadingRejected as rejected:
        return rejected


def _frame_hex(value: object) -> SignedReading:
    if not isinstance(value, str):
        raise ReadingRejected(RejectReason.MALFORMED, "frame must be a hex string")
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise ReadingRejected(RejectReason.MALFORMED, "frame is not valid hex") from None
    if len(raw) != FRAME_LENGTH:
        raise ReadingRejected(RejectReason.MALFORMED, f"frame must be {FRAME_LENGTH} bytes, got {len(raw)}")
    return SignedReading.from_bytes(raw)


def _ingest_locked(lock: threading.Lock, node: OracleNode, label: str,
                   items: list[SignedReading | ReadingRejected]) -> PushResult:
    with lock:  # the node's spool is one SQLite connection: one batch at a time
        return _ingest(node, label, items)


def _ingest(node: OracleNode, label: str, items: list[SignedReading | ReadingRejected]) -> PushResult:
    results: list[ReadingOutcome] = []
    for index, item in enumerate(items):
        # One ingest per reading, so each outcome is known exactly; the node commits each (WAL: cheap).
        try:
            report = node.ingest([(f"{label}#{index}", item)])
        except (ChainError, OSError) as exc:  # the registry cannot be read: say how far the batch got
            raise HTTPException(503, {"error": f"chain unavailable at reading {index}: {exc}",
                                      "results": [r.model_dump(exclude_none=True) for r in results]}) from None
        if report.accepted:
            payload = item.payload  # type: ignore[union-attr]
            results.append(ReadingOutcome(index=index, status="accepted", device_id="0x" + payload[1:33].hex(),
                                          sequence=int.from_bytes(payload[33:41], "big")))
        elif not report.rejected:  # kept by the oracle, checked again once the registry answers
            results.append(ReadingOutcome(index=index, status="deferred",
                                          detail="the device registry could not be read; the oracle will check it later"))
        else:
            r = report.rejected[0]
            results.append(ReadingOutcome(index=index, status="rejected", reason=r.reason.value, detail=r.detail,
                                          device_id=None if r.device_id is None else "0x" + r.device_id.hex(),
                                          sequence=r.sequence))
    accepted = sum(r.status == "accepted" for r in results)
    rejected = sum(r.status == "rejected" for r in results)
    return PushResult(accepted=accepted, rejected=rejected, deferred=len(results) - accepted - rejected, results=results)
