"""Carbon credits: the catalogue, holdings, the market (list, buy, cancel) and retirements with certificates
(`/retirements/{id}`: the certificate as JSON and as the page ledger/reports/certificate.py renders).

Amounts are whole tonnes (one credit unit = 1 tCO2e); prices are in the settlement token's smallest unit.
Writes are signed with the caller's server-side key; a wallet user signs the same calls itself and POSTs
them to /chain/transactions.
"""

from __future__ import annotations

from typing import Annotated

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import ChainDep, CurrentUser, require
from api.errors import ERROR_RESPONSES, ApiError, not_found
from api.permissions import Action
from api.services.certificates import certificate_json, certificate_record
from api.schemas.common import Address, LimitQuery, OffsetQuery, Page, Password, ShortText, Timestamp, TransactionOut
from ledger.chain.codes import decode_token_id
from ledger.chain.credits import CreditContracts, Listing, Retirement
from ledger.reports.certificate import render_certificate_html

router = APIRouter(tags=["credits and market"], responses=ERROR_RESPONSES)
TokenIdPath = Annotated[int, Path(ge=0, le=2**256 - 1, description="ERC-1155 id: class, project, vintage.")]
ListingIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
Tonnes = Annotated[int, Field(ge=1, le=2**63 - 1, examples=[5])]


class TokenOut(BaseModel):
    token_id: str = Field(description="Decimal (it exceeds JavaScript's integers).", examples=["18446744073709551618"])
    class_id: int
    project_id: int
    vintage: int
    issued: int
    retired: int
    circulating: int


class HoldingOut(BaseModel):
    token_id: str
    amount: int


class ListingOut(BaseModel):
    listing_id: int
    token_id: str
    remaining: int
    seller: str
    price_per_unit: str = Field(description="Settlement token smallest units per tonne.", examples=["130000000"])

    @classmethod
    def of(cls, listing: Listing) -> "ListingOut":
        return cls(listing_id=listing.listing_id, token_id=str(listing.token_id), remaining=listing.remaining,
                   seller=listing.seller, price_per_unit=str(listing.price_per_unit))


class RetirementOut(BaseModel):
    certificate_id: int
    retiree: str
    beneficiary: str
    tonnes: int
    ranges: list[dict] = Field(description="Serial ranges burned: token_id, first_serial, last_serial.")
    claim_kind: str
    period_start: int
    period_end: int
    reason: str

    @classmethod
    def of(cls, r: Retirement) -> "RetirementOut":
        return cls(certificate_id=r.certificate_id, retiree=r.retiree, beneficiary=r.beneficiary, tonnes=r.tonnes,
                   ranges=[{"token_id": str(s.token_id), "first_serial": s.first_serial, "last_serial": s.last_serial}
                           for s in r.ranges],
                   claim_kind=r.claim_kind.name.lower(), period_start=r.period_start, period_end=r.period_end,
                   reason=r.reason)


class ListingIn(BaseModel):
    token_id: Annotated[str, Field(pattern=r"^[0-9]{1,78}$", examples=["18446744073709551618"])]
    amount: Tonnes
    price_per_unit: Annotated[str, Field(pattern=r"^[0-9]{1,30}$", examples=["130000000"])]
    keystore_password: Password


class PurchaseIn(BaseModel):
    amount: Tonnes
    keystore_password: Password


class CancelIn(BaseModel):
    keystore_password: Password


class RetirementIn(BaseModel):
    token_id: Annotated[str, Field(pattern=r"^[0-9]{1,78}$")]
    amount: Tonnes
    beneficiary: Address | None = Field(None, description="Who the certificate names; default you.")
    reason: ShortText = Field(examples=["Offset of the 2024 office emissions"])
    period_start: Timestamp
    period_end: Timestamp
    keystore_password: Password


class ListedOut(ListingOut):
    """The new listing and the transaction that escrowed its units."""

    transaction_hash: str
    block_number: int


class PurchaseOut(TransactionOut):
    amount: int
    cost: str
    remaining: int


def _credits(chain: ChainDep) -> CreditContracts:
    return CreditContracts.of(chain.contracts)


