"""Zero-carbon meetings: a meeting's footprint from its room's anchored readings (ledger.accounting.meeting),
its offset (a retirement backing the meeting's claim) and the certificate that shows both.

A meeting is named by its claim id (`claim_id` of the footprint): the chain's retirement certificates are
keyed by it. Offsetting is signed with your server-side key (`keystore_password`) or by your wallet: ask
`/offset/transaction` for the call, sign it, and POST it as `raw_transaction`.
"""

from __future__ import annotations

from typing import Annotated

from eth_utils import to_checksum_address
from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import ChainDep, CurrentUser, DirectoryDep, bad_request, require, require_in_scope
from api.errors import ERROR_RESPONSES, ApiError, not_found
from api.models import User
from api.permissions import Action
from api.schemas.common import Address, HexBytes, Password
from api.services.certificates import certificate_json, certificate_record
from api.services.chain import ChainAccess, decode_transaction
from api.services.meetings import (check_offset_transaction, footprint_cid, footprint_of, labels, meeting_of,
                                   plan_offset, recorded_footprint, store_footprint)
from api.services.organizations import OrganizationDirectory
from ledger.accounting.meeting import MeetingFootprint, claim_id_for, footprint_cid_in_reason
from ledger.accounting.meeting_description import meeting_from_document
from ledger.accounting.quantities import Quantity, tco2e_to_kgco2e
from ledger.chain.codes import ClaimKind
from ledger.chain.credits import CreditContracts
from ledger.reports.certificate import CertificateRecord, render_certificate_html

router = APIRouter(prefix="/meetings", tags=["meetings"], responses=ERROR_RESPONSES)
EXAMPLE = {"room": 6, "title": "Quarterly review", "start": "2022-03-01T10:00:00+08:00",
           "end": "2022-03-01T12:00:00+08:00", "sheets": 40,
           "participants": [{"name": "Li", "mode": "metro", "distance_km": "12", "green": ["green_travel"]}]}
ClaimPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="The meeting's claim id (see /footprint).",
                                examples=["0x" + "c1" * 32])]
RetireeQuery = Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$",
                                           description="Whose retirement backs the claim; default yours.")]
TokenIdText = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", examples=["18446744073709551618"])]


class FootprintOut(BaseModel):
    kind: str
    claim_id: str = Field(description="The claim a retirement backs to offset this meeting.")
    meeting: dict
    footprint_sha256: str
    model_config = {"extra": "allow"}


class OffsetPlanIn(BaseModel):
    meeting: dict = Field(examples=[EXAMPLE], description="The meeting description (decimals as strings).")
    token_ids: list[TokenIdText] | None = Field(None, max_length=64, description="Retire from these token ids, in "
                                                "order (default: every holding, oldest vintage first).")
    beneficiary: Address | None = Field(None, description="Who the certificate names; default you.")


class OffsetIn(OffsetPlanIn):
    keystore_password: Password | None = Field(None, description="Sign with your server-side key …")
    raw_transaction: HexBytes | None = Field(None, description="… or send the call from /offset/transaction "
                                             "signed by your wallet.")


class OffsetCallOut(BaseModel):
    to: str = Field(description="The CarbonCredit contract.")
    data: str = Field(description="Call data to sign (eth_sendTransaction / sign and POST as raw_transaction).")
    function: str = Field(examples=["retire"])
    items: list[dict] = Field(description="token_id and tonnes retired from it.")
    tonnes: int = Field(examples=[1])
    reason: str
    footprint_cid: str


class OffsetOut(BaseModel):
    certificate_id: int = Field(examples=[1])
    claim_id: str
    tonnes: int = Field(examples=[1])
    ranges: list[dict]
    beneficiary: str
    footprint_cid: str
    net_kgco2e: str = Field(examples=["1.264"])
    transaction_hash: str
    block_number: int


