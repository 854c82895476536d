"""Which institutions and nodes a supervision query covers, and how their ids reach SQL.

A region's subtree may hold thousands of institutions: a few ids go into an IN list, many are filtered
in Python over the rows the other conditions select (FEW).
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, select

from api.services.organizations import OrgTree
from ledger.chain.codes import NodeKind

FEW = 64  # ids up to this many go into an IN list; more are filtered here (a long IN list costs more to
# compile than reading the rows of a node's whole subtree)


def among(column, ids: list[int]) -> list:  # noqa: ANN001
    """[column IN ids] for a few ids, [] for many: the caller then keeps only rows whose id is wanted."""
    return [column.in_(ids)] if len(ids) <= FEW else []


def rows_among(session: Session, model, column, ids: list[int]) -> list:  # noqa: ANN001
    """The rows of `model` whose `column` is one of `ids`, by `among`'s rule."""
    wanted = set(ids)
    rows = session.exec(select(model).where(*among(column, ids))).all()
    return [r for r in rows if getattr(r, column.key) in wanted]


def subtree_ids(tree: OrgTree, root_id: int) -> list[int]:
    """`root_id` and every node below it (depth first)."""
    children: dict[int, list[int]] = defaultdict(list)
    for node in tree.nodes.values():
        children[node.parent_id].append(node.node_id)
    out, frontier = [], [root_id]
    while frontier:
        current = frontier.pop()
        out.append(current)
        frontier.extend(children.get(current, ()))
    return out


def institutions_under(tree: OrgTree, node_id: int) -> list[int]:
    """Institutions at or under `node_id`, in id order; for a building or room, the institution above it."""
    node = tree.get(node_id)
    if node.kind in (NodeKind.BUILDING, NodeKind.ROOM):
        return [n.node_id for n in tree.path(node_id) if n.kind == NodeKind.INSTITUTION]
    return sorted(i for i in subtree_ids(tree, node_id) if tree.nodes[i].kind == NodeKind.INSTITUTION)

