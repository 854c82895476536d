"""Creating API users: a role, an organisation scope, and how the user signs (address, server-side keystore)."""

from __future__ import annotations

import json
import re
import time

from eth_account import Account
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Role, User
from api.security import hash_password


USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


class UserError(ValueError):
    """A user that cannot be created as asked (duplicate name, missing scope, mismatched key)."""


def create_user(engine: Engine, username: str, password: str, role: Role, org_id: int | None = None,
                address: str | None = None, private_key: str | None = None, keystore_password: str | None = None,
                kdf_iterations: int | None = None) -> User:
    """Store a user. With `private_key` and `keystore_password`, the key is kept encrypted (web3 keystore v3,
    scrypt; `kdf_iterations` lowers its cost for tests only) and its address becomes the user's."""
    if not USERNAME.fullmatch(username):
        raise UserError(f"username {username!r} must be 1-64 letters, digits, _ . @ or -")
    if role not in (Role.AUDITOR, Role.CREDIT_BUYER) and org_id is None:
        raise UserError(f"role {role.value} needs an organisation node (--org) to scope it")
    if len(password) < 8:
        raise UserError("a password needs at least 8 characters")
    keystore_json = None
    if private_key is not None:
        if not keystore_password:
            raise UserError("a server-side key needs a keystore password")
        account = Account.from_key(private_key)
        if address is not None and address.lower() != account.address.lower():
            raise UserError(f"the key's address {account.address} is not {address}")
        address = account.address
        keystore_json = json.dumps(Account.encrypt(private_key, keystore_password, iterations=kdf_iterations))
    with Session(engine) as session:
        if session.exec(select(User).where(User.username == username)).first() is not None:
            raise UserError(f"user {username!r} exists")
        user = User(username=username, password_hash=hash_password(password), role=role.value, org_id=org_id,
                    address=address, keystore_json=keystore_json, created_at=int(time.time()))
        session.add(user)
        session.commit()
        session.refresh(user)
        return user
