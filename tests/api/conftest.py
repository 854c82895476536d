"""An API over a real anvil and a real database (SQLite, and PostgreSQL at 127.0.0.1:5432 in a fresh
database), with one user per role:

    Sichuan(1) → Chengdu(2) → Qingyang(3) → Xihuamen institution(4) → building(5) → room(6)
    Yunnan(7)  → Kunming(8) → Kunming office institution(9)

admin: institution_admin at 4, server-side key = the chain's governance key (admin of every node);
operator: operator at 4, wallet key; regulator: at Sichuan 1, wallet key; yunnan_regulator: at 7;
verifier: at district 3, wallet key; buyer and auditor: no scope.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from api.models import Role
from api.services.users import create_user
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import NodeKind
from ledger.chain.connection import connect
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.chain.devchain import DEV_PRIVATE_KEYS
from ledger.config import Settings
from tests.conftest import Tree, settings_for

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery staple"
KEYSTORE_PASSWORD = "keystore secret 42"
FAST_SCRYPT = 2**10  # test keystores only: scrypt's default cost (2**18) takes ~1 s per decryption


@pytest.fixture(scope="session")
def postgres_admin():
    """An AUTOCOMMIT engine on the local PostgreSQL, or a skip saying why there is none."""
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # psycopg.OperationalError: nothing listening, or no such role
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(exc).__name__}: {exc})")
    yield admin
    admin.dispose()


def fresh_postgres_database(admin) -> str:  # noqa: ANN001
    name = f"zcl_api_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return name


def drop_postgres_database(admin, name: str) -> None:  # noqa: ANN001
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class ApiWorld:
    app: FastAPI
    client: TestClient
    settings: Settings
    contracts: LedgerContracts
    deployment: Deployment
    tree: Tree
    yunnan: int
    kunming: int
    kunming_office: int
    users: dict[str, int] = field(default_factory=dict)
    wallets: dict[str, LocalAccount] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str) -> str:
        if name not in self._tokens:
            response = self.client.post("/auth/token", data={"username": name, "password": PASSWORD})
            assert response.status_code == 200, response.text
            self._tokens[name] = response.json()["access_token"]
        return self._tokens[name]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}

    def get(self, name: str, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, headers=self.headers(name), **kwargs)

    def post(self, name: str, path: str, json: object = None, **kwargs: object) -> httpx.Response:
        return self.client.post(path, headers=self.headers(name), json=json, **kwargs)


def build_world(rpc_url: str, data_dir: Path, database_url: str) -> ApiWorld:
    chain_settings = settings_for(rpc_url, data_dir)
    chain = connect(chain_settings)
    deployment = deploy_contracts(chain)
    deployment.save(chain_settings.deployment_path(chain.chain_id))
    contracts = LedgerContracts.attach(chain, deployment)
    tree = Tree(contracts)
    me = chain.account.address
    contracts.devices.authorize_oracle(tree.institution, me)
    orgs = contracts.organizations
    yunnan = orgs.create_root(NodeKind.REGION, "Yunnan", me)
    kunming = orgs.create_node(yunnan, NodeKind.REGION, "Kunming")
    kunming_office = orgs.create_node(kunming, NodeKind.INSTITUTION, "Kunming office")
    # the API holds no key of its own
    settings = chain_settings.model_copy(update={"private_key": None, "database_url": database_url,
                                                 "jwt_secret": secrets.token_hex(32)})
    app = create_app(settings)
    world = ApiWorld(app, TestClient(app), settings, contracts, deployment, tree, yunnan, kunming, kunming_office)
    engine = app.state.engine
    roles = {
        "admin": (Role.INSTITUTION_ADMIN, tree.institution), "operator": (Role.OPERATOR, tree.institution),
        "regulator": (Role.REGULATOR, tree.province), "yunnan_regulator": (Role.REGULATOR, yunnan),
        "verifier": (Role.VERIFIER, tree.district), "buyer": (Role.CREDIT_BUYER, None), "auditor": (Role.AUDITOR, None),
        "kunming_operator": (Role.OPERATOR, kunming_office),
    }
    for name, (role, org) in roles.items():
        if name == "admin":
            user = create_user(engine, name, PASSWORD, role, org, private_key=DEV_PRIVATE_KEYS[0],
                               keystore_password=KEYSTORE_PASSWORD, kdf_iterations=FAST_SCRYPT)
            world.wallets[name] = Account.from_key(DEV_PRIVATE_KEYS[0])
        else:
            wallet = Account.create()
            world.wallets[name] = wallet
            user = create_user(engine, name, PASSWORD, role, org, address=wallet.address)
        world.users[name] = user.id
    return world


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, anvil, compiled, tmp_path_factory) -> Iterator[ApiWorld]:
    """A deployed ledger and the API over it, on each database kind (one per test module)."""
    data_dir = tmp_path_factory.mktemp("api") / "zcl"
    with database_url(request, data_dir.parent) as url:
        world = build_world(anvil.rpc_url, data_dir, url)
        yield world
        world.client.close()
        world.app.state.engine.dispose()


@contextmanager
def database_url(request, folder: Path) -> Iterator[str]:  # noqa: ANN001
    """A SQLite file in `folder`, or a fresh PostgreSQL database dropped afterwards (even when setup fails)."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'api.sqlite'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    database = fresh_postgres_database(admin)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    finally:
        drop_postgres_database(admin, database)
