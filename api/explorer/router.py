"""The auditor's explorer: HTML pages under /explorer and the metadata standard explorers need under /explorer/api.

Routes stay thin: each reads through api/explorer/*_view.py, which call ledger/ (clients, compiler,
evidence, merkle). Errors map once: NotFound → 404, BadProofRequest → 422, ExplorerUnavailable → 503,
each with the reason, in the service's one error body (api/errors.py) for JSON and as a page otherwise.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from api.errors import error_response
from api.errors import install_error_handlers as install_api_error_handlers
from api.explorer.batch_view import BadProofRequest, batch_view, check_reading, parse_root
from api.explorer.chain_view import (NotFound, ProjectContracts, address_detail, block_detail, latest_blocks,
                                     transaction_detail)
from api.explorer.context import ExplorerDep, ExplorerUnavailable
from api.explorer.contract_source import check_contract, contract_metadata
from api.explorer.result_view import result_view
from ledger.chain.codes import ResultStatus
from ledger.chain.compiler import DEPLOYABLE, standard_json_input
from ledger.chain.deployment import standard_input_digest
from ledger.evidence import EvidenceError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
TEMPLATES.env.filters["utc"] = lambda ts: datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
TEMPLATES.env.filters["hex"] = lambda b: "0x" + bytes(b).hex()
TEMPLATES.env.filters["short"] = lambda s: s if len(str(s)) <= 18 else f"{str(s)[:10]}…{str(s)[-6:]}"
RECENT_BATCHES = 20


class VerifyRequest(BaseModel):
    """The batch page's verify form: which reading, and the value to check (edited or not)."""

    index: int = Field(ge=0)
    value: str | None = Field(None, max_length=64, description="Decimal value; omitted means the evidence's own.")


def explorer_router() -> APIRouter:
    router = APIRouter(prefix="/explorer", tags=["explorer"])

    def page(request: Request, template: str, **values: object) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, f"explorer/{template}", values)

    @router.get("", response_class=HTMLResponse, summary="Latest blocks, contracts, batches and results")
    def home(request: Request, x: ExplorerDep) -> HTMLResponse:
        batches = x.contracts.attestations.anchored_batches()[-RECENT_BATCHES:][::-1]
        results = [(s, x.contracts.accounting.result(s.result_id).status.name.lower())
                   for s in x.contracts.accounting.submitted_results()]
        return page(request, "home.html", blocks=latest_blocks(x.chain.w3), deployment=x.deployment,
                    batches=batches, results=results[::-1])

    @router.get("/block/{block_id}", response_class=HTMLResponse)
    def block(request: Request, block_id: str, x: ExplorerDep) -> HTMLResponse:
        summary, transactions, header = block_detail(x.chain.w3, block_id)
        return page(request, "block.html", block=summary, transactions=transactions, header=header)

    @router.get("/tx/{tx_hash}", response_class=HTMLResponse)
    def transaction(request: Request, tx_hash: str, x: ExplorerDep) -> HTMLResponse:
        view = transaction_detail(x.chain.w3, ProjectContracts(x.chain.w3, x.deployment), tx_hash)
        return page(request, "transaction.html", tx=view)

    @router.get("/address/{address}", response_class=HTMLResponse)
    def address(request: Request, address: str, x: ExplorerDep) -> HTMLResponse:
        view = address_detail(x.chain.w3, ProjectContracts(x.chain.w3, x.deployment), address)
        return page(request, "address.html", view=view)

    @router.get("/contract/{name}", response_class=HTMLResponse, summary="Source, compiler metadata, bytecode check")
    def contract(request: Request, name: str, x: ExplorerDep, fresh: bool = False) -> HTMLResponse:
        check = check_contract(x.chain.w3, x.deployment, _deployable(name), fresh=fresh)
        return page(request, "contract.html", check=check, settings_json=json.dumps(check.settings, indent=2))

    @router.get("/batch/{root}", response_class=HTMLResponse)
    def batch(request: Request, root: str, x: ExplorerDep, page_number: int = 1) -> HTMLResponse:
        view = batch_view(x.contracts, x.evidence, parse_root(root), page_number)
        return page(request, "batch.html", view=view)

    @router.post("/api/batch/{root}/verify", summary="Check a reading's Merkle proof against the on-chain root")
    def verify(root: str, body: VerifyRequest, x: ExplorerDep) -> dict:
        check = check_reading(x.contracts, x.evidence, parse_root(root), body.index, body.value)
        return {**asdict(check), "valid": check.valid}

    @router.get("/result/{result_id}", response_class=HTMLResponse)
    def result(request: Request, result_id: int, x: ExplorerDep) -> HTMLResponse:
        view = result_view(x.contracts, x.evidence, result_id)
        return page(request, "result.html", view=view, statuses=ResultStatus)

    @router.get("/api/deployment.json", summary="The deployment file: chain id, addresses, start block, compiler")
    def deployment(x: ExplorerDep) -> dict:
        return asdict(x.deployment)

    @router.get("/api/contracts", summary="Every deployed contract with where to fetch what verifies it")
    def contracts(x: ExplorerDep) -> dict:
        return {
            "chain_id": x.deployment.chain_id, "compiler": x.deployment.compiler,
            "standard_input_sha256": standard_input_digest(),
            "contracts": [{"name": n, "address": x.deployment.addresses.get(n),
                           "standard_input": f"/explorer/api/contracts/{n}/standard-input.json",
                           "metadata": f"/explorer/api/contracts/{n}/metadata.json"} for n in DEPLOYABLE],
        }

    @router.get("/api/contracts/{name}/standard-input.json", summary="solc standard-JSON input (all sources)")
    def standard_input(name: str) -> dict:
        _deployable(name)
        return standard_json_input()

    @router.get("/api/contracts/{name}/metadata.json", summary="solc metadata JSON of the contract")
    def metadata(name: str) -> dict:
        return contract_metadata(_deployable(name))

    return router


def _deployable(name: str) -> str:
    if name not in DEPLOYABLE:
        raise NotFound(f"no project contract named {name!r} (known: {', '.join(DEPLOYABLE)})")
    return name


def install_error_handlers(app: FastAPI) -> None:
    """Map the explorer's errors to 404 / 422 / 503 with the reason: `{"error": {"code", "message", "details"}}`
    for /api paths and JSON clients, the error page otherwise. The API's own handlers go in first, so the
    explorer served alone (`standalone_app`) answers validation errors and unknown paths in the same shape."""
    install_api_error_handlers(app)

    def respond(request: Request, status: int, code: str, reason: str) -> Response:
        if "/api/" in request.url.path or "application/json" in request.headers.get("accept", ""):
            return error_response(status, code, reason)
        return TEMPLATES.TemplateResponse(request, "explorer/error.html", {"status": status, "reason": reason},
                                          status_code=status)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return respond(request, 404, "not_found", str(exc))

    @app.exception_handler(BadProofRequest)
    async def bad_request(request: Request, exc: BadProofRequest) -> Response:
        return respond(request, 422, "invalid_input", str(exc))

    @app.exception_handler(ExplorerUnavailable)
    async def unavailable(request: Request, exc: ExplorerUnavailable) -> Response:
        return respond(request, 503, "explorer_unavailable", str(exc))

    @app.exception_handler(EvidenceError)
    async def evidence_missing(request: Request, exc: EvidenceError) -> Response:
        return respond(request, 502, "evidence_error", f"evidence store: {exc}")