class MeetingCertificateOut(BaseModel):
    certificate: dict = Field(description="The retirement certificate as the chain records it.")
    footprint: dict = Field(description="The footprint recomputed now from anchored readings and the meeting.")
    footprint_cid_recorded: str = Field(description="The CID the retirement's reason names.")
    footprint_cid_recomputed: str
    covers: bool = Field(description="Retired tonnes ≥ the recomputed net footprint.")


@router.post("/footprint", response_model=FootprintOut, summary="A meeting's footprint, line by line")
def footprint(document: Annotated[dict, Body(examples=[EXAMPLE], description="The meeting description "
                                             "(decimals as strings; see ledger/accounting/meeting_description.py).")],
              user: CurrentUser, chain: ChainDep, directory: DirectoryDep) -> FootprintOut:
    meeting = meeting_from_document(document)  # InvalidMeeting (an AccountingError) → 422 with the field
    require_in_scope(user, Action.READ, meeting.room_id, directory.tree())
    result = footprint_of(chain.contracts, chain, meeting)
    return FootprintOut(**result.to_json(), footprint_sha256=result.content_hash)


def _offset_footprint(claim_id: str, body: OffsetPlanIn, user: User, chain: ChainAccess,
                      directory: OrganizationDirectory) -> MeetingFootprint:
    meeting = meeting_from_document(body.meeting)
    require_in_scope(user, Action.TRADE_CREDITS, meeting.room_id, directory.tree())
    described = claim_id_for(chain.contracts, meeting)
    if described != bytes.fromhex(claim_id[2:]):
        raise ApiError(422, "not_this_meeting", f"the description is not meeting {claim_id} (its claim id is "
                       f"0x{described.hex()})")
    return footprint_of(chain.contracts, chain, meeting)


@router.post("/{claim_id}/offset/transaction", response_model=OffsetCallOut,
             summary="The retirement call a wallet signs to offset the meeting")
def offset_transaction(claim_id: ClaimPath, body: OffsetPlanIn, user: CurrentUser, chain: ChainDep,
                       directory: DirectoryDep) -> OffsetCallOut:
    found = _offset_footprint(claim_id, body, user, chain, directory)
    if user.address is None:
        raise bad_request("you have no address to retire from")
    plan = plan_offset(chain, found, user.address, body.beneficiary, _chosen(body))
    function, args = plan.call()
    contract = CreditContracts.of(chain.contracts).credits.contract
    return OffsetCallOut(to=contract.address, data=contract.encode_abi(function, args=args), function=function,
                         items=[{"token_id": str(t), "tonnes": a} for t, a in plan.items],
                         tonnes=sum(a for _, a in plan.items), reason=plan.reason, footprint_cid=plan.footprint_cid)


@router.post("/{claim_id}/offset", response_model=OffsetOut, status_code=201,
             summary="Offset the meeting: retire whole tonnes covering its net footprint, backing its claim")
