"""The organisation tree (province → city → district → institution → building → room) and scope checks.

Once the indexer has indexed this chain the tree comes from its idx_org_nodes table (cached per indexed
block); before that from OrganizationRegistry (cached per chain head, so a request costs one
`eth_blockNumber` while nothing changes). Scope follows the chain's own ancestry rule
(`isAncestorOrSelf` semantics), evaluated on the cached tree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.errors import not_found
from api.services.batch_index import index_serves
from api.services.chain import ChainAccess
from ledger.chain.clients import OrgNode
from ledger.chain.codes import NodeKind
from ledger.indexer.models import Cursor
from ledger.indexer.models import OrgNode as IndexedNode


@dataclass(frozen=True)
class OrgTree:
    block: int
    nodes: dict[int, OrgNode]

    def get(self, node_id: int) -> OrgNode:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise not_found(f"organisation node {node_id}") from None

    def children(self, node_id: int) -> list[OrgNode]:
        return [n for n in self.nodes.values() if n.parent_id == node_id]

    def is_ancestor_or_self(self, ancestor_id: int, node_id: int) -> bool:
        seen = 0
        while node_id and seen <= len(self.nodes):
            if node_id == ancestor_id:
                return True
            node = self.nodes.get(node_id)
            node_id = node.parent_id if node else 0
            seen += 1
        return False

    def subtree(self, root_id: int) -> list[OrgNode]:
        """`root_id` and every node below it, parents before children."""
        self.get(root_id)
        out, frontier = [], [root_id]
        while frontier:
            current = frontier.pop(0)
            out.append(self.nodes[current])
            frontier.extend(sorted(n.node_id for n in self.children(current)))
        return out

    def path(self, node_id: int) -> list[OrgNode]:
        """From the root down to `node_id`."""
        out = []
        while node_id:
            node = self.get(node_id)
            out.append(node)
            node_id = node.parent_id
        return out[::-1]


class OrganizationDirectory:
    def __init__(self, chain: ChainAccess, engine: Engine) -> None:
        self.chain, self.engine = chain, engine
        self._trees: dict[str, OrgTree] = {}
        self._lock = threading.Lock()

    def tree(self) -> OrgTree:
        if index_serves(self.engine, self.chain.chain.chain_id):
            return self._cached("index", self._indexed_block(), self._from_index)
        return self._cached("chain", self.chain.chain.w3.eth.block_number, self._from_chain)

    def _cached(self, source: str, block: int, load) -> OrgTree:  # noqa: ANN001
        with self._lock:
            tree = self._trees.get(source)
            if tree is not None and tree.block == block:
                return tree
        tree = OrgTree(block, load())
        with self._lock:
            self._trees[source] = tree
        return tree

    def _indexed_block(self) -> int:
        with Session(self.engine) as session:
            return session.get(Cursor, 1).block_number

    def _from_index(self) -> dict[int, OrgNode]:
        with Session(self.engine) as session:
            rows = session.exec(select(IndexedNode)).all()
        return {r.node_id: OrgNode(r.node_id, r.parent_id, NodeKind(r.kind), r.depth, r.name) for r in rows}

    def _from_chain(self) -> dict[int, OrgNode]:
        orgs = self.chain.contracts.organizations
        return {i: orgs.node(i) for i in range(1, orgs.node_count() + 1)}
