"""Accounting results: computed from anchored readings, submitted and verified on AccountingLedger.

A result is of kind `emissions` (an inventory) or `savings` (emissions avoided, M&V). The list comes from the
indexer's tables once the index has caught up with the chain head (`X-Served-From: index`), else from
AccountingLedger (`X-Served-From: chain`); both give the same bodies.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from api.deps import ChainDep, CurrentUser, DirectoryDep, EngineDep, NodeId, ResourceId, bad_request, require_in_scope
from api.errors import ERROR_RESPONSES
from api.permissions import Action
from api.schemas.common import Id, LimitQuery, OffsetQuery, Page, Password, ShortText, TransactionOut
from api.services.chain import ChainAccess
from api.services.index_reads import SERVED_FROM, index_caught_up, indexed_results
from ledger.accounting.factors import Period
from ledger.accounting.published import factor_set, methodology
from ledger.accounting.report import build_report, bytes32_label
from ledger.chain.clients import AccountingRecord
from ledger.evidence import open_evidence_store
from ledger.indexer.models import AccountingResult

router = APIRouter(tags=["accounting results"], responses=ERROR_RESPONSES)
Versioned = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.-]{1,32}$")]


class ResultOut(BaseModel):
    result_id: int = Field(examples=[1])
    institution_id: int = Field(examples=[4])
    boundary_id: int = Field(examples=[4])
    kind: str = Field(examples=["emissions"], description="emissions, or savings (emissions avoided, M&V).")
    status: str = Field(examples=["final"])
    period_start: int
    period_end: int
    methodology: str = Field(examples=["public-institution-inventory"])
    scope1_g: int = Field(description="gCO2e")
    scope2_g: int = Field(description="gCO2e", examples=[737292003])
    scope3_g: int = Field(description="gCO2e")
    input_batch_count: int
    supersedes: int
    superseded_by: int
    submitter: str
    verifier: str | None

    @classmethod
    def of(cls, r: AccountingRecord) -> "ResultOut":
        return cls(result_id=r.result_id, institution_id=r.institution_id, boundary_id=r.boundary_id,
                   kind=r.kind.name.lower(), status=r.status.name.lower(), period_start=r.period_start, period_end=r.period_end,
                   methodology=bytes32_label(r.methodology_id), scope1_g=r.scope1, scope2_g=r.scope2,
                   scope3_g=r.scope3, input_batch_count=r.input_batch_count, supersedes=r.supersedes,
                   superseded_by=r.superseded_by, submitter=r.submitter,
                   verifier=r.verifier if r.verified_at else None)

    @classmethod
    def indexed(cls, r: AccountingResult) -> "ResultOut":
        return cls(result_id=r.result_id, institution_id=r.institution_id, boundary_id=r.boundary_id,
                   kind=r.kind_name, status=r.status_name, period_start=r.period_start, period_end=r.period_end,
                   methodology=bytes32_label(bytes.fromhex(r.methodology_id[2:])), scope1_g=r.scope1,
                   scope2_g=r.scope2, scope3_g=r.scope3, input_batch_count=r.input_batch_count,
                   supersedes=r.supersedes, superseded_by=r.superseded_by, submitter=r.submitter, verifier=r.verifier)


class ResultSubmission(BaseModel):
    start: date = Field(examples=["2022-01-01"], description="First day (China Standard Time).")
    end: date = Field(examples=["2022-12-31"], description="Last day, included.")
    boundary_id: Id | None = Field(None, description="A scene inside the institution; default the institution.")
    methodology: Versioned = "public-institution-inventory@1"
    factors: Versioned = "cn-public-institution@2022.1"
    restates: Id | None = Field(None, description="Restate this final result instead of submitting a new one.")
    reason: ShortText | None = Field(None, description="Why the restatement is needed (required with restates).")
    keystore_password: Password


class SubmittedOut(BaseModel):
    result_id: int
    report_cid: str
    total_kgco2e: str = Field(examples=["737292.003"])


class Verification(BaseModel):
    approve: bool = Field(examples=[True])
    statement: ShortText = Field(description="Verification statement CID, or the reason for a rejection.",
                                                examples=["QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"])
    keystore_password: Password


def _scoped_result(chain: ChainAccess, result_id: int, user, action: Action, directory) -> AccountingRecord:  # noqa: ANN001
    record = chain.contracts.accounting.result(result_id)
    require_in_scope(user, action, record.institution_id, directory.tree())
    return record


@router.get("/organizations/{node_id}/results", response_model=Page[ResultOut], summary="An institution's results")
def list_results(node_id: NodeId, user: CurrentUser, chain: ChainDep, directory: DirectoryDep, engine: EngineDep,
                 response: Response,
                 status: Annotated[str | None, Query(pattern="^(submitted|final|rejected|superseded)$")] = None,
                 kind: Annotated[str | None, Query(pattern="^(emissions|savings)$")] = None,
                 limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[ResultOut]:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    if index_caught_up(engine, chain.chain):
        response.headers[SERVED_FROM] = "index"
        items = [ResultOut.indexed(r) for r in indexed_results(engine, node_id)]
    else:
        response.headers[SERVED_FROM] = "chain"
        accounting = chain.contracts.accounting
        items = [ResultOut.of(accounting.result(s.result_id))
                 for s in accounting.submitted_results(institution_id=node_id)]
    items = [r for r in items if (status is None or r.status == status) and (kind is None or r.kind == kind)]
    return Page[ResultOut](items=items[offset:offset + limit], total=len(items), limit=limit, offset=offset)


@router.get("/results/{result_id}", response_model=ResultOut, summary="One result as the chain stores it")
def get_result(result_id: ResourceId, user: CurrentUser, chain: ChainDep, directory: DirectoryDep) -> ResultOut:
    return ResultOut.of(_scoped_result(chain, result_id, user, Action.READ, directory))


@router.post("/organizations/{node_id}/results", response_model=SubmittedOut, status_code=201,
             summary="Account a period from anchored readings and submit the result")
def submit_result(node_id: NodeId, body: ResultSubmission, user: CurrentUser, chain: ChainDep,
                  directory: DirectoryDep) -> SubmittedOut:
    require_in_scope(user, Action.SUBMIT_RESULTS, node_id, directory.tree())
    if body.restates is not None and not body.reason:
        raise bad_request("a restatement needs a reason")
    signer = chain.signer(user, body.keystore_password)
    store = open_evidence_store(chain.settings.evidence_path, chain.settings.ipfs_api)
    report = build_report(signer, store, node_id, body.boundary_id or node_id, Period(body.start, body.end),
                          methodology(*body.methodology.split("@")), factor_set(*body.factors.split("@")))
    cid = store.add(report.encode())
    result_input = report.result_input(cid)
    if body.restates is not None:
        result_id = signer.accounting.restate(body.restates, result_input, body.reason or "")
    else:
        result_id = signer.accounting.submit(node_id, body.boundary_id or node_id, result_input)
    return SubmittedOut(result_id=result_id, report_cid=cid, total_kgco2e=str(report.result.total.value))


@router.post("/results/{result_id}/verification", response_model=TransactionOut,
             summary="Approve (final) or reject a submitted result, as a verifier above the institution")
def verify_result(result_id: ResourceId, body: Verification, user: CurrentUser, chain: ChainDep,
                  directory: DirectoryDep) -> TransactionOut:
    _scoped_result(chain, result_id, user, Action.VERIFY_RESULTS, directory)
    receipt = chain.signer(user, body.keystore_password).accounting.verify(result_id, body.approve, body.statement)
    return TransactionOut(transaction_hash="0x" + bytes(receipt["transactionHash"]).hex(),
                          block_number=receipt["blockNumber"])
