"""The asset register (设备资产): meters, collectors, controllers, air-conditioners, lights… with ratings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import func, select

from api.deps import (CurrentUser, DirectoryDep, NodeId, ResourceId, SessionDep, require_in_scope,
                      require_institution)
from api.errors import ERROR_RESPONSES, not_found
from api.models import Asset
from api.permissions import Action
from api.schemas.common import DecimalText, FilterText, Hex32, LimitQuery, OffsetQuery, Page, ShortText, Text

router = APIRouter(tags=["assets"], responses=ERROR_RESPONSES)
AssetKind = Literal["meter", "collector", "controller", "air_conditioner", "light", "elevator", "water_fixture",
                    "pv_inverter", "smart_socket"]


class AssetIn(BaseModel):
    kind: AssetKind = Field(examples=["air_conditioner"])
    name: ShortText = Field(examples=["Split air-conditioners, building 1"])
    location: Text = Field("", examples=["Building 1"])
    device_id: Hex32 | None = Field(None, description="DeviceRegistry id, for assets that sign readings.")
    quantity: int = Field(1, ge=1, le=1_000_000, examples=[717])
    rated_power_w: int | None = Field(None, ge=0, le=10**9, examples=[735])
    cooling_capacity_hp: DecimalText | None = Field(None, description="Per unit, in P (匹).", examples=["1"])
    efficiency_grade: int | None = Field(None, ge=1, le=5, description="China energy label, 1 best.", examples=[1])
    installed_on: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(None, examples=["2022-06-30"])
    status: Literal["in_service", "standby", "faulty", "retired"] = "in_service"


class AssetOut(AssetIn):
    id: int
    institution_id: int


class AssetSummary(BaseModel):
    kind: str
    items: int = Field(description="Register entries.")
    units: int = Field(description="Sum of quantities.")
    rated_power_kw: str = Field(description="Sum of quantity × rated power.", examples=["527.0"])
    cooling_capacity_hp: str = Field(description="Sum of quantity × capacity (air-conditioners).", examples=["717"])


@router.post("/organizations/{node_id}/assets", response_model=AssetOut, status_code=201, summary="Register an asset")
def add_asset(node_id: NodeId, body: AssetIn, user: CurrentUser, session: SessionDep,
              directory: DirectoryDep) -> AssetOut:
    tree = directory.tree()
    require_in_scope(user, Action.MANAGE_ASSETS, node_id, tree)
    require_institution(tree, node_id)
    asset = Asset(institution_id=node_id, **body.model_dump())
    session.add(asset)
    session.commit()
    session.refresh(asset)
    return AssetOut.model_validate(asset.model_dump())


@router.get("/organizations/{node_id}/assets", response_model=Page[AssetOut], summary="The register, filtered")
def list_assets(node_id: NodeId, user: CurrentUser, session: SessionDep, directory: DirectoryDep,
                kind: Annotated[AssetKind | None, Query()] = None, status: FilterText = None,
                q: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$",
                                               description="Substring of the name or location.")] = None,
                limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[AssetOut]:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    where = [Asset.institution_id == node_id]
    if kind is not None:
        where.append(Asset.kind == kind)
    if status is not None:
        where.append(Asset.status == status)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(Asset.name.like(pattern, escape="\\") | Asset.location.like(pattern, escape="\\"))
    total = session.exec(select(func.count()).select_from(Asset).where(*where)).one()
    rows = session.exec(select(Asset).where(*where).order_by(Asset.id).offset(offset).limit(limit))
    return Page[AssetOut](items=[AssetOut.model_validate(a.model_dump()) for a in rows], total=total, limit=limit,
                          offset=offset)


@router.get("/organizations/{node_id}/assets/summary", response_model=list[AssetSummary],
            summary="Units and rated capacity by kind")
def summary(node_id: NodeId, user: CurrentUser, session: SessionDep, directory: DirectoryDep) -> list[AssetSummary]:
    require_in_scope(user, Action.READ, node_id, directory.tree())
    by_kind: dict[str, list[Asset]] = {}
    for asset in session.exec(select(Asset).where(Asset.institution_id == node_id, Asset.status != "retired")):
        by_kind.setdefault(asset.kind, []).append(asset)
    return [AssetSummary(kind=kind, items=len(items), units=sum(a.quantity for a in items),
                         rated_power_kw=str(sum((Decimal(a.quantity * (a.rated_power_w or 0)) / 1000 for a in items),
                                                Decimal(0))),
                         cooling_capacity_hp=str(sum((a.quantity * Decimal(a.cooling_capacity_hp or 0) for a in items),
                                                     Decimal(0))))
            for kind, items in sorted(by_kind.items())]


@router.get("/assets/{asset_id}", response_model=AssetOut, summary="One asset")
def get_asset(asset_id: ResourceId, user: CurrentUser, session: SessionDep, directory: DirectoryDep) -> AssetOut:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise not_found(f"asset {asset_id}")
    require_in_scope(user, Action.READ, asset.institution_id, directory.tree())
    return AssetOut.model_validate(asset.model_dump())
