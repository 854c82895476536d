"""Retrofit projects, tracked like a parcel: proposal → approval → procurement → installation →
commissioning → M&V → verified, each step signed (EIP-712) by the acting user; a timeline shows them."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import func, select

from api.deps import (ChainDep, CurrentUser, DirectoryDep, NodeId, ResourceId, SessionDep, bad_request,
                      require_in_scope, require_institution)
from api.errors import ERROR_RESPONSES, not_found
from api.models import Project, ProjectStep, User
from api.permissions import Action
from api.schemas.common import Cid, DecimalText, LimitQuery, OffsetQuery, Page, Password, ShortText, Signature, Text, Timestamp
from api.services import projects as workflow
from api.services.anchoring import anchor_pending
from api.services.chain import ChainAccess
from ledger.chain.workflow import WorkflowLogClient

router = APIRouter(tags=["projects"], responses=ERROR_RESPONSES)
StepName = Literal["proposal", "approval", "procurement", "installation", "commissioning", "mv", "verified"]


class ProjectIn(BaseModel):
    title: ShortText = Field(examples=["Split air-conditioner retrofit, 717 P"])
    measure: Literal["air_conditioning", "lighting", "elevator", "water_saving", "monitoring", "pv", "office",
                     "meeting_room", "other"] = Field(examples=["air_conditioning"])
    budget_cny: DecimalText = Field(examples=["1250000.00"])
    expected_saving_kgco2e: DecimalText = Field(examples=["45595.6"], description="Per year.")


class ProjectOut(BaseModel):
    id: int
    institution_id: int
    title: str
    measure: str
    budget_cny: str
    expected_saving_kgco2e: str
    state: str = Field(examples=["installation"])
    next_step: str | None = Field(examples=["commissioning"])
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, p: Project) -> "ProjectOut":
        return cls(**p.model_dump(exclude={"created_by"}), next_step=workflow.next_step(p))


class StepIn(BaseModel):
    step: StepName = Field(examples=["approval"])
    note: Text = Field("", examples=["approved at the compound's 2022-05 office meeting"])
    evidence_cid: Cid = Field("", description="CID of a supporting document, if any.")
    at: Timestamp | None = Field(None, description="The signed time (required with `signature`; default now).")
    signature: Signature | None = Field(None, description="EIP-712 signature of GET …/typed-data by your address.")
    keystore_password: Password | None = Field(None, description="Sign with your server-side key instead.")


class StepOut(BaseModel):
    step: str
    label: str = Field(examples=["审批 approval"])
    actor_id: int
    actor_address: str
    note: str
    evidence_cid: str
    at: int
    previous_hash: str
    step_hash: str = Field(description="EIP-712 digest of what the actor signed.")
    signature: str
    signed_client_side: bool
    seconds_since_previous: int | None
    signature_valid: bool = Field(description="Re-checked on every read.")
    anchor_transaction: str | None = Field(description="WorkflowLog.recordStep transaction; null until anchored.")
    anchor_block: int | None
    anchored_on_chain: bool | None = Field(None, description="WorkflowLog.recordOf(step_hash) names the actor "
                                           "(timeline only; null where no WorkflowLog is reachable).")


class TimelineOut(BaseModel):
    project: ProjectOut
    chain_id: int
    steps: list[StepOut]
    pending: list[dict] = Field(description="Steps still to come and who may record them.")
    elapsed_seconds: int | None = Field(description="From proposal to the latest step.")


def _project(session: SessionDep, project_id: int, user: User, action: Action, directory: DirectoryDep) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise not_found(f"project {project_id}")
    require_in_scope(user, action, project.institution_id, directory.tree())
    return project


@router.post("/organizations/{node_id}/projects", response_model=ProjectOut, status_code=201,
             summary="Open a retrofit project (a draft until its proposal step is signed)")
def create_project(node_id: NodeId, body: ProjectIn, user: CurrentUser, session: SessionDep,
                   directory: DirectoryDep) -> ProjectOut:
    tree = directory.tree()
    require_in_scope(user, Action.CREATE_PROJECTS, node_id, tree)
    require_institution(tree, node_id)
    now = int(time.time())
    project = Project(institution_id=node_id, title=body.title, measure=body.measure,
                      budget_cny=str(Decimal(body.budget_cny)), expected_saving_kgco2e=str(Decimal(body.expected_saving_kgco2e)),
                      state=workflow.DRAFT, created_by=user.id, created_at=now, updated_at=now)
    session.add(project)
    session.commit()
    session.refresh(project)
    return ProjectOut.of(project)


@router.get("/organizations/{node_id}/projects", response_model=Page[ProjectOut], summary="Projects, filtered")
def list_projects(node_id: NodeId, user: CurrentUser, session: SessionDep, directory: DirectoryDep,
                  state: Annotated[Literal["draft", "proposal", "approval", "procurement", "installation",
                                           "commissioning", "mv", "verified"] | None, Query()] = None,
                  measure: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]*$")] = None,
                  limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[ProjectOut]:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    where = [Project.institution_id.in_([n.node_id for n in tree.subtree(node_id)])]
    if state is not None:
        where.append(Project.state == state)
    if measure is not None:
        where.append(Project.measure == measure)
    total = session.exec(select(func.count()).select_from(Project).where(*where)).one()
    rows = session.exec(select(Project).where(*where).order_by(Project.id).offset(offset).limit(limit))
    return Page[ProjectOut](items=[ProjectOut.of(p) for p in rows], total=total, limit=limit, offset=offset)


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="One project")
def get_project(project_id: ResourceId, user: CurrentUser, session: SessionDep, directory: DirectoryDep) -> ProjectOut:
    return ProjectOut.of(_project(session, project_id, user, Action.READ, directory))


@router.get("/projects/{project_id}/typed-data", summary="The EIP-712 typed data your wallet signs for the next step")
def typed_data(project_id: ResourceId, step: Annotated[StepName, Query()], at: Annotated[int, Query(ge=0, le=2**31 - 1)],
               user: CurrentUser, session: SessionDep, chain: ChainDep, directory: DirectoryDep,
               note: Annotated[str, Query(max_length=2000, pattern=r"^[^\x00]*$")] = "",
               evidence_cid: Annotated[str, Query(max_length=128, pattern=r"^[A-Za-z0-9]*$")] = "") -> dict:
    """Pass the result to `eth_signTypedData_v4`, then POST the signature with the same fields."""
    project = _project(session, project_id, user, Action.READ, directory)
    workflow.check_role(user, step)
    return workflow.claim_for(session, project, step, note, evidence_cid, at).typed_data(chain.chain.chain_id)


@router.post("/projects/{project_id}/steps", response_model=StepOut, status_code=201,
             summary="Record the next step, signed by you")
def record_step(project_id: ResourceId, body: StepIn, user: CurrentUser, session: SessionDep, chain: ChainDep,
                directory: DirectoryDep) -> StepOut:
    # READ scope is the actor's subtree (the auditor, who reads everywhere, holds no step role)
    project = _project(session, project_id, user, Action.READ, directory)
    workflow.check_role(user, body.step)
    now = int(time.time())
    if body.signature is not None and body.at is None:
        raise bad_request("a wallet-signed step needs `at`, the time in the typed data you signed")
    at = body.at if body.signature is not None else now
    claim = workflow.claim_for(session, project, body.step, body.note, body.evidence_cid, at)
    chain_id = chain.chain.chain_id
    step = workflow.record_step(session, project, user, claim, chain_id, body.signature, body.keystore_password, now)
    anchor_pending(session, chain, project.id)
    session.refresh(step)
    return _step_out(step, None, project.institution_id, chain_id)


@router.post("/projects/{project_id}/anchors", response_model=TimelineOut,
             summary="Retry anchoring the project's unanchored steps in WorkflowLog")
def anchor(project_id: ResourceId, user: CurrentUser, session: SessionDep, chain: ChainDep,
           directory: DirectoryDep) -> TimelineOut:
    """Steps are anchored as they are recorded; after a chain outage this catches up."""
    project = _project(session, project_id, user, Action.CREATE_PROJECTS, directory)
    anchor_pending(session, chain, project.id)
    return timeline(project_id, user, session, chain, directory)


@router.get("/projects/{project_id}/timeline", response_model=TimelineOut,
            summary="Every signed step with its hash and time, and what is still to come")
def timeline(project_id: ResourceId, user: CurrentUser, session: SessionDep, chain: ChainDep,
             directory: DirectoryDep) -> TimelineOut:
    project = _project(session, project_id, user, Action.READ, directory)
    chain_id = chain.chain.chain_id
    steps = workflow.steps_of(session, project.id)
    out, previous = [], None
    log = _readable_workflow_log(chain)
    for step in steps:
        item = _step_out(step, previous, project.institution_id, chain_id)
        if log is not None:
            record = log.record_of(bytes.fromhex(step.step_hash[2:]))
            item.anchored_on_chain = record.recorded_at != 0 and record.actor.lower() == step.actor_address.lower()
        out.append(item)
        previous = step
    done = {s.step for s in steps}
    pending = [{"step": s, "label": workflow.STEP_LABELS[s], "roles": sorted(r.value for r in workflow.STEP_ROLES[s])}
               for s in workflow.STEPS if s not in done]
    return TimelineOut(project=ProjectOut.of(project), chain_id=chain_id, steps=out, pending=pending,
                       elapsed_seconds=steps[-1].at - steps[0].at if steps else None)


def _readable_workflow_log(chain: ChainAccess) -> WorkflowLogClient | None:
    """A read-only WorkflowLog client when the deployment has one."""
    contracts = chain.contracts
    if "WorkflowLog" not in contracts.organizations.deployment.addresses:
        return None
    return WorkflowLogClient.of(contracts)


def _step_out(step: ProjectStep, previous: ProjectStep | None, institution_id: int, chain_id: int) -> StepOut:
    return StepOut(step=step.step, label=workflow.STEP_LABELS[step.step], actor_id=step.actor_id,
                   actor_address=step.actor_address, note=step.note, evidence_cid=step.evidence_cid, at=step.at,
                   previous_hash=step.previous_hash, step_hash=step.step_hash, signature=step.signature,
                   signed_client_side=step.signed_client_side,
                   seconds_since_previous=None if previous is None else step.at - previous.at,
                   signature_valid=workflow.signature_valid(step, institution_id, chain_id),
                   anchor_transaction=step.anchor_tx, anchor_block=step.anchor_block)
