"""Liveness and what the service is connected to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.deps import ChainDep, EngineDep, SessionDep
from ledger.indexer import index_lag

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])
    database: str = Field(examples=["sqlite"])
    chain_id: int | None = Field(examples=[31337])
    chain_head: int | None = Field(examples=[1234])
    chain_error: str | None = None
    index_lag_blocks: int | None = Field(None, description="Blocks the indexer is behind the head; null before it ran.")


@router.get("/health", response_model=HealthOut, summary="Database and chain reachability")
def health(session: SessionDep, chain: ChainDep, engine: EngineDep) -> HealthOut:
    session.exec(text("SELECT 1"))
    dialect = session.get_bind().dialect.name
    try:
        head, chain_id, error = chain.chain.w3.eth.block_number, chain.chain.chain_id, None
        lag = index_lag(engine, chain.chain)
    except Exception as exc:  # health reports, never fails
        head, chain_id, error, lag = None, None, str(exc), None
    return HealthOut(status="ok" if error is None else "degraded", database=dialect, chain_id=chain_id,
                     chain_head=head, chain_error=error, index_lag_blocks=lag)
