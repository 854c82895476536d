"""Work orders: raised from alarms, inspections or by hand; assigned, responded to, completed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import func, select

from api.deps import (CurrentUser, DirectoryDep, NodeId, ResourceId, SessionDep, SettingsDep, bad_request,
                      require_in_scope, require_institution)
from api.errors import ERROR_RESPONSES, conflict, not_found
from api.models import Asset, User, WorkOrder
from api.permissions import Action
from api.schemas.common import Id, LimitQuery, OffsetQuery, Page, ShortText, Text, Timestamp
from api.services import operations
from api.services.alarms import alarm_store

router = APIRouter(tags=["work orders"], responses=ERROR_RESPONSES)


class WorkOrderIn(BaseModel):
    title: ShortText = Field(examples=["Replace the leaking valve, building 5 2F"])
    asset_id: Id | None = None
    raised_at: Timestamp | None = Field(None, description="Default now; earlier for records kept before this system.")


class Assignment(BaseModel):
    assignee_id: Id = Field(examples=[3])
    at: Timestamp | None = None


class ResponseIn(BaseModel):
    at: Timestamp | None = None


class Completion(BaseModel):
    resolution: Text = Field(examples=["valve replaced; night flow back to 0.01 m³/h"])
    at: Timestamp | None = None


class WorkOrderOut(BaseModel):
    id: int
    institution_id: int
    title: str
    source: str = Field(examples=["alarm"])
    alarm_id: int | None
    inspection_id: int | None
    asset_id: int | None
    state: str = Field(examples=["completed"])
    raised_at: int
    assignee_id: int | None
    assigned_at: int | None
    responded_at: int | None
    completed_at: int | None
    response_seconds: int | None = Field(description="responded − raised")
    completion_seconds: int | None = Field(description="completed − raised")
    resolution: str

    @classmethod
    def of(cls, o: WorkOrder) -> "WorkOrderOut":
        return cls(**o.model_dump(exclude={"raised_by"}),
                   response_seconds=None if o.responded_at is None else o.responded_at - o.raised_at,
                   completion_seconds=None if o.completed_at is None else o.completed_at - o.raised_at)


class CohortOut(BaseModel):
    orders: int
    responded: int
    completed: int
    response_seconds_total: int
    completion_seconds_total: int
    mean_response_seconds: str | None = Field(examples=["5400.0"])
    mean_completion_seconds: str | None = Field(examples=["86400.0"])


class FiguresOut(BaseModel):
    cutover: int
    before: CohortOut
    after: CohortOut
    response_reduction_pct: str | None = Field(examples=["62.5"])
    completion_reduction_pct: str | None = Field(examples=["50.0"])
    seed_claim: dict[str, str] = Field(examples=[{"response_reduction_pct": "60", "completion_reduction_pct": "50"}])
    meets_seed_claim: dict[str, bool | None]


def _cohort(c: operations.CohortFigures) -> CohortOut:
    mr, mc = c.mean_response_seconds, c.mean_completion_seconds
    return CohortOut(orders=c.orders, responded=c.responded, completed=c.completed,
                     response_seconds_total=c.response_seconds_total,
                     completion_seconds_total=c.completion_seconds_total,
                     mean_response_seconds=None if mr is None else str(mr),
                     mean_completion_seconds=None if mc is None else str(mc))


def _order(session: SessionDep, order_id: int) -> WorkOrder:
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise not_found(f"work order {order_id}")
    return order


def _check_asset(session: SessionDep, asset_id: int | None, institution_id: int) -> None:
    if asset_id is not None:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.institution_id != institution_id:
            raise bad_request(f"asset {asset_id} is not in institution {institution_id}'s register")


def _create(session: SessionDep, order: WorkOrder) -> WorkOrderOut:
    session.add(order)
    session.commit()
    session.refresh(order)
    return WorkOrderOut.of(order)


@router.post("/organizations/{node_id}/work-orders", response_model=WorkOrderOut, status_code=201,
             summary="Raise a work order by hand")
def raise_order(node_id: NodeId, body: WorkOrderIn, user: CurrentUser, session: SessionDep,
                directory: DirectoryDep) -> WorkOrderOut:
    tree = directory.tree()
    require_in_scope(user, Action.MANAGE_WORK_ORDERS, node_id, tree)
    require_institution(tree, node_id)
    _check_asset(session, body.asset_id, node_id)
    raised = operations.stated_time(body.raised_at, 0, "raised")
    return _create(session, WorkOrder(institution_id=node_id, title=body.title, source="manual", asset_id=body.asset_id,
                                      state=operations.OPEN, raised_by=user.id, raised_at=raised))


@router.post("/organizations/{node_id}/alarms/{alarm_id}/work-orders", response_model=WorkOrderOut, status_code=201,
             summary="Raise a work order from an alarm (its response time counts from the alarm)")
def raise_from_alarm(node_id: NodeId, alarm_id: ResourceId, user: CurrentUser, session: SessionDep,
                     settings: SettingsDep, directory: DirectoryDep) -> WorkOrderOut:
    require_in_scope(user, Action.MANAGE_WORK_ORDERS, node_id, directory.tree())
    with alarm_store(settings, node_id) as store:
        alarm = store.get(alarm_id)
    existing = session.exec(select(WorkOrder).where(WorkOrder.institution_id == node_id,
                                                    WorkOrder.alarm_id == alarm_id)).first()
    if existing is not None:
        raise conflict(f"alarm {alarm_id} already has work order {existing.id}", {"work_order_id": existing.id})
    title = f"{alarm.kind.value} ({alarm.severity.value}): {alarm.detail}"[:200]
    return _create(session, WorkOrder(institution_id=node_id, title=title, source="alarm", alarm_id=alarm_id,
                                      state=operations.OPEN, raised_by=user.id, raised_at=alarm.raised_at))


@router.get("/organizations/{node_id}/work-orders", response_model=Page[WorkOrderOut],
            summary="Work orders of a node and everything below it")
def list_orders(node_id: NodeId, user: CurrentUser, session: SessionDep, directory: DirectoryDep,
                state: Annotated[str | None, Query(pattern="^(open|assigned|in_progress|completed)$")] = None,
                source: Annotated[str | None, Query(pattern="^(alarm|inspection|manual)$")] = None,
                assignee_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[WorkOrderOut]:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    where = [WorkOrder.institution_id.in_([n.node_id for n in tree.subtree(node_id)])]
    if state is not None:
        where.append(WorkOrder.state == state)
    if source is not None:
        where.append(WorkOrder.source == source)
    if assignee_id is not None:
        where.append(WorkOrder.assignee_id == assignee_id)
    total = session.exec(select(func.count()).select_from(WorkOrder).where(*where)).one()
    rows = session.exec(select(WorkOrder).where(*where).order_by(WorkOrder.id).offset(offset).limit(limit))
    return Page[WorkOrderOut](items=[WorkOrderOut.of(o) for o in rows], total=total, limit=limit, offset=offset)


@router.get("/work-orders/{order_id}", response_model=WorkOrderOut, summary="One work order")
def get_order(order_id: ResourceId, user: CurrentUser, session: SessionDep, directory: DirectoryDep) -> WorkOrderOut:
    order = _order(session, order_id)
    require_in_scope(user, Action.READ, order.institution_id, directory.tree())
    return WorkOrderOut.of(order)


@router.post("/work-orders/{order_id}/assign", response_model=WorkOrderOut, summary="Assign to an operator")
def assign(order_id: ResourceId, body: Assignment, user: CurrentUser, session: SessionDep,
           directory: DirectoryDep) -> WorkOrderOut:
    order = _order(session, order_id)
    tree = directory.tree()
    require_in_scope(user, Action.MANAGE_WORK_ORDERS, order.institution_id, tree)
    assignee = session.get(User, body.assignee_id)
    if assignee is None or assignee.org_id not in tree.nodes or not (
            tree.is_ancestor_or_self(assignee.org_id, order.institution_id)
            or tree.is_ancestor_or_self(order.institution_id, assignee.org_id)):
        raise bad_request(f"user {body.assignee_id} does not work at institution {order.institution_id}")
    return WorkOrderOut.of(operations.assign(session, order, assignee, body.at))


@router.post("/work-orders/{order_id}/respond", response_model=WorkOrderOut, summary="The assignee is on site")
def respond(order_id: ResourceId, body: ResponseIn, user: CurrentUser, session: SessionDep,
            directory: DirectoryDep) -> WorkOrderOut:
    order = _order(session, order_id)
    require_in_scope(user, Action.WORK_ON_ORDERS, order.institution_id, directory.tree())
    return WorkOrderOut.of(operations.respond(session, order, user, body.at))


@router.post("/work-orders/{order_id}/complete", response_model=WorkOrderOut, summary="The work is done")
def complete(order_id: ResourceId, body: Completion, user: CurrentUser, session: SessionDep,
             directory: DirectoryDep) -> WorkOrderOut:
    order = _order(session, order_id)
    require_in_scope(user, Action.WORK_ON_ORDERS, order.institution_id, directory.tree())
    return WorkOrderOut.of(operations.complete(session, order, user, body.resolution, body.at))


@router.get("/organizations/{node_id}/operations-figures", response_model=FiguresOut,
            summary="Mean response and completion times before and after a cut-over, and their reduction")
def figures(node_id: NodeId, user: CurrentUser, session: SessionDep, directory: DirectoryDep,
            cutover: Annotated[int, Query(ge=0, le=2**31 - 1, description="When managed operations began (Unix s).")]
            ) -> FiguresOut:
    """The seed's claims: response time −60 % or more, completion time −50 % or more."""
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    f = operations.operations_figures(session, [n.node_id for n in tree.subtree(node_id)], cutover)
    rr, cr = f.response_reduction_pct, f.completion_reduction_pct
    return FiguresOut(
        cutover=cutover, before=_cohort(f.before), after=_cohort(f.after),
        response_reduction_pct=None if rr is None else str(rr), completion_reduction_pct=None if cr is None else str(cr),
        seed_claim={"response_reduction_pct": str(operations.SEED_RESPONSE_REDUCTION_PCT),
                    "completion_reduction_pct": str(operations.SEED_COMPLETION_REDUCTION_PCT)},
        meets_seed_claim={"response": None if rr is None else rr >= operations.SEED_RESPONSE_REDUCTION_PCT,
                          "completion": None if cr is None else cr >= operations.SEED_COMPLETION_REDUCTION_PCT})
