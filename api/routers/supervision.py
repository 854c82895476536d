"""Multi-level supervision: a regulator's institutions aggregated and ranked, drill-down, institution profiles.

Served from the indexer's tables only (header `X-Served-From: index`): aggregating a province's institutions
from the chain and the evidence would take minutes. Until the indexer has indexed this chain the answer is
409 `index_not_ready`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import CurrentUser, DirectoryDep, EngineDep, NodeId, SettingsDep, require_in_scope, require_institution
from api.errors import ERROR_RESPONSES, ApiError
from api.permissions import Action
from api.schemas.common import DecimalText, LimitQuery, OffsetQuery
from api.services import supervision as service
from api.services import supervision_profiles as profiles
from api.services.batch_index import index_serves
from api.services.organizations import OrgTree
from api.services.supervision_scope import institutions_under
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.accounting.quantities import canonical_decimal
from ledger.chain.codes import NodeKind

router = APIRouter(prefix="/supervision", tags=["supervision"], responses=ERROR_RESPONSES)

YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="Calendar year (China Standard Time); "
                                        "default the current one.", examples=[2022])]


class FiguresOut(BaseModel):
    """A node's year. kg figures are decimal strings; null when there is nothing to compute them from."""

    node_id: int = Field(examples=[4])
    name: str = Field(examples=["Xihuamen office compound"])
    kind: str = Field(examples=["institution"])
    parent_id: int
    institutions: int = Field(description="Institutions the figures cover (1 for an institution, 0 for a building).")
    activity: dict[str, dict] = Field(examples=[{"electricity.grid": {"value": "1234.5", "unit": "kWh"}}])
    emissions_kgco2e: str | None = Field(examples=["1040.123"])
    emissions_source: str | None = Field(description="final_results where the year has final Emissions results, "
                                         "else metered (the engine over idx_daily_usage)", examples=["metered"])
    metered_kgco2e: str | None
    reported_kgco2e: str | None
    reported_results: int
    baseline_kgco2e: str | None
    people: int | None = Field(examples=[3835])
    floor_area_m2: str | None = Field(examples=["93823.09"])
    intensity_kgco2e_per_person: str | None
    intensity_kgco2e_per_m2: str | None
    reduction_vs_baseline: str | None = Field(description="(baseline − year) ÷ baseline", examples=["0.1250"])
    certification: dict | None = Field(examples=[{"status": "certified", "level": 2, "valid_until": 1767225600}])
    open_alarms: int
    problems: list[str]


class RankedOut(FiguresOut):
    rank: int = Field(examples=[1])


class SupervisionPage(BaseModel):
    """The node's aggregate and a page of its institutions, ranked."""

    year: int
    node: FiguresOut
    ranked_by: str
    items: list[RankedOut]
    total: int
    limit: int
    offset: int


class DrillDown(BaseModel):
    """A node and its children, each aggregated: regions over their institutions, institutions, buildings."""

    year: int
    node: FiguresOut
    path: list[dict] = Field(description="From the root down to the node: the way back up.")
    children: list[FiguresOut]


class ProfileIn(BaseModel):
    people: int = Field(ge=1, le=10_000_000, examples=[3835])
    floor_area_m2: DecimalText = Field(examples=["93823.09"])
    baseline_year: int | None = Field(None, ge=2000, le=2100, examples=[2021])


class ProfileOut(ProfileIn):
    institution_id: int
    source: str = Field(description="institution (edited by its admin) or seed (the seed document's figures)")


class DashboardOut(BaseModel):
    year: int
    figures: FiguresOut
    months: list[dict] = Field(description="Per month: metered activity and the engine's emissions.")
    days: list[dict] = Field(description="Per day: metered activity (dashboard figures, not figures of record).")


def _indexed_tree(engine, directory, response: Response) -> OrgTree:  # noqa: ANN001
    if not index_serves(engine, directory.chain.chain.chain_id):
        raise ApiError(409, "index_not_ready", "supervision reads the index: run `zcl index` for this chain first")
    response.headers["X-Served-From"] = "index"
    return directory.tree()


def _year(year: int | None) -> int:
    return year or datetime.now(CHINA_STANDARD_TIME).year


@router.get("/{node_id}/institutions", response_model=SupervisionPage,
            summary="Every institution under a node, aggregated and ranked")
