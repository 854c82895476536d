"""Client-side signing: relay a transaction the user signed in a wallet to the ledger's contracts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ChainDep, CurrentUser, require
from api.errors import ERROR_RESPONSES
from api.permissions import Action
from api.schemas.common import HexBytes

router = APIRouter(prefix="/chain", tags=["chain"], responses=ERROR_RESPONSES)


class RawTransaction(BaseModel):
    raw_transaction: HexBytes = Field(description="eth_sendRawTransaction bytes, signed by your address.",
                                      examples=["0x02f8b1827a6980…"])


class RelayedOut(BaseModel):
    transaction_hash: str
    contract: str = Field(examples=["DeviceRegistry"])
    sender: str
    status: str = Field(examples=["success"])
    block_number: int
    gas_used: int


class DeploymentOut(BaseModel):
    chain_id: int = Field(examples=[31337])
    addresses: dict[str, str]
    start_block: int


@router.get("/deployment", response_model=DeploymentOut, summary="Where the contracts are (to build transactions)")
def deployment(chain: ChainDep, _: CurrentUser) -> DeploymentOut:
    d = chain.deployment
    return DeploymentOut(chain_id=d.chain_id, addresses=d.addresses, start_block=d.start_block)


@router.post("/transactions", response_model=RelayedOut, summary="Relay a raw transaction signed by your wallet")
def relay(body: RawTransaction, user: CurrentUser, chain: ChainDep) -> RelayedOut:
    """Checked before sending: signed by your registered address, sent to one of the ledger's contracts, and
    not reverting (a revert answers with the contract's decoded error)."""
    require(user, Action.RELAY_TRANSACTIONS)
    return RelayedOut(**chain.relay(user, bytes.fromhex(body.raw_transaction[2:])))
