"""One error body for every failure: `{"error": {"code", "message", "details"}}`.

Our own exceptions carry an HTTP status and a machine-readable code; FastAPI's validation errors,
Starlette's 404/405, contract reverts and chain failures are mapped here once.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.accounting.errors import AccountingError
from ledger.chain.connection import ChainError, ContractRevert
from ledger.evidence import EvidenceError

log = logging.getLogger("api")

_STARLETTE_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                    405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
                    422: "validation_error", 429: "rate_limited"}
# contract errors that mean "this account may not" rather than "this state does not allow"
_PERMISSION_REVERTS = {"AccessControlUnauthorizedAccount", "NotNodeAdmin", "NotDirectNodeAdmin", "NotVerifier",
                       "NotAuthorizedOracle", "OracleNotAuthorized", "NotInstitutionAdmin", "NotRegionAdmin",
                       "NotLevelAuthority", "NotRegulator", "NotSeller"}


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no project 42"])
    details: list[dict] | dict | None = Field(None, examples=[[{"loc": ["body", "title"], "msg": "Field required"}]])


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in ((401, "missing, expired or forged token"), (403, "role or organisation scope forbids it"),
                                (404, "no such resource"), (409, "the resource's state does not allow it"),
                                (413, "request body too large"), (422, "invalid input"), (429, "too many attempts"))
}


class ApiError(Exception):
    """An error with an HTTP status, a stable code and a reason a person can act on."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | dict | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def conflict(message: str, details: dict | None = None) -> ApiError:
    return ApiError(409, "conflict", message, details)


def error_response(status: int, code: str, message: str, details: list[dict] | dict | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type the app can raise to the one body shape."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STARLETTE_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                   for e in exc.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return error_response(422, "validation_error", f"{where}: {first['msg']}" if where else first["msg"], details)

    @app.exception_handler(AccountingError)
    async def _accounting(_: Request, exc: AccountingError) -> JSONResponse:
        return error_response(422, "accounting_refused", str(exc))

    @app.exception_handler(EvidenceError)
    async def _evidence(_: Request, exc: EvidenceError) -> JSONResponse:
        return error_response(409, "evidence_error", str(exc))

    @app.exception_handler(ContractRevert)
    async def _revert(_: Request, exc: ContractRevert) -> JSONResponse:
        status = 403 if exc.name in _PERMISSION_REVERTS else 404 if exc.name.startswith("Unknown") else 409
        return error_response(status, "contract_revert", str(exc),
                              {"error": exc.name, "args": [_jsonable(a) for a in exc.args_tuple]})

    @app.exception_handler(ChainError)
    async def _chain(_: Request, exc: ChainError) -> JSONResponse:
        return error_response(502, "chain_error", str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "the server failed; the error is logged")


def _jsonable(value: object) -> object:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value if isinstance(value, (int, str, bool)) or value is None else str(value)
