"""JSON for the dashboards under /api/dashboard: the institution's big screen and the regulator's screen.

Thin routes over api/explorer/dashboard_metrics.py (which calls the ledger's accounting code). They read
the indexer's tables when an index is configured and current for the institution (api/explorer/dashboard_index.py),
else the chain and evidence directly, so they work before the indexer and the API's own endpoints exist; both give
the same figures, and each body's `source` says which answered.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi import APIRouter

from api.explorer.chain_view import NotFound
from api.explorer.certification_view import institution_certifications, institution_retirements
from api.explorer.context import Explorer, ExplorerDep
from api.explorer.dashboard_index import index_engine
from api.explorer.dashboard_metrics import ReadingsCache
from ledger.chain.clients import LedgerContracts, NodeKind, OrgNode
from ledger.config import oracle_folder
from oracles.alarms import AlarmStore


def dashboard_router(cache: ReadingsCache) -> APIRouter:
    router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])

    @router.get("/nodes", summary="Every organisation node (regions and institutions), for the dashboards' index")
    def nodes(x: ExplorerDep) -> list[dict]:
        return [_node_json(n) for n in _nodes(x.contracts).values()]

    @router.get("/institution/{institution_id}", summary="The institution's big screen")
    def institution(institution_id: int, x: ExplorerDep) -> dict:
        _node(x.contracts, institution_id)
        figures = cache.figures(x.contracts, x.evidence, institution_id, index_engine(x.settings))
        certifications = institution_certifications(x.contracts, institution_id)
        claims = {bytes.fromhex(c["claim_id"][2:]) for c in certifications or []}
        return {**figures, "alarms": _alarms(x.settings.data_dir, institution_id),
                "results": _results(x.contracts, institution_id), "certifications": certifications,
                "retirements": institution_retirements(x.contracts, institution_id, claims)}

    @router.get("/region/{region_id}", summary="The regulator's screen: institutions under a region, ranked")
    def region(region_id: int, x: ExplorerDep) -> dict:
        nodes = _nodes(x.contracts)
        if region_id not in nodes:
            raise NotFound(f"no organisation node {region_id}")
        subtree = _subtree(nodes, region_id)
        institutions = []
        index = index_engine(x.settings)
        for node in subtree:
            if node.kind != NodeKind.INSTITUTION:
                continue
            entry: dict[str, object] = {"id": node.node_id, "name": node.name, "parent_id": node.parent_id}
            try:
                summary = cache.figures(x.contracts, x.evidence, node.node_id, index)
                entry.update(as_of=summary["as_of"], year=summary["periods"]["year"], month=summary["periods"]["month"],
                             intensity=summary["intensity"], alarms=len(_alarms(x.settings.data_dir, node.node_id)),
                             source=summary["source"], index_block=summary["index_block"])
            except NotFound as exc:
                entry.update(problem=str(exc))
            institutions.append(entry)
        ranked = sorted(institutions, key=_ranking_key, reverse=True)
        for rank, entry in enumerate(ranked, 1):
            entry["rank"] = rank
        return {"kind": "zcl.dashboard.region/1", "region": _node_json(nodes[region_id]),
                "tree": _tree(nodes, region_id), "institutions": ranked}

    return router


def _ranking_key(entry: dict) -> tuple[int, object]:
    """Largest emitter first; institutions without figures last."""
    value = (entry.get("year") or {}).get("kgco2e")
    return (0, Decimal(0)) if value is None else (1, Decimal(value))


def _node(contracts: LedgerContracts, node_id: int) -> OrgNode:
    if not 1 <= node_id <= contracts.organizations.node_count():
        raise NotFound(f"no organisation node {node_id}")
    return contracts.organizations.node(node_id)


def _nodes(contracts: LedgerContracts) -> dict[int, OrgNode]:
    orgs = contracts.organizations
    return {i: orgs.node(i) for i in range(1, orgs.node_count() + 1)}


def _subtree(nodes: dict[int, OrgNode], root: int) -> list[OrgNode]:
    children: dict[int, list[int]] = {}
    for node in nodes.values():
        children.setdefault(node.parent_id, []).append(node.node_id)
    out, stack = [], [root]
    while stack:
        current = stack.pop()
        out.append(nodes[current])
        stack.extend(sorted(children.get(current, []), reverse=True))
    return out


def _tree(nodes: dict[int, OrgNode], root: int) -> dict[str, object]:
    children = [n for n in nodes.values() if n.parent_id == root and n.node_id != root]
    return {**_node_json(nodes[root]), "children": [_tree(nodes, c.node_id) for c in children]}


def _node_json(node: OrgNode) -> dict[str, object]:
    return {"id": node.node_id, "name": node.name, "kind": node.kind.name.lower(), "parent_id": node.parent_id}


def _alarms(data_dir: Path, institution_id: int) -> list[dict[str, object]]:
    """Open alarms from the institution's oracle spool (the oracle raises them); none when no oracle ran here."""
    spool = oracle_folder(data_dir, institution_id) / "spool.sqlite"
    if not spool.exists():
        return []
    store = AlarmStore.open(spool)
    try:
        return [a.to_json(institution_id) for a in store.list()]
    finally:
        store.db.close()


def _results(contracts: LedgerContracts, institution_id: int) -> list[dict[str, object]]:
    out = []
    for s in contracts.accounting.submitted_results(institution_id=institution_id):
        record = contracts.accounting.result(s.result_id)
        out.append({"result_id": s.result_id, "kind": record.kind.name.lower(), "status": record.status.name.lower(),
                    "period_start": record.period_start, "period_end": record.period_end,
                    "gco2e": record.scope1 + record.scope2 + record.scope3, "verifier": record.verifier,
                    "explorer": f"/explorer/result/{s.result_id}"})
    return out


def warm_dashboards(explorer: Explorer, cache: ReadingsCache) -> list[int]:
    """Compute every institution's figures now (a year takes tens of seconds), so the first viewer waits for
    nothing; returns the institutions warmed. Meant for a background thread at start-up (e.g. `make demo`)."""
    warmed = []
    index = index_engine(explorer.settings)
    for node in _nodes(explorer.contracts).values():
        if node.kind == NodeKind.INSTITUTION:
            try:
                cache.figures(explorer.contracts, explorer.evidence, node.node_id, index)
                warmed.append(node.node_id)
            except NotFound:
                continue
    return warmed
