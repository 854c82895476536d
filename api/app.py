"""`create_app(settings)`: the FastAPI service over the ledger, its own tables and the explorer."""

from __future__ import annotations

from fastapi import FastAPI

from api.db import make_engine, migrate
from api.errors import install_error_handlers
from api.explorer.mount import mount_explorer
from api.limits import MAX_BODY_BYTES, BodyLimitMiddleware
from api.routers import (alarms, assets, auth, batches, certification, chain, credits, devices, health,
                         inspections, meetings, organizations, projects, results, supervision, wallet, work_orders)
from api.security import LoginLimiter, jwt_secret
from api.services.chain import ChainAccess
from api.services.organizations import OrganizationDirectory
from ledger.config import Settings, load_settings

DESCRIPTION = """
The zero-carbon ledger's service: organisations, devices and keys, anchored readings with Merkle proofs,
alarms, accounting results, retrofit projects signed step by step, work orders, inspections and assets.

Log in at `/auth/token` (OAuth2 password flow) and send `Authorization: Bearer <token>`. Roles:
institution_admin, operator, regulator (scoped to its organisation subtree), verifier, credit_buyer,
auditor (reads everything, writes nothing). Every error has the body `{"error": {"code", "message", "details"}}`.
Transactions are signed with your server-side keystore (send `keystore_password`) or by your wallet
(POST the raw transaction to `/chain/transactions`; sign project steps as EIP-712 typed data).
"""


def create_app(settings: Settings | None = None, *, login_attempts: int = 5, login_window_seconds: float = 300.0,
               max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The app for `settings` (default: the ZCL_* environment); its database is migrated before it serves."""
    settings = settings or load_settings()
    app = FastAPI(title="Zero-carbon ledger API", version="1.0.0", description=DESCRIPTION)
    engine = make_engine(settings)
    migrate(engine)
    chain_access = ChainAccess(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.chain = chain_access
    app.state.directory = OrganizationDirectory(chain_access, engine)
    app.state.jwt_secret = jwt_secret(settings)
    app.state.login_limiter = LoginLimiter(login_attempts, login_window_seconds)
    for module in (health, auth, organizations, devices, batches, results, certification, credits, meetings,
                   alarms, projects, work_orders, inspections, assets, chain, wallet, supervision):
        app.include_router(module.router)
    mount_explorer(app, settings)
    install_error_handlers(app)  # after the explorer's, so the API's one error shape wins where both map a type
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    return app
