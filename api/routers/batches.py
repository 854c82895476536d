"""Anchored batches, their readings and each reading's Merkle proof (checked on chain too).

Served from the indexer's tables once the indexer has indexed this chain (header `X-Served-From: index`),
else from the chain and the evidence store (`X-Served-From: chain`); both give the same bodies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import ChainDep, CurrentUser, DirectoryDep, EngineDep, NodeId, require_in_scope
from api.errors import ERROR_RESPONSES
from api.permissions import Action
from api.schemas.common import LimitQuery, OffsetQuery, Page, Timestamp
from api.services import batch_index
from api.services.batches import find_batch, load_batch, reading_proof
from api.services.chain import ChainAccess
from ledger.chain.clients import AnchoredBatch

router = APIRouter(tags=["readings and batches"], responses=ERROR_RESPONSES)
RootPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="The batch's Merkle root (its id).")]


class BatchOut(BaseModel):
    root: str = Field(examples=["0x" + "cd" * 32])
    institution_id: int = Field(examples=[4])
    index: int = Field(examples=[0])
    previous_root: str
    reading_count: int = Field(examples=[1000])
    first_timestamp: int
    last_timestamp: int
    evidence_cid: str = Field(examples=["QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"])
    oracle: str
    block_number: int
    transaction_hash: str

    @classmethod
    def of(cls, b: AnchoredBatch) -> "BatchOut":
        return cls(root="0x" + b.root.hex(), institution_id=b.institution_id, index=b.index,
                   previous_root="0x" + b.previous_root.hex(), reading_count=b.reading_count,
                   first_timestamp=b.first_timestamp, last_timestamp=b.last_timestamp, evidence_cid=b.evidence_cid,
                   oracle=b.oracle, block_number=b.block_number, transaction_hash="0x" + b.transaction_hash.removeprefix("0x"))


class ReadingOut(BaseModel):
    index: int = Field(examples=[0])
    device_id: str
    sequence: int
    timestamp: int
    quantity: str = Field(examples=["active_energy_import"])
    unit: str = Field(examples=["kwh"])
    value: str = Field(examples=["1234.56"], description="Decimal, in `unit`.")
    signature: str


class ProofOut(BaseModel):
    root: str
    index: int
    leaf: str
    proof: list[str]
    payload: str = Field(description="The 68-byte canonical reading.")
    signature: str = Field(description="The device's Ed25519 signature.")
    verified_off_chain: bool
    verified_on_chain: bool = Field(description="AttestationLedger.verifyReading(root, leaf, proof).")


def _indexed(engine: EngineDep, chain: ChainAccess, response: Response) -> bool:
    indexed = batch_index.index_serves(engine, chain.chain.chain_id)
    response.headers["X-Served-From"] = "index" if indexed else "chain"
    return indexed


def _batch(engine: EngineDep, chain: ChainAccess, root: str, indexed: bool) -> AnchoredBatch:
    raw = bytes.fromhex(root[2:])
    return batch_index.find_batch(engine, raw) if indexed else find_batch(chain, raw)


@router.get("/organizations/{node_id}/batches", response_model=Page[BatchOut], summary="An institution's anchored batches")
def list_batches(node_id: NodeId, user: CurrentUser, chain: ChainDep, directory: DirectoryDep, engine: EngineDep,
                 response: Response,
                 since: Annotated[Timestamp | None, Query(description="Batches ending at or after.")] = None,
                 until: Annotated[Timestamp | None, Query(description="Batches starting at or before.")] = None,
                 limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[BatchOut]:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    if _indexed(engine, chain, response):
        total, batches = batch_index.list_batches(engine, node_id, since, until, limit, offset)
        return Page[BatchOut](items=[BatchOut.of(b) for b in batches], total=total, limit=limit, offset=offset)
    batches = chain.contracts.attestations.anchored_batches(institution_id=node_id)
    batches = [b for b in batches if (since is None or b.last_timestamp >= since)
               and (until is None or b.first_timestamp <= until)]
    return Page[BatchOut](items=[BatchOut.of(b) for b in batches[offset:offset + limit]], total=len(batches),
                          limit=limit, offset=offset)


@router.get("/batches/{root}", response_model=BatchOut, summary="One anchored batch")
def get_batch(root: RootPath, user: CurrentUser, chain: ChainDep, directory: DirectoryDep, engine: EngineDep,
              response: Response) -> BatchOut:
    batch = _batch(engine, chain, root, _indexed(engine, chain, response))
    require_in_scope(user, Action.READ, batch.institution_id, directory.tree())
    return BatchOut.of(batch)


@router.get("/batches/{root}/readings", response_model=Page[ReadingOut], summary="A batch's signed readings")
def batch_readings(root: RootPath, user: CurrentUser, chain: ChainDep, directory: DirectoryDep, engine: EngineDep,
                   response: Response,
                   device_id: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
                   limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[ReadingOut]:
    indexed = _indexed(engine, chain, response)
    batch = _batch(engine, chain, root, indexed)
    require_in_scope(user, Action.READ, batch.institution_id, directory.tree())
    if indexed:
        total, rows = batch_index.readings(engine, batch.root, device_id, limit, offset)
        return Page[ReadingOut](items=[ReadingOut(**r) for r in rows], total=total, limit=limit, offset=offset)
    loaded = load_batch(chain, batch)
    rows = []
    for index, signed in enumerate(loaded.evidence.readings):
        r = signed.reading
        if device_id is None or r.device_id.hex() == device_id[2:].lower():
            rows.append((index, signed, r))
    items = [ReadingOut(index=i, device_id="0x" + r.device_id.hex(), sequence=r.sequence, timestamp=r.timestamp,
                        quantity=r.quantity.name.lower(), unit=r.unit.name.lower(), value=str(r.decimal_value),
                        signature="0x" + s.signature.hex()) for i, s, r in rows[offset:offset + limit]]
    return Page[ReadingOut](items=items, total=len(rows), limit=limit, offset=offset)


@router.get("/batches/{root}/readings/{index}/proof", response_model=ProofOut, summary="A reading's Merkle proof")
def proof(root: RootPath, index: Annotated[int, Path(ge=0, le=2**32)], user: CurrentUser, chain: ChainDep,
          directory: DirectoryDep, engine: EngineDep, response: Response) -> ProofOut:
    indexed = _indexed(engine, chain, response)
    batch = _batch(engine, chain, root, indexed)
    require_in_scope(user, Action.READ, batch.institution_id, directory.tree())
    if not indexed:
        return ProofOut(**reading_proof(chain, load_batch(chain, batch), index))
    body = batch_index.proof(engine, batch.root, index)
    on_chain = chain.contracts.attestations.verify_reading(batch.root, bytes.fromhex(body["leaf"][2:]),
                                                           [bytes.fromhex(p[2:]) for p in body["proof"]])
    return ProofOut(**body, verified_on_chain=on_chain)
