"""One demo login per role, created once; passwords generated once and kept in the data dir."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from api.db import make_engine, migrate
from api.models import Role, User
from api.services.users import create_user
from eth_account import Account
from sqlmodel import Session, select

from scripts.demo.compound import CompoundNodes
from scripts.demo.credits import BUYER_KEY, INSTITUTION_KEY
from scripts.demo.layout import DemoLayout, VERIFIER_KEY


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    org_id: int | None
    what: str


def _plan(nodes: CompoundNodes) -> list[tuple[str, Role, int | None, str | None, str]]:
    verifier, owner, buyer = (Account.from_key(key).address for key in (VERIFIER_KEY, INSTITUTION_KEY, BUYER_KEY))
    return [
        ("xihuamen-admin", Role.INSTITUTION_ADMIN, nodes.institution, owner,
         "runs the compound; holds its credits (dev account 4)"),
        ("xihuamen-operator", Role.OPERATOR, nodes.institution, None, "devices, alarms, work orders"),
        ("qingyang-regulator", Role.REGULATOR, nodes.district, None, "the district's institutions"),
        ("qingyang-verifier", Role.VERIFIER, nodes.district, verifier, "verifies results (dev account 2)"),
        ("buyer", Role.CREDIT_BUYER, None, buyer, "buys and retires credits (dev account 3)"),
        ("auditor", Role.AUDITOR, None, None, "reads everything, writes nothing"),
    ]


def _passwords(path: Path, names: list[str]) -> dict[str, str]:
    """The passwords file, extended with a fresh password for any name it lacks; readable by the owner only."""
    known = json.loads(path.read_text()) if path.exists() else {}
    missing = [n for n in names if n not in known]
    if missing:
        known.update({n: secrets.token_urlsafe(12) for n in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=2) + "\n")
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    return known


def ensure_users(layout: DemoLayout, nodes: CompoundNodes) -> list[DemoLogin]:
    """Create the demo users that do not exist yet (in the API's database); return every login."""
    plan = _plan(nodes)
    passwords = _passwords(layout.passwords, [p[0] for p in plan])
    engine = make_engine(layout.settings())
    migrate(engine)
    try:
        with Session(engine) as session:
            existing = set(session.exec(select(User.username)).all())
        for username, role, org, address, _ in plan:
            if username not in existing:
                create_user(engine, username, passwords[username], role, org, address)
        return [DemoLogin(username, passwords[username], role, org, what) for username, role, org, _, what in plan]
    finally:
        engine.dispose()
