"""The big screen's figures from the indexer's tables equal those from the chain and the evidence, digit for digit.

A world of four days of the Xihuamen compound (every meter, 15-minute readings, June 2022) signed, checked and
anchored by the oracle, with a counter reset, an outage across midnight, a stuck register and a leak, then indexed
into SQLite and into PostgreSQL (127.0.0.1:5432; skipped with the reason when absent). Both paths run the same
code of ledger.accounting; the index path feeds it each past day's first and last reading, and reads the reset
day and the last day reading by reading. A lagging index (a batch anchored after it ran) is not used.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.explorer.dashboard_index import indexed_year
from api.explorer.dashboard_metrics import ReadingsCache
from api.explorer.mount import mount_explorer
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from ledger.chain.deployment import deploy_contracts
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer
from ledger.indexer.db import open_engine
from ledger.indexer.models import DailyUsage
from oracles.node import OracleNode
from oracles.rejects import RejectsLog
from oracles.simulation import CompoundFleet, parse_fault, xihuamen
from oracles.simulation.delivery import deliver_direct
from oracles.spool import Spool
from tests.api.conftest import drop_postgres_database, fresh_postgres_database
from tests.conftest import Tree, settings_for

SEED = "xihuamen"
START = int(datetime(2022, 6, 1, tzinfo=CHINA_STANDARD_TIME).timestamp())
HOURS = 80  # to 08:00 on 4 June: 1 and 2 June are read as daily figures, 3 and 4 June reading by reading
RESET_DEVICE = "E-A-office_lighting-01"
FAULTS = (f"reset:{RESET_DEVICE}@12", "offline:E-A-office_plug-03@21+6", "stuck:E-R-chiller_plant-04@34+4",
          "leak:W-A-domestic_water-01@0+8")
SOURCE_FIELDS = ("source", "index_block", "source_note")


class Year:
    def __init__(self, rpc_url: str, data_dir: Path) -> None:
        self.settings = settings_for(rpc_url, data_dir)
        chain = connect(self.settings)
        self.deployment = deploy_contracts(chain)
        self.deployment.save(self.settings.deployment_path(chain.chain_id))
        self.contracts = LedgerContracts.attach(chain, self.deployment)
        self.tree = Tree(self.contracts)
        self.contracts.devices.authorize_oracle(self.tree.institution, chain.account.address)
        self.fleet = CompoundFleet(xihuamen(SEED.encode()), SEED)
        for identity in self.fleet.identities.values():
            d = identity.device
            self.contracts.devices.register_device(identity.device_id, self.tree.building, int(d.kind), int(d.unit),
                                                   identity.public_key)
        self.evidence = LocalEvidenceStore(self.settings.evidence_path)
        folder = data_dir / "oracle"
        self.spool = Spool(folder / "spool.sqlite")
        self.node = OracleNode(institution_id=self.tree.institution, contracts=self.contracts, evidence=self.evidence,
                               spool=self.spool, rejects=RejectsLog(folder / "rejects.jsonl"), batch_size=20_000)
        self.deliver(START, START + HOURS * 3600)

    def deliver(self, start: int, end: int) -> None:
        faults = [parse_fault(f, START) for f in FAULTS]
        series = self.fleet.series(end, start=START, faults=faults)
        deliver_direct(self.fleet.readings(series, since=start), self.node)
        self.node.flush()

    def index(self, engine) -> None:  # noqa: ANN001
        Indexer(self.contracts.organizations.chain, self.deployment, engine, self.evidence).sync()

    def figures(self, engine=None) -> dict:  # noqa: ANN001
        """A fresh computation (no cache shared between the two paths)."""
        return ReadingsCache().figures(self.contracts, self.evidence, self.tree.institution, engine)


@pytest.fixture(scope="module")
def year(anvil, tmp_path_factory: pytest.TempPathFactory) -> Year:  # noqa: ANN001
    world = Year(anvil.rpc_url, tmp_path_factory.mktemp("dashboard-index"))
    yield world
    world.spool.close()


def differences(a: object, b: object, path: str = "$") -> list[str]:
    """Every path at which two JSON documents differ (values compared as they are: decimal strings stay strings)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        return out + [d for k in sorted(set(a) & set(b)) for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items against {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if (type(a), a) == (type(b), b) else [f"{path}: {a!r} != {b!r}"]


def assert_same_figures(year: Year, engine) -> dict:  # noqa: ANN001
    from_chain = year.figures()
    from_index = year.figures(engine)
    assert from_chain["source"] == "chain" and from_chain["index_block"] is None
    assert from_index["source"] == "index", from_index["source_note"]
    assert from_index["index_block"] == year.contracts.organizations.chain.w3.eth.block_number
    assert from_index["source_note"] is None
    for name in SOURCE_FIELDS:
        from_chain.pop(name), from_index.pop(name)
    assert differences(from_chain, from_index) == []
    assert from_chain == from_index
    return from_index


def check_world_is_exercised(year: Year, engine, figures: dict) -> None:  # noqa: ANN001
    """The comparison covers what it claims: whole days as daily figures, the reset day reading by reading."""
    assert figures["as_of"] >= START + (HOURS - 1) * 3600
    assert [p["first_day"] for p in figures["daily"]] == ["2022-06-01", "2022-06-02", "2022-06-03", "2022-06-04"]
    assert figures["periods"]["year"]["kgco2e"] is not None and figures["load"] and figures["breakdown"]
    reset_id = "0x" + year.fleet.identities[RESET_DEVICE].device_id.hex()
    with Session(engine) as session:
        day = session.exec(select(DailyUsage).where(DailyUsage.device_id == reset_id,
                                                    DailyUsage.day == datetime(2022, 6, 1).date())).one()
    assert day.first_value != day.min_value  # the reset: this day is read reading by reading
    indexed = indexed_year(engine, year.tree.institution, 0)
    meter = indexed.series[year.fleet.identities[RESET_DEVICE].device_id]
    readings_on_1_june = [t for t in meter.timestamps if START <= t < START + 86_400]
    assert len(readings_on_1_june) == day.reading_count
    other = next(m for d, m in indexed.series.items() if d != year.fleet.identities[RESET_DEVICE].device_id)
    assert len([t for t in other.timestamps if START + 86_400 <= t < START + 2 * 86_400]) == 2  # first and last


def test_index_gives_the_chain_figures_on_sqlite(year: Year, tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    year.index(engine)
    figures = assert_same_figures(year, engine)
    check_world_is_exercised(year, engine, figures)
    engine.dispose()


def test_index_gives_the_chain_figures_on_postgresql(year: Year, postgres_admin) -> None:  # noqa: ANN001
    name = fresh_postgres_database(postgres_admin)
    engine = open_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        year.index(engine)
        figures = assert_same_figures(year, engine)
        check_world_is_exercised(year, engine, figures)
    finally:
        engine.dispose()
        drop_postgres_database(postgres_admin, name)


def test_endpoint_says_where_its_figures_come_from(year: Year, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    engine = open_engine(url)
    year.index(engine)
    app = FastAPI()
    mount_explorer(app, year.settings.model_copy(update={"database_url": url}))
    with TestClient(app) as client:
        body = client.get(f"/api/dashboard/institution/{year.tree.institution}").json()
        region = client.get(f"/api/dashboard/region/{year.tree.province}").json()
    assert (body["source"], body["source_note"]) == ("index", None)
    assert body["index_block"] == year.contracts.organizations.chain.w3.eth.block_number
    assert [(i["id"], i["source"]) for i in region["institutions"]] == [(year.tree.institution, "index")]
    engine.dispose()


def test_a_lagging_index_falls_back_to_the_chain(year: Year, tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    year.index(engine)
    behind = year.contracts.organizations.chain.w3.eth.block_number
    year.deliver(START + HOURS * 3600, START + (HOURS + 2) * 3600)  # two more hours anchored; the index not run
    lagging = year.figures(engine)
    latest = "0x" + year.contracts.attestations.latest_root(year.tree.institution).hex()
    assert (lagging["source"], lagging["index_block"]) == ("chain", None)
    assert lagging["source_note"] == f"the index (block {behind}) lags: it lacks the latest batch {latest}"
    assert lagging["as_of"] >= START + (HOURS + 1) * 3600  # the chain's figures include the new batch
    year.index(engine)
    caught_up = assert_same_figures(year, engine)
    assert caught_up["as_of"] == lagging["as_of"]
    engine.dispose()