@router.get("/credits/tokens", response_model=Page[TokenOut], summary="Every credit token issued, with its supply")
def tokens(user: CurrentUser, chain: ChainDep, limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[TokenOut]:
    credits = _credits(chain).credits
    ids = credits.token_ids()
    items = []
    for token in ids[offset:offset + limit]:
        class_id, project_id, vintage = decode_token_id(token)
        supply = credits.supply(token)
        items.append(TokenOut(token_id=str(token), class_id=class_id, project_id=project_id, vintage=vintage,
                              issued=supply.issued, retired=supply.retired, circulating=supply.circulating))
    return Page[TokenOut](items=items, total=len(ids), limit=limit, offset=offset)


@router.get("/credits/holdings", response_model=list[HoldingOut], summary="Credit balances of an account")
def holdings(user: CurrentUser, chain: ChainDep,
             account: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Default: yours.")] = None
             ) -> list[HoldingOut]:
    account = account or user.address
    if account is None:
        raise ApiError(422, "invalid_input", "you have no address; name an account")
    return [HoldingOut(token_id=str(t), amount=a) for t, a in _credits(chain).credits.holdings(account).items()]


@router.get("/market/listings", response_model=Page[ListingOut], summary="Market listings")
def listings(user: CurrentUser, chain: ChainDep, open_only: bool = True,
             token_id: Annotated[str | None, Query(pattern=r"^[0-9]{1,78}$")] = None,
             limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[ListingOut]:
    found = _credits(chain).market.listings(open_only=open_only)
    if token_id is not None:
        found = [x for x in found if x.token_id == int(token_id)]
    return Page[ListingOut](items=[ListingOut.of(x) for x in found[offset:offset + limit]], total=len(found),
                            limit=limit, offset=offset)


@router.post("/market/listings", response_model=ListedOut, status_code=201, summary="List credits for sale")
def list_units(body: ListingIn, user: CurrentUser, chain: ChainDep) -> ListedOut:
    require(user, Action.TRADE_CREDITS)
    mine = CreditContracts.of(chain.signer(user, body.keystore_password))
    mine.ensure_market_approval()
    listed = mine.market.list_units(int(body.token_id), body.amount, int(body.price_per_unit))
    return ListedOut(**ListingOut.of(listed.listing).model_dump(), transaction_hash=listed.tx.hash,
                     block_number=listed.tx.block_number)


@router.post("/market/listings/{listing_id}/purchase", response_model=PurchaseOut, summary="Buy from a listing")
def buy(listing_id: ListingIdPath, body: PurchaseIn, user: CurrentUser, chain: ChainDep) -> PurchaseOut:
    require(user, Action.TRADE_CREDITS)
    mine = CreditContracts.of(chain.signer(user, body.keystore_password))
    listing = mine.market.listing(listing_id)
    mine.ensure_allowance(listing.price_per_unit * body.amount)
    p = mine.market.buy(listing_id, body.amount)
    return PurchaseOut(transaction_hash=p.tx.hash, block_number=p.tx.block_number, amount=p.amount, cost=str(p.cost),
                       remaining=p.remaining)


@router.post("/market/listings/{listing_id}/cancel", response_model=TransactionOut, summary="Withdraw your listing")
def cancel(listing_id: ListingIdPath, body: CancelIn, user: CurrentUser, chain: ChainDep) -> TransactionOut:
    require(user, Action.TRADE_CREDITS)
    c = CreditContracts.of(chain.signer(user, body.keystore_password)).market.cancel(listing_id)
    return TransactionOut(transaction_hash=c.tx.hash, block_number=c.tx.block_number)


@router.post("/credits/retirements", response_model=RetirementOut, status_code=201,
             summary="Retire credits: burn the lowest serials, receive a certificate")
def retire(body: RetirementIn, user: CurrentUser, chain: ChainDep) -> RetirementOut:
    require(user, Action.TRADE_CREDITS)
    mine = CreditContracts.of(chain.signer(user, body.keystore_password))
    # the Address pattern takes any case; web3 takes only checksummed addresses (a lower-case one was a 500)
    beneficiary = to_checksum_address(body.beneficiary) if body.beneficiary else user.address
    r = mine.credits.retire(int(body.token_id), body.amount, beneficiary=beneficiary,
                            reason=body.reason, period_start=body.period_start, period_end=body.period_end)
    return RetirementOut.of(r)


@router.get("/credits/retirements", response_model=Page[RetirementOut], summary="Retirements, by retiree")
def retirements(user: CurrentUser, chain: ChainDep,
                retiree: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
                limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[RetirementOut]:
    found = _credits(chain).credits.retirements(retiree=retiree)
    return Page[RetirementOut](items=[RetirementOut.of(r) for r in found[offset:offset + limit]], total=len(found),
                               limit=limit, offset=offset)


@router.get("/credits/retirements/{certificate_id}", response_model=RetirementOut, summary="One retirement certificate")
def retirement(certificate_id: ListingIdPath, user: CurrentUser, chain: ChainDep) -> RetirementOut:
    credits = _credits(chain)
    if certificate_id > credits.certificates.certificate_count():
        raise not_found(f"retirement certificate {certificate_id}")
    return RetirementOut.of(credits.credits.retirement(certificate_id))


class CertificateOut(BaseModel):
    certificate_id: int = Field(examples=[1])
    owner: str = Field(description="Who holds the certificate NFT (the beneficiary unless transferred).")
    retiree: str
    beneficiary: str
    tonnes: int = Field(examples=[2])
    claim_kind: str = Field(examples=["none", "certification_application", "meeting"])
    claim_id: str
    period_start: int
    period_end: int
    retired_at: int
    reason: str
    ranges: list[dict] = Field(description="Serial ranges burned: token_id, first_serial, last_serial.")
    ranges_hash: str
    ranges_match: bool = Field(description="RetirementCertificate.rangesMatch(id, the retirement event's ranges).")
    tokens: list[dict] = Field(description="Each token id's class, project, vintage, standard and methodology.")
    chain_id: int
    credit_contract: str
    certificate_contract: str
    transaction_hash: str
    block_number: int


@router.get("/retirements/{certificate_id}", response_model=CertificateOut,
            summary="A retirement certificate, every fact read from the chain")
def certificate(certificate_id: ListingIdPath, user: CurrentUser, chain: ChainDep) -> CertificateOut:
    return CertificateOut(**certificate_json(certificate_record(_credits(chain), certificate_id)))


@router.get("/retirements/{certificate_id}/page", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}, "description": "The certificate page"}},
            summary="A retirement certificate as a page, each fact linked to the explorer")
def certificate_page(certificate_id: ListingIdPath, user: CurrentUser, chain: ChainDep) -> HTMLResponse:
    return HTMLResponse(render_certificate_html(certificate_record(_credits(chain), certificate_id), None, "/explorer"))
