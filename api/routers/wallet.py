"""What a browser wallet signs: unsigned transactions for the credit actions that have no wallet step of their own.

Project steps already have theirs (`GET /projects/{id}/typed-data`, EIP-712) and a meeting's offset has
`POST /meetings/{claim}/offset/transaction`. A retirement is built here: the call data, with gas, nonce and fees
for the caller's registered address, after an `eth_call` from that address so a revert answers with the
contract's decoded error before anything is signed. The wallet signs it (`eth_signTransaction`) and the page
POSTs the raw bytes to `/chain/transactions`, which checks signer and target and calls it again before sending.
"""

from __future__ import annotations

from typing import Annotated

from eth_utils import to_checksum_address
from fastapi import APIRouter
from pydantic import BaseModel, Field
from web3.exceptions import ContractCustomError, ContractLogicError

from api.deps import ChainDep, CurrentUser, bad_request, require
from api.errors import ERROR_RESPONSES, ApiError
from api.models import User
from api.permissions import Action
from api.schemas.common import Address, ShortText, Timestamp
from ledger.chain.codes import ClaimKind
from ledger.chain.connection import Chain, ChainError
from ledger.chain.credits import CreditContracts, ZERO_CLAIM

router = APIRouter(prefix="/wallet", tags=["wallet"], responses=ERROR_RESPONSES)


class RetirementCallIn(BaseModel):
    token_id: Annotated[str, Field(pattern=r"^[0-9]{1,78}$", examples=["18446744073709551618"])]
    amount: int = Field(ge=1, le=2**63 - 1, examples=[2])
    beneficiary: Address | None = Field(None, description="Who the certificate names; default your address.")
    reason: ShortText = Field(examples=["Offset of the 2024 office emissions"])
    period_start: Timestamp
    period_end: Timestamp


class UnsignedTransactionOut(BaseModel):
    contract: str = Field(examples=["CarbonCredit"])
    function: str = Field(examples=["retire"])
    transaction: dict[str, str] = Field(
        description="JSON-RPC transaction object (hex quantities) for eth_signTransaction / eth_sendTransaction.",
        examples=[{"from": "0x90F79bf6EB2c4f870365E785982E1f101E93b906", "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                   "data": "0x…", "value": "0x0", "gas": "0x3d090", "nonce": "0x7", "chainId": "0x7a69",
                   "type": "0x2", "maxFeePerGas": "0x77359400", "maxPriorityFeePerGas": "0x3b9aca00"}])


def _address(user: User) -> str:
    if user.address is None:
        raise ApiError(409, "no_signing_address", f"user {user.username!r} has no signing address; ask an admin "
                       "to register your wallet's address")
    return user.address


@router.post("/retirements", response_model=UnsignedTransactionOut,
             summary="The retire transaction for your wallet to sign (checked with eth_call first)")
def retirement_transaction(body: RetirementCallIn, user: CurrentUser, chain: ChainDep) -> UnsignedTransactionOut:
    require(user, Action.TRADE_CREDITS)
    sender = _address(user)
    token_id = int(body.token_id)
    if token_id >= 2**256:
        raise bad_request(f"token id {body.token_id} does not fit in uint256")
    credits = CreditContracts.of(chain.contracts).credits
    data = credits.contract.encode_abi("retire", args=[
        token_id, body.amount, to_checksum_address(body.beneficiary or sender), body.reason, int(ClaimKind.NONE),
        ZERO_CLAIM, body.period_start, body.period_end])
    return UnsignedTransactionOut(contract=credits.NAME, function="retire",
                                  transaction=_unsigned(credits.chain, sender, credits.contract.address, data))


def _unsigned(chain: Chain, sender: str, to: str, data: str) -> dict[str, str]:
    """The call from `sender` as a JSON-RPC transaction; a revert raises the contract's decoded error."""
    w3 = chain.w3
    try:
        gas = w3.eth.estimate_gas({"from": sender, "to": to, "data": data})
    except (ContractCustomError, ContractLogicError) as exc:
        revert = getattr(exc, "data", None)
        decoded = chain.decode_revert(revert) if isinstance(revert, (str, bytes)) else None
        raise decoded or ChainError(f"the transaction would revert: {exc}") from None
    fields = {"from": sender, "to": to, "data": data, "value": 0,
              "gas": gas + gas // 5,  # estimates are exact for this state; leave room for a block's drift
              "nonce": w3.eth.get_transaction_count(sender, "pending"), "chainId": chain.chain_id}
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
    if base_fee is None:
        fields["gasPrice"] = w3.eth.gas_price
    else:
        tip = w3.eth.max_priority_fee
        fields.update(type=2, maxFeePerGas=2 * base_fee + tip, maxPriorityFeePerGas=tip)
    return {k: (v if isinstance(v, str) else hex(v)) for k, v in fields.items()}
