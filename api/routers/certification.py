"""(Near-)zero-carbon certification: applications filed by institution admins, decided by regulators
stage by stage (district → city → province), evaluated by CertificationRegistry itself; a granted
certification suspended, reinstated or revoked by a regulator of one of its stages, with a reason; its
status checked by anyone (no token needed: a certificate is shown to people who hold no account)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ChainDep, CurrentUser, DirectoryDep, NodeId, ResourceId, bad_request, require_in_scope
from api.errors import ERROR_RESPONSES, forbidden
from api.permissions import Action
from api.schemas.common import (Cid, Id, LimitQuery, OffsetQuery, Page, Password, ShortText, Timestamp,
                               TransactionOut)
from ledger.chain.certification import Application, ApplicationInput, CertificationClient
from ledger.chain.codes import CertificationLevel

router = APIRouter(tags=["certification"], responses=ERROR_RESPONSES)
Level = Literal["low_carbon", "near_zero_carbon", "zero_carbon"]


class ApplicationOut(BaseModel):
    application_id: int = Field(examples=[1])
    institution_id: int = Field(examples=[4])
    level: str = Field(examples=["near_zero_carbon"])
    status: str = Field(examples=["pending"], description="Now (expired once the validity has ended).")
    approvals: int
    stages: int
    approval_chain: list[int] = Field(description="Regions that decide, in order.")
    result_id: int
    baseline_result_id: int
    applicant: str
    valid_from: int
    valid_until: int


class DecisionOut(BaseModel):
    stage: int
    region_id: int
    regulator: str
    approved: bool
    reason: str
    document_cid: str
    transaction_hash: str


class ApplicationDetail(ApplicationOut):
    decisions: list[DecisionOut]


class ApplicationIn(BaseModel):
    level: Level = Field(examples=["near_zero_carbon"])
    result_id: Id = Field(description="A final accounting result of the institution.")
    baseline_result_id: int = Field(0, ge=0, le=2**31 - 1)
    activity: int = Field(0, ge=0, le=2**63 - 1, description="Activity figure for intensity criteria.")
    baseline_activity: int = Field(0, ge=0, le=2**63 - 1)
    document_cid: Cid = Field(min_length=1, description="CID of the application dossier (required by the contract).",
                              examples=["QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"])
    keystore_password: Password


class DecisionIn(BaseModel):
    approve: bool = Field(examples=[True])
    reason: ShortText = Field(examples=["criteria met; site visit 2023-03-02"])
    document_cid: Cid = Field(min_length=1, description="CID of the decision document (required by the contract).",
                              examples=["QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"])
    keystore_password: Password


class FiledOut(BaseModel):
    application_id: int
    criteria_version: int
    transaction_hash: str


def _out(client: CertificationClient, a: Application) -> ApplicationOut:
    return ApplicationOut(application_id=a.application_id, institution_id=a.institution_id, level=a.level.name.lower(),
                          status=client.status(a.application_id).name.lower(), approvals=a.approvals, stages=a.stages,
                          approval_chain=client.approval_chain(a.application_id), result_id=a.result_id,
                          baseline_result_id=a.baseline_result_id, applicant=a.applicant, valid_from=a.valid_from,
                          valid_until=a.valid_until)


@router.get("/organizations/{node_id}/certifications", response_model=Page[ApplicationOut],
            summary="Certification applications of a node and everything below it")
def list_applications(node_id: NodeId, user: CurrentUser, chain: ChainDep, directory: DirectoryDep,
                      status: Annotated[Literal["pending", "rejected", "certified", "suspended", "revoked", "expired"]
                                        | None, Query()] = None,
                      limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[ApplicationOut]:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    client = CertificationClient.of(chain.contracts)
    below = {n.node_id for n in tree.subtree(node_id)}
    found = [a for a in (client.application(i) for i in range(1, client.application_count() + 1))
             if a.institution_id in below]
    items = [_out(client, a) for a in found]
    if status is not None:
        items = [a for a in items if a.status == status]
    return Page[ApplicationOut](items=items[offset:offset + limit], total=len(items), limit=limit, offset=offset)


@router.get("/certifications/{application_id}", response_model=ApplicationDetail,
            summary="One application, its approval chain and every decision")
def get_application(application_id: ResourceId, user: CurrentUser, chain: ChainDep,
                    directory: DirectoryDep) -> ApplicationDetail:
    client = CertificationClient.of(chain.contracts)
    application = client.application(application_id)
    require_in_scope(user, Action.READ, application.institution_id, directory.tree())
    return ApplicationDetail(**_out(client, application).model_dump(),
                             decisions=[DecisionOut(**vars(d)) for d in client.decisions(application_id)])


@router.post("/organizations/{node_id}/certifications", response_model=FiledOut, status_code=201,
             summary="File an application (the contract evaluates the criteria)")
def apply(node_id: NodeId, body: ApplicationIn, user: CurrentUser, chain: ChainDep, directory: DirectoryDep) -> FiledOut:
    require_in_scope(user, Action.APPLY_CERTIFICATION, node_id, directory.tree())
    client = CertificationClient.of(chain.signer(user, body.keystore_password))
    filed = client.apply(ApplicationInput(node_id, CertificationLevel[body.level.upper()], body.result_id,
                                          body.baseline_result_id, body.activity, body.baseline_activity,
                                          body.document_cid))
    return FiledOut(application_id=filed.application_id, criteria_version=filed.criteria_version,
                    transaction_hash=filed.tx.hash)


@router.post("/certifications/{application_id}/decision", response_model=TransactionOut,
             summary="Approve or reject the current stage, as a regulator of its region")
def decide(application_id: ResourceId, body: DecisionIn, user: CurrentUser, chain: ChainDep,
           directory: DirectoryDep) -> TransactionOut:
    application = CertificationClient.of(chain.contracts).application(application_id)
    require_in_scope(user, Action.DECIDE_CERTIFICATION, application.institution_id, directory.tree())
    decision = CertificationClient.of(chain.signer(user, body.keystore_password)).decide(
        application_id, body.approve, body.reason, body.document_cid)
    return TransactionOut(transaction_hash=decision.tx.hash, block_number=decision.tx.block_number)


class StatusChangeIn(BaseModel):
    action: Literal["suspend", "reinstate", "revoke"] = Field(examples=["suspend"],
                                                            description="certified → suspended, suspended → "
                                                            "certified, certified | suspended → revoked.")
    reason: ShortText = Field(examples=["metering gap found at the 2024 site inspection"])
    keystore_password: Password


class StatusChangeOut(TransactionOut):
    application_id: int
    before: str = Field(examples=["certified"])
    after: str = Field(examples=["suspended"])


class StatusCheckOut(BaseModel):
    application_id: int
    institution_id: int
    level: str = Field(examples=["near_zero_carbon"])
    status: str = Field(examples=["certified"], description="Now (expired once the validity has ended).")
    valid_from: int
    valid_until: int
    at: int = Field(description="The moment asked about (unix seconds; default the chain head's time).")
    certified_at: bool = Field(description="CertificationRegistry.isCertifiedAt(application, at).")


@router.post("/certifications/{application_id}/status", response_model=StatusChangeOut,
             summary="Suspend, reinstate or revoke a certification, as a regulator of a region above it")
def change_status(application_id: ResourceId, body: StatusChangeIn, user: CurrentUser, chain: ChainDep,
                  directory: DirectoryDep) -> StatusChangeOut:
    """Scope: a region strictly above the institution; the contract further requires a direct admin of one of
    the application's stages (NotRegulator, 403) and an allowed transition (409)."""
    application = CertificationClient.of(chain.contracts).application(application_id)
    require_in_scope(user, Action.DECIDE_CERTIFICATION, application.institution_id, directory.tree())
    if user.org_id == application.institution_id:
        raise forbidden(f"only a regulator of a region above institution {application.institution_id} may "
                        f"{body.action} its certification")
    if not body.reason.strip():
        raise bad_request(f"a {body.action} needs a reason")
    client = CertificationClient.of(chain.signer(user, body.keystore_password))
    change = getattr(client, body.action)(application_id, body.reason.strip())
    return StatusChangeOut(transaction_hash=change.tx.hash, block_number=change.tx.block_number,
                           application_id=application_id, before=change.before.name.lower(),
                           after=change.after.name.lower())


@router.get("/certifications/{application_id}/status", response_model=StatusCheckOut,
            summary="Is this certification valid (now, or at a moment)? Anyone may ask")
def check_status(application_id: ResourceId, chain: ChainDep,
                 at: Annotated[Timestamp | None, Query(description="Unix seconds; default now.")] = None
                 ) -> StatusCheckOut:
    client = CertificationClient.of(chain.contracts)
    application = client.application(application_id)  # UnknownApplication → 404
    moment = int(chain.chain.w3.eth.get_block("latest")["timestamp"]) if at is None else at
    return StatusCheckOut(application_id=application_id, institution_id=application.institution_id,
                          level=application.level.name.lower(), status=client.status(application_id).name.lower(),
                          valid_from=application.valid_from, valid_until=application.valid_until, at=moment,
                          certified_at=client.is_certified_at(application_id, moment))