def offset(claim_id: ClaimPath, body: OffsetIn, user: CurrentUser, chain: ChainDep,
           directory: DirectoryDep) -> OffsetOut:
    """The contract refuses a second retirement for the same claim by the same retiree (409)."""
    if (body.keystore_password is None) == (body.raw_transaction is None):
        raise bad_request("send exactly one of keystore_password (server-side key) and raw_transaction (wallet)")
    found = _offset_footprint(claim_id, body, user, chain, directory)
    if body.keystore_password is not None:
        signer = CreditContracts.of(chain.signer(user, body.keystore_password))
        plan = plan_offset(chain, found, signer.credits.me, body.beneficiary, _chosen(body))
        claim = {"beneficiary": plan.beneficiary, "reason": plan.reason, "period_start": found.meeting.start,
                 "period_end": found.meeting.end, "claim_kind": ClaimKind.MEETING, "claim_id": found.claim_id}
        retirement = (signer.credits.retire(*plan.items[0], **claim) if len(plan.items) == 1
                      else signer.credits.retire_batch(plan.items, **claim))
        cid = plan.footprint_cid
    else:
        require(user, Action.RELAY_TRANSACTIONS)
        raw = bytes.fromhex(body.raw_transaction[2:])
        try:
            data = decode_transaction(raw)["data"]
        except Exception as exc:  # rlp decoding raises many types
            raise ApiError(422, "invalid_transaction", f"not a signed transaction: {exc}") from None
        check_offset_transaction(chain.contracts, str(data), found)
        cid = store_footprint(chain, found)  # the wallet may have built the call itself
        relayed = chain.relay(user, raw)  # checks signer and target, and eth_calls first (a revert decodes)
        if relayed["status"] != "success":
            raise ApiError(409, "transaction_reverted", f"transaction {relayed['transaction_hash']} reverted")
        bundle = CreditContracts.of(chain.contracts)
        certificate_id = bundle.certificates.certificate_for_claim(ClaimKind.MEETING, found.claim_id, str(relayed["sender"]))
        retirement = bundle.credits.retirement(certificate_id)
    return OffsetOut(certificate_id=retirement.certificate_id, claim_id="0x" + found.claim_id.hex(),
                     tonnes=retirement.tonnes, beneficiary=retirement.beneficiary, footprint_cid=cid,
                     ranges=[{"token_id": str(r.token_id), "first_serial": r.first_serial, "last_serial": r.last_serial}
                             for r in retirement.ranges],
                     net_kgco2e=str(found.net.value), transaction_hash=retirement.tx.hash,
                     block_number=retirement.tx.block_number)


def _certificate(claim_id: str, retiree: str | None, user: User, chain: ChainAccess,
                 directory: OrganizationDirectory) -> tuple[CertificateRecord, MeetingFootprint]:
    """The certificate `retiree` backed the claim with, and the footprint re-derived from its evidence."""
    who = retiree or user.address
    if who is None:
        raise bad_request("you have no address; name the retiree")
    who = to_checksum_address(who)
    bundle = CreditContracts.of(chain.contracts)
    certificate_id = bundle.certificates.certificate_for_claim(ClaimKind.MEETING, bytes.fromhex(claim_id[2:]), who)
    if certificate_id == 0:
        raise not_found(f"certificate backing meeting claim {claim_id} for retiree {who}")
    record = certificate_record(bundle, certificate_id)
    document = recorded_footprint(chain, record.certificate)
    meeting = meeting_of(document)
    require_in_scope(user, Action.READ, meeting.room_id, directory.tree())
    method, factors = labels(document)
    return record, footprint_of(chain.contracts, chain, meeting, method, factors)


@router.get("/{claim_id}/certificate", response_model=MeetingCertificateOut,
            summary="The certificate backing the meeting, with its footprint recomputed")
def certificate(claim_id: ClaimPath, user: CurrentUser, chain: ChainDep, directory: DirectoryDep,
                retiree: RetireeQuery = None) -> MeetingCertificateOut:
    record, found = _certificate(claim_id, retiree, user, chain, directory)
    return MeetingCertificateOut(
        certificate=certificate_json(record), footprint=found.to_json(),
        footprint_cid_recorded=footprint_cid_in_reason(record.certificate.reason) or "",
        footprint_cid_recomputed=footprint_cid(found),
        covers=tco2e_to_kgco2e(Quantity(record.certificate.tonnes, "tCO2e")) >= found.net)


@router.get("/{claim_id}/certificate/page", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}, "description": "The certificate page"}},
            summary="The certificate page (ledger/reports/certificate.py), the meeting's footprint beside it")
def certificate_page(claim_id: ClaimPath, user: CurrentUser, chain: ChainDep, directory: DirectoryDep,
                     retiree: RetireeQuery = None) -> HTMLResponse:
    record, found = _certificate(claim_id, retiree, user, chain, directory)
    return HTMLResponse(render_certificate_html(record, found, "/explorer"))


def _chosen(body: OffsetPlanIn) -> list[int] | None:
    return [int(t) for t in body.token_ids] if body.token_ids is not None else None