def ranked_institutions(node_id: NodeId, user: CurrentUser, settings: SettingsDep, engine: EngineDep,
                        directory: DirectoryDep, response: Response, year: YearQuery = None,
                        rank_by: Annotated[Literal["emissions", "intensity_per_person", "intensity_per_m2", "reduction"],
                                           Query(description="What the rank orders by.")] = "intensity_per_m2",
                        order: Annotated[Literal["desc", "asc"], Query(description="desc: largest first")] = "desc",
                        certification: Annotated[str | None, Query(pattern="^[a-z]{1,16}$",
                                                                   examples=["certified"])] = None,
                        limit: LimitQuery = 100, offset: OffsetQuery = 0) -> SupervisionPage:
    tree = _indexed_tree(engine, directory, response)
    require_in_scope(user, Action.READ, node_id, tree)
    year = _year(year)
    figures = service.institution_figures(engine, settings, tree, institutions_under(tree, node_id), year)
    members = list(figures.values())
    node = tree.get(node_id)
    total = service.aggregate(node.name, node_id, node.kind.name.lower(), node.parent_id, members)
    if certification is not None:
        members = [f for f in members if (f.certification or {}).get("status") == certification]
    ranked = service.rank(members, rank_by, order == "desc")
    return SupervisionPage(year=year, node=FiguresOut(**total.to_json()), ranked_by=rank_by,
                           items=[RankedOut(rank=r, **f.to_json()) for r, f in ranked[offset:offset + limit]],
                           total=len(ranked), limit=limit, offset=offset)


@router.get("/{node_id}/drilldown", response_model=DrillDown,
            summary="A node's children aggregated: region → child regions → institutions → buildings")
def drill_down(node_id: NodeId, user: CurrentUser, settings: SettingsDep, engine: EngineDep, directory: DirectoryDep,
               response: Response, year: YearQuery = None) -> DrillDown:
    tree = _indexed_tree(engine, directory, response)
    require_in_scope(user, Action.READ, node_id, tree)
    year = _year(year)
    node = tree.get(node_id)
    children = sorted(tree.children(node_id), key=lambda n: n.node_id)
    if node.kind == NodeKind.REGION:
        figures = service.institution_figures(engine, settings, tree, institutions_under(tree, node_id), year)
        own = service.aggregate(node.name, node_id, "region", node.parent_id, figures.values())
        out = []
        for child in children:
            if child.kind == NodeKind.INSTITUTION:
                out.append(figures[child.node_id])
            else:
                members = [figures[i] for i in institutions_under(tree, child.node_id)]
                out.append(service.aggregate(child.name, child.node_id, child.kind.name.lower(), node_id, members))
    elif node.kind == NodeKind.INSTITUTION:
        own = service.institution_figures(engine, settings, tree, [node_id], year)[node_id]
        out = [service.building_figures(engine, tree, c.node_id, year) for c in children]
    else:
        own = service.building_figures(engine, tree, node_id, year)
        out = [service.building_figures(engine, tree, c.node_id, year) for c in children]
    path = [{"node_id": n.node_id, "name": n.name, "kind": n.kind.name.lower()} for n in tree.path(node_id)]
    return DrillDown(year=year, node=FiguresOut(**own.to_json()), path=path,
                     children=[FiguresOut(**f.to_json()) for f in out])


@router.get("/{node_id}/dashboard", response_model=DashboardOut,
            summary="An institution's year from the index: totals, months (with emissions) and days")
def institution_dashboard(node_id: NodeId, user: CurrentUser, settings: SettingsDep, engine: EngineDep,
                          directory: DirectoryDep, response: Response, year: YearQuery = None) -> DashboardOut:
    tree = _indexed_tree(engine, directory, response)
    require_in_scope(user, Action.READ, node_id, tree)
    require_institution(tree, node_id)
    year = _year(year)
    figures, months, days = service.institution_dashboard(engine, settings, tree, node_id, year)
    return DashboardOut(year=year, figures=FiguresOut(**figures.to_json()), months=months, days=days)


@router.get("/{node_id}/profile", response_model=ProfileOut, summary="People, floor area and baseline year")
def get_profile(node_id: NodeId, user: CurrentUser, engine: EngineDep, directory: DirectoryDep) -> ProfileOut:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    require_institution(tree, node_id)
    with Session(engine) as session:
        profile = profiles.profiles(session, tree, [node_id]).get(node_id)
    if profile is None:
        raise ApiError(404, "not_found", f"no profile for institution {node_id}: its admin has not recorded one")
    return _profile_out(node_id, profile)


@router.put("/{node_id}/profile", response_model=ProfileOut, summary="Record people, floor area and baseline year "
            "(the institution's admin)")
def put_profile(node_id: NodeId, body: ProfileIn, user: CurrentUser, engine: EngineDep,
                directory: DirectoryDep) -> ProfileOut:
    tree = directory.tree()
    require_in_scope(user, Action.EDIT_PROFILE, node_id, tree)
    require_institution(tree, node_id)
    area = Decimal(body.floor_area_m2)
    if area <= 0:
        raise ApiError(422, "invalid_input", f"floor_area_m2 must be positive, got {body.floor_area_m2}")
    profile = profiles.save_profile(engine, node_id, body.people, area, body.baseline_year, user.id)
    return _profile_out(node_id, profile)


def _profile_out(node_id: int, profile: profiles.Profile) -> ProfileOut:
    return ProfileOut(institution_id=node_id, people=profile.people,
                      floor_area_m2=canonical_decimal(profile.floor_area_m2),
                      baseline_year=profile.baseline_year, source=profile.source)
