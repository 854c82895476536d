"""A real anvil with the Xihuamen-like tree, meters, anchored batches, accounting results and credits,
indexed into SQLite and into PostgreSQL (a fresh database per test session, dropped afterwards)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from ledger.chain.clients import LedgerContracts, ResultInput
from ledger.chain.connection import connect
from ledger.chain.credits import CreditContracts
from ledger.chain.deployment import Deployment
from ledger.encoding import DeviceKind
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer, drop_index_tables, open_engine
from ledger.indexer.models import IndexTable
from ledger.merkle import input_set_root
from oracles.simulator import SimulatedMeter
from tests.conftest import Tree, settings_for
from tests.oracles.conftest import START, make_node, register

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
READINGS_PER_METER = 8


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database created for this test session on the local PostgreSQL, dropped at the end."""
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"zcl_idx_{secrets.token_hex(4)}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # psycopg.OperationalError: nothing listening, or no such role
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(exc).__name__}: {exc})")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path: Path) -> Iterator[Engine]:
    """An empty index database of each kind."""
    if request.param == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    else:
        engine = open_engine(request.getfixturevalue("postgres_url"))
        drop_index_tables(engine)  # the session's database is shared by its tests: start empty
    yield engine
    engine.dispose()


@dataclass
class World:
    contracts: LedgerContracts
    verifier: LedgerContracts
    credits: CreditContracts | None
    deployment: Deployment
    tree: Tree
    meters: list[SimulatedMeter]
    evidence: LocalEvidenceStore
    settings: object
    anchors: list
    node: object

    def indexer(self, engine: Engine, **options: object) -> Indexer:
        return Indexer(self.contracts.organizations.chain, self.deployment, engine, self.evidence, **options)

    @property
    def active_meters(self) -> list[SimulatedMeter]:
        return [self.meters[0], self.meters[2]]  # meters[1] is suspended after the first anchors

    def anchor(self, count: int = READINGS_PER_METER, meters: list[SimulatedMeter] | None = None) -> list:
        """The meters' next `count` readings each, verified and anchored by the oracle node."""
        readings = [(m.name, r) for m in (meters or self.active_meters) for r in m.readings(count)]
        assert self.node.ingest(readings).accepted == len(readings)
        anchors = self.node.flush()
        self.anchors += anchors
        return anchors


@pytest.fixture
def world(contracts, tree, settings, deployment) -> Iterator[World]:
    """Xihuamen-like tree, three meters (one rotated, one suspended), two anchored batches, a verified and a
    restated accounting result, and credits issued, transferred, listed and retired."""
    meters = [
        register(contracts, scene, SimulatedMeter.create(name, kind, b"ix", START))
        for name, kind, scene in (("main-incomer", DeviceKind.ELECTRICITY_METER, tree.building),
                                  ("hvac-feeder", DeviceKind.ELECTRICITY_METER, tree.building),
                                  ("water-main", DeviceKind.WATER_METER, tree.room))
    ]
    evidence = LocalEvidenceStore(settings.evidence_path)
    node = make_node(contracts, tree.institution, settings.data_dir / "oracle", batch_size=12)
    node.evidence = evidence
    verifier = LedgerContracts.attach(connect(settings_for(settings.rpc_url, settings.data_dir, 1)), deployment)
    world = World(contracts, verifier, None, deployment, tree, meters, evidence, settings, [], node)
    world.anchor(meters=meters)  # 24 readings → batches of 12 and 12
    contracts.devices.suspend(meters[1].device_id, "feeder replaced")
    contracts.accounting.add_verifier(tree.district, verifier.accounting.chain.account.address)
    roots = [a.root for a in world.anchors]
    first = contracts.accounting.submit(tree.institution, tree.institution, result_input(roots, scope2=547_488))
    verifier.accounting.verify(first, True, "QmStatementOfVerification")
    second = contracts.accounting.restate(first, result_input(roots, scope2=547_000), "meter recalibrated")
    verifier.accounting.verify(second, True, "QmStatementOfRestatement")
    if "CarbonCredit" in deployment.addresses:
        world.credits = make_credits(contracts, verifier, tree)
    yield world
    node.spool.close()


def result_input(roots: list[bytes], scope2: int) -> ResultInput:
    return ResultInput(period_start=START, period_end=START + 86_400, methodology_id=b"m" * 32,
                       methodology_hash=b"h" * 32, factor_set_hash=b"f" * 32, scope1=0, scope2=scope2, scope3=4_656,
                       input_root=input_set_root(roots), input_batch_count=len(roots), report_cid="QmReport")


def _approve_verification(credits: CreditContracts, verification_id: bytes, project_id: int, vintage: int,
                          tonnes: int, evidence_cid: str) -> None:
    """approveVerification with result id 0, whichever of the two ABI versions (with or without
    `resultId`) the contract in the working tree has."""
    inputs = credits.credits.contract.get_function_by_name("approveVerification").abi["inputs"]
    args = [verification_id, project_id, vintage, tonnes, evidence_cid]
    if any(i["name"] == "resultId" for i in inputs):
        args.insert(4, 0)
    credits.credits.chain.transact(credits.credits.contract.functions.approveVerification(*args))


def make_credits(contracts: LedgerContracts, verifier: LedgerContracts, tree: Tree) -> CreditContracts:
    """Class → project → verification → 100 t imported → 10 t transferred → 20 t listed, cancelled → 5 t retired."""
    credits = CreditContracts.of(contracts)
    me = credits.credits.me
    other = verifier.accounting.chain.account.address
    credits.credits.grant_role("verifier", me)
    credits.credits.grant_role("issuer", me)
    # an external registry's class: its verifications rest on no savings result of this ledger
    class_id = credits.credits.create_class("VCS", "VM0044 building retrofit", True).id
    project_id = credits.credits.register_project(class_id, tree.institution, "Xihuamen LED retrofit").id
    _approve_verification(credits, b"v" * 32, project_id, 2025, 150, "QmVerification")
    issuance = credits.credits.import_external(b"v" * 32, me, 100, "VCS-4321-2025")
    token = issuance.token_id
    credits.credits.transfer(other, token, 10)
    credits.ensure_market_approval()
    listing = credits.market.list_units(token, 20, 1_000_000).listing.listing_id
    credits.market.cancel(listing)
    credits.credits.retire(token, 5, beneficiary=me, reason="2025 office emissions", period_start=START,
                           period_end=START + 86_400)
    return credits


def dump_tables(engine: Engine, exclude: tuple[str, ...] = ("idx_blocks",)) -> dict[str, list[tuple]]:
    """Every index table's rows in primary-key order, JSON columns as canonical text."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for table in IndexTable.metadata.sorted_tables:
            if table.name in exclude:
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in r)
                               for r in rows]
    return out


def evidence_file(world: World, cid: str) -> Path:
    return next(Path(world.settings.evidence_path).rglob(cid))


def database_env(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)
