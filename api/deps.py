"""What routes depend on: settings, a database session, the current user, role and scope checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.errors import ApiError, forbidden
from api.models import Role, User
from api.permissions import ALLOWED, UNSCOPED_READERS, Action, refusal
from api.security import read_token, unauthorized
from api.services.chain import ChainAccess
from api.services.organizations import OrganizationDirectory, OrgTree
from ledger.chain.codes import NodeKind
from ledger.config import Settings

MAX_ID = 2**31 - 1  # ids are SQL INTEGER and chain uint64: one bound that fits both
oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_chain(request: Request) -> ChainAccess:
    return request.app.state.chain


def get_directory(request: Request) -> OrganizationDirectory:
    return request.app.state.directory


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
ChainDep = Annotated[ChainAccess, Depends(get_chain)]
DirectoryDep = Annotated[OrganizationDirectory, Depends(get_directory)]


def current_user(request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2)]) -> User:
    if not token:
        raise unauthorized("not authenticated: send Authorization: Bearer <token> from /auth/token")
    user_id = read_token(request.app.state.jwt_secret, token)
    user = session.get(User, user_id)
    if user is None or user.disabled:
        raise unauthorized("the token's user no longer exists or is disabled")
    return user


CurrentUser = Annotated[User, Depends(current_user)]

NodeId = Annotated[int, Path(ge=1, le=MAX_ID, description="OrganizationRegistry node id.", examples=[4])]
ResourceId = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]


def require(user: User, action: Action) -> None:
    """403 unless the user's role may perform `action` (anywhere)."""
    role = Role(user.role)
    if role not in ALLOWED[action]:
        raise forbidden(refusal(role, action))


def require_in_scope(user: User, action: Action, node_id: int, tree: OrgTree) -> None:
    """403 unless the user may perform `action` on organisation node `node_id` (404 if it does not exist)."""
    tree.get(node_id)
    require(user, action)
    if action == Action.READ and Role(user.role) in UNSCOPED_READERS:
        return
    if user.org_id is None or user.org_id not in tree.nodes or not tree.is_ancestor_or_self(user.org_id, node_id):
        raise forbidden(f"node {node_id} is outside your organisation scope (node {user.org_id})")


def require_institution(tree: OrgTree, node_id: int) -> None:
    """422 unless `node_id` is an institution: projects, assets, work orders and inspections belong to one."""
    node = tree.get(node_id)
    if node.kind != NodeKind.INSTITUTION:
        raise bad_request(f"node {node_id} is a {node.kind.name.lower()}, not an institution")


def bad_request(message: str, details: dict | None = None) -> ApiError:
    return ApiError(422, "invalid_input", message, details)
