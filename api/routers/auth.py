"""Log in (OAuth2 password flow → JWT) and see who you are."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlmodel import select

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.models import User
from api.security import issue_token, password_matches, unauthorized

router = APIRouter(tags=["auth"], responses=ERROR_RESPONSES)


class TokenOut(BaseModel):
    access_token: str = Field(examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"])
    token_type: str = Field("bearer", examples=["bearer"])
    expires_in: int = Field(examples=[3600])


class UserOut(BaseModel):
    id: int = Field(examples=[3])
    username: str = Field(examples=["xihuamen-operator"])
    role: str = Field(examples=["operator"])
    org_id: int | None = Field(examples=[4])
    address: str | None = Field(examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"])
    server_key: bool = Field(examples=[False], description="True when the server holds the user's encrypted key.")

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls(id=user.id, username=user.username, role=user.role, org_id=user.org_id, address=user.address,
                   server_key=user.keystore_json is not None)


@router.post("/auth/token", response_model=TokenOut, summary="Log in: OAuth2 password flow")
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          settings: SettingsDep) -> TokenOut:
    """A bearer token for `username`/`password`. Five failures per username and address within five minutes
    answer 429 with Retry-After."""
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    username = form.username[:64]
    limiter.check(username, client)
    user = session.exec(select(User).where(User.username == username)).first() if "\x00" not in username else None
    if not password_matches(user.password_hash if user else None, form.password) or user is None or user.disabled:
        limiter.failed(username, client)
        raise unauthorized("wrong username or password")
    limiter.succeeded(username, client)
    token = issue_token(request.app.state.jwt_secret, user.id, user.username, user.role,
                        settings.token_lifetime_seconds, int(time.time()))
    return TokenOut(access_token=token, expires_in=settings.token_lifetime_seconds)


@router.get("/users/me", response_model=UserOut, summary="The logged-in user")
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)
