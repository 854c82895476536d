"""The organisation tree as the chain holds it, within the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CurrentUser, DirectoryDep, NodeId, require, require_in_scope
from api.errors import ERROR_RESPONSES
from api.models import Role
from api.permissions import UNSCOPED_READERS, Action
from api.schemas.common import LimitQuery, OffsetQuery, Page
from ledger.chain.clients import OrgNode
from ledger.chain.codes import NodeKind

router = APIRouter(prefix="/organizations", tags=["organisations"], responses=ERROR_RESPONSES)
KindQuery = Annotated[str | None, Query(description="Only nodes of this kind.",
                                        pattern="^(region|institution|park|building|floor|room)$")]


class OrgNodeOut(BaseModel):
    node_id: int = Field(examples=[4])
    parent_id: int = Field(examples=[3], description="0 for a root.")
    kind: str = Field(examples=["institution"])
    depth: int = Field(examples=[3])
    name: str = Field(examples=["Xihuamen office compound"])

    @classmethod
    def of(cls, node: OrgNode) -> "OrgNodeOut":
        return cls(node_id=node.node_id, parent_id=node.parent_id, kind=node.kind.name.lower(), depth=node.depth,
                   name=node.name)


class OrgNodeDetail(OrgNodeOut):
    path: list[OrgNodeOut] = Field(description="From the root down to this node.")
    children: list[OrgNodeOut]


def _page(nodes: list[OrgNode], kind: str | None, limit: int, offset: int) -> Page[OrgNodeOut]:
    if kind is not None:
        nodes = [n for n in nodes if n.kind == NodeKind[kind.upper()]]
    return Page[OrgNodeOut](items=[OrgNodeOut.of(n) for n in nodes[offset:offset + limit]], total=len(nodes),
                            limit=limit, offset=offset)


@router.get("", response_model=Page[OrgNodeOut], summary="Every node you may see")
def list_nodes(user: CurrentUser, directory: DirectoryDep, kind: KindQuery = None, limit: LimitQuery = 100,
               offset: OffsetQuery = 0) -> Page[OrgNodeOut]:
    """The whole tree for an auditor; your own subtree otherwise (parents before children)."""
    require(user, Action.READ)
    tree = directory.tree()
    if Role(user.role) in UNSCOPED_READERS:
        nodes = [tree.nodes[i] for i in sorted(tree.nodes)]
    elif user.org_id is not None and user.org_id in tree.nodes:
        nodes = tree.subtree(user.org_id)
    else:
        nodes = []
    return _page(nodes, kind, limit, offset)


@router.get("/{node_id}", response_model=OrgNodeDetail, summary="One node, its path and children")
def get_node(node_id: NodeId, user: CurrentUser, directory: DirectoryDep) -> OrgNodeDetail:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    node = tree.get(node_id)
    return OrgNodeDetail(**OrgNodeOut.of(node).model_dump(), path=[OrgNodeOut.of(n) for n in tree.path(node_id)],
                         children=[OrgNodeOut.of(n) for n in sorted(tree.children(node_id), key=lambda n: n.node_id)])


@router.get("/{node_id}/subtree", response_model=Page[OrgNodeOut], summary="A node and everything below it")
def subtree(node_id: NodeId, user: CurrentUser, directory: DirectoryDep, kind: KindQuery = None,
            limit: LimitQuery = 100, offset: OffsetQuery = 0) -> Page[OrgNodeOut]:
    tree = directory.tree()
    require_in_scope(user, Action.READ, node_id, tree)
    return _page(tree.subtree(node_id), kind, limit, offset)
