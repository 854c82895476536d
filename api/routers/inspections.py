"""Patrol inspections (巡检): each records an outcome; a defect raises a work order at once."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import func, select

from api.deps import (CurrentUser, DirectoryDep, NodeId, SessionDep, bad_request, require_in_scope,
                      require_institution)
from api.errors import ERROR_RESPONSES
from api.models import Asset, Inspection, WorkOrder
from api.permissions import Action
from api.schemas.common import Id, LimitQuery, OffsetQuery, Page, Text, Timestamp
from api.services import operations

router = APIRouter(tags=["inspections"], responses=ERROR_RESPONSES)


class InspectionIn(BaseModel):
    asset_id: Id | None = None
    outcome: Literal["ok", "defect"] = Field(examples=["defect"])
    notes: Text = Field("", examples=["flush valve runs on, toilet 5-2F"])
    at: Timestamp | None = Field(None, description="When it was performed; default now.")


class InspectionOut(BaseModel):
    id: int
    institution_id: int
    asset_id: int | None
    inspector_id: int
    performed_at: int
    outcome: str
    notes: str
    work_order_id: int | None = Field(description="The work order a defect raised.")


@router.post("/organizations/{node_id}/inspections", response_model=InspectionOut, status_code=201,
             summary="Record an inspection (a defect raises a work order)")
def record(node_id: NodeId, body: InspectionIn, user: CurrentUser, session: SessionDep,
           directory: DirectoryDep) -> InspectionOut:
    tree = directory.tree()
    require_in_scope(user, Action.INSPECT, node_id, tree)
    require_institution(tree, node_id)
    if body.asset_id is not None:
        asset = session.get(Asset, body.asset_id)
        if asset is None or asset.institution_id != node_id:
            raise bad_request(f"asset {body.asset_id} is not in institution {node_id}'s register")
    performed = operations.stated_time(body.at, 0, "inspection")
    inspection = Inspection(institution_id=node_id, asset_id=body.asset_id, inspector_id=user.id,
                            performed_at=performed, outcome=body.outcome, notes=body.notes)
    session.add(inspection)
    session.flush()
    if body.outcome == "defect":
        order = WorkOrder(institution_id=node_id, title=f"Inspection defect: {body.notes}"[:200] or "Inspection defect",
                          source="inspection", inspection_id=inspection.id, asset_id=body.asset_id,
                          state=operations.OPEN, raised_by=user.id, raised_at=performed)
        session.add(order)
        session.flush()
        inspection.work_order_id = order.id
        session.add(inspection)
    session.commit()
    session.refresh(inspection)
    return InspectionOut.model_validate(inspection.model_dump())


@router.get("/organizations/{node_id}/inspections", response_model=Page[InspectionOut], summary="Inspections, filtered")
def list_inspections(node_id: NodeId, user: CurrentUser, session: SessionDep, directory: DirectoryDep,
                     outcome: Annotated[Literal["ok", "defect"] | None, Query()] = None,
                     asset_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                     limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[InspectionOut]:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    where = [Inspection.institution_id == node_id]
    if outcome is not None:
        where.append(Inspection.outcome == outcome)
    if asset_id is not None:
        where.append(Inspection.asset_id == asset_id)
    total = session.exec(select(func.count()).select_from(Inspection).where(*where)).one()
    rows = session.exec(select(Inspection).where(*where).order_by(Inspection.id).offset(offset).limit(limit))
    return Page[InspectionOut](items=[InspectionOut.model_validate(i.model_dump()) for i in rows], total=total,
                               limit=limit, offset=offset)
