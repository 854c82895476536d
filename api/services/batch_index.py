"""Batches, readings and proofs from the indexer's tables (ledger/indexer), once it has indexed this chain.

The index holds every anchored batch and, for batches whose evidence re-derived the root, every
reading with its leaf; a proof is the ledger's MerkleTree over the batch's leaves in evidence order.
Before the indexer has run, api/services/batches.py reads the chain and the evidence instead.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.errors import ApiError, not_found
from ledger.chain.clients import AnchoredBatch
from ledger.encoding import Quantity, Unit
from ledger.indexer.models import Batch, Cursor, Reading
from ledger.merkle import MerkleTree, verify_proof


def index_serves(engine: Engine, chain_id: int) -> bool:
    """True when the indexer has indexed this chain into the database (its cursor names the chain)."""
    try:
        with Session(engine) as session:
            cursor = session.get(Cursor, 1)
    except Exception:  # the index tables do not exist yet
        return False
    return cursor is not None and cursor.chain_id == chain_id


def _anchored(b: Batch) -> AnchoredBatch:
    return AnchoredBatch(root=bytes.fromhex(b.root[2:]), institution_id=b.institution_id, oracle=b.oracle,
                         previous_root=bytes.fromhex(b.previous_root[2:]), index=b.batch_index,
                         reading_count=b.reading_count, first_timestamp=b.first_timestamp,
                         last_timestamp=b.last_timestamp, evidence_cid=b.evidence_cid, block_number=b.block_number,
                         transaction_hash=b.transaction_hash)


def list_batches(engine: Engine, institution_id: int, since: int | None, until: int | None, limit: int,
                 offset: int) -> tuple[int, list[AnchoredBatch]]:
    where = [Batch.institution_id == institution_id]
    if since is not None:
        where.append(Batch.last_timestamp >= since)
    if until is not None:
        where.append(Batch.first_timestamp <= until)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(Batch).where(*where)).one()
        rows = session.exec(select(Batch).where(*where).order_by(Batch.block_number, Batch.log_index)
                            .offset(offset).limit(limit)).all()
    return total, [_anchored(b) for b in rows]


def find_batch(engine: Engine, root: bytes) -> AnchoredBatch:
    with Session(engine) as session:
        batch = session.get(Batch, "0x" + root.hex())
    if batch is None:
        raise not_found(f"indexed batch 0x{root.hex()}")
    return _anchored(batch)


def _loaded(session: Session, root: bytes) -> Batch:
    batch = session.get(Batch, "0x" + root.hex())
    if batch is None:
        raise not_found(f"indexed batch 0x{root.hex()}")
    if batch.evidence_status != "loaded":
        raise ApiError(409, "evidence_unavailable", f"evidence {batch.evidence_cid} of batch 0x{root.hex()} is "
                       f"{batch.evidence_status}: {batch.evidence_detail}")
    return batch


def readings(engine: Engine, root: bytes, device_id: str | None, limit: int, offset: int) -> tuple[int, list[dict]]:
    with Session(engine) as session:
        _loaded(session, root)
        where = [Reading.batch_root == "0x" + root.hex()]
        if device_id is not None:
            where.append(Reading.device_id == device_id.lower())
        total = session.exec(select(func.count()).select_from(Reading).where(*where)).one()
        rows = session.exec(select(Reading).where(*where).order_by(Reading.leaf_index).offset(offset).limit(limit)).all()
    return total, [{"index": r.leaf_index, "device_id": r.device_id, "sequence": r.sequence, "timestamp": r.timestamp,
                    "quantity": _name(Quantity, r.quantity), "unit": _name(Unit, r.unit), "value": str(r.value),
                    "signature": r.signature} for r in rows]


def proof(engine: Engine, root: bytes, index: int) -> dict[str, object]:
    """The proof of leaf `index` from the indexed leaves; `verified_on_chain` is left to the caller."""
    with Session(engine) as session:
        _loaded(session, root)
        rows = session.exec(select(Reading).where(Reading.batch_root == "0x" + root.hex())
                            .order_by(Reading.leaf_index)).all()
    if index >= len(rows):
        raise not_found(f"reading {index} in batch 0x{root.hex()} ({len(rows)} readings)")
    leaves = [bytes.fromhex(r.leaf[2:]) for r in rows]
    tree = MerkleTree(leaves)
    path = tree.proof(index)
    return {"root": "0x" + root.hex(), "index": index, "leaf": rows[index].leaf, "proof": ["0x" + p.hex() for p in path],
            "payload": rows[index].payload, "signature": rows[index].signature,
            "verified_off_chain": tree.root == root and verify_proof(leaves[index], path, root)}


def _name(enum: type, value: int) -> str:
    try:
        return enum(value).name.lower()
    except ValueError:
        return str(value)
