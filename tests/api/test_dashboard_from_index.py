"""The big screen's figures from the indexer's tables equal those from the chain and the evidence, digit for digit.

A world of four days of the Xihuamen compound (every meter, 15-minute readings, June 2022) signed, checked and
anchored by the oracle, with a counter reset, an outage across midnight, a stuck register and a leak, then indexed
into SQLite and into PostgreSQL (127.0.0.1:5432; skipped with the reason when absent). Both paths run the same
code of ledger.accounting; the index path feeds it each past regular day's first and last reading, and reads the
irregular days (the reset day) and the last day reading by reading.

Two meters are anchored beside it by hand, as a batch another oracle could anchor (signed by their device keys,
evidence stored, root anchored; the oracle's gate would refuse the first): on 2 June one's counter runs backwards
and stays between the day's first and last values, the other reports two readings at one instant with different
values.
Their first and last readings give other figures than the accounting's interval rule, so the indexer marks both
days irregular and the index path reads them reading by reading: the figures stay equal.

A lagging index (a batch anchored after it ran) is not used, unless the indexer catches up within the wait.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.explorer import dashboard_index
from api.explorer.dashboard_index import IndexLags, current_block, index_engine, indexed_year
from api.explorer.dashboard_metrics import ReadingsCache
from api.explorer.mount import mount_explorer
from ledger.accounting.metered import CHINA_STANDARD_TIME
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from ledger.chain.deployment import deploy_contracts
from ledger.batch import canonical_order, encode_batch
from ledger.evidence import LocalEvidenceStore
from ledger.indexer import Indexer
from ledger.indexer.db import open_engine
from ledger.indexer.models import DailyUsage
from ledger.merkle import MerkleTree, reading_leaf
from oracles.node import OracleNode
from oracles.rejects import RejectsLog
from oracles.simulation import CompoundFleet, parse_fault, xihuamen
from oracles.simulation.delivery import deliver_direct
from oracles.simulation.fleet import DeviceIdentity, identity_for
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
PLAIN_DEVICE = "E-A-office_plug-01"
IRREGULAR_DAY = date(2022, 6, 2)
BACKWARDS, SAME_INSTANT = "X-backwards-meter", "X-same-instant-meter"
QUARTER = 900


def irregular_readings(identity: DeviceIdentity, case: str) -> list:
    """A meter's 15-minute readings over 1–3 June, 1 kWh a quarter (mantissas at 10**-3), with one irregularity on
    2 June at 10:00: BACKWARDS drops 1.5 kWh there (below the previous reading, above the day's first), then climbs
    again; SAME_INSTANT adds a second reading at that same second, 0.7 kWh higher."""
    start = START + 86_400
    out, sequence = [], 0
    for k in range(3 * 96):
        t, value = START + k * QUARTER, 1_000_000 + 1_000 * k
        if t == start + 10 * 3600 and case == BACKWARDS:
            value -= 1_500
        out.append(identity.sign(sequence, t, value))
        sequence += 1
        if t == start + 10 * 3600 and case == SAME_INSTANT:
            out.append(identity.sign(sequence, t, value + 700))
            sequence += 1
    return out


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
        self.anchor_irregular_meters()

    def anchor_irregular_meters(self) -> None:
        """The two irregular meters, registered and anchored in one batch without the oracle (module doc)."""
        template = self.fleet.identities[PLAIN_DEVICE].device
        self.irregular = {case: identity_for(SEED + "-irregular", replace(template, name=case))
                          for case in (BACKWARDS, SAME_INSTANT)}
        for identity in self.irregular.values():
            d = identity.device
            self.contracts.devices.register_device(identity.device_id, self.tree.building, int(d.kind), int(d.unit),
                                                   identity.public_key)
        signed = canonical_order([r for case, i in self.irregular.items() for r in irregular_readings(i, case)])
        data = encode_batch(self.tree.institution, signed)
        cid = self.evidence.add(data)
        times = [START + k * QUARTER for k in range(3 * 96)]
        attestations = self.contracts.attestations
        attestations.anchor_batch(self.tree.institution, MerkleTree([reading_leaf(r) for r in signed]).root,
                                  attestations.latest_root(self.tree.institution), len(signed), times[0], times[-1],
                                  cid)

    def deliver(self, start: int, end: int) -> None:
        self.delivered = end
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
    plain = year.fleet.identities[PLAIN_DEVICE].device_id
    assert len([t for t in indexed.series[plain].timestamps if START + 86_400 <= t < START + 2 * 86_400]) == 2
    check_irregular_days(year, engine, indexed)


def check_irregular_days(year: Year, engine, indexed) -> None:  # noqa: ANN001
    """Both hand-anchored days are marked irregular although their first and last values are their minimum and
    maximum (what the former heuristic looked at), and are read reading by reading; their neighbours are regular."""
    day_start = START + 86_400
    for case, identity in year.irregular.items():
        with Session(engine) as session:
            rows = {r.day: r for r in session.exec(select(DailyUsage).where(
                DailyUsage.device_id == "0x" + identity.device_id.hex())).all()}
        day = rows[IRREGULAR_DAY]
        assert (day.regular, rows[date(2022, 6, 1)].regular) == (False, True)
        assert (day.first_value, day.last_value) == (day.min_value, day.max_value)
        assert day.first_timestamp < day.last_timestamp
        assert day.reading_count == 96 + (case == SAME_INSTANT)
        loaded = [t for t in indexed.series[identity.device_id].timestamps if day_start <= t < day_start + 86_400]
        assert len(loaded) == day.reading_count
        assert len([t for t in indexed.series[identity.device_id].timestamps if START <= t < day_start]) == 2

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


def test_the_irregular_days_matter(year: Year, tmp_path: Path) -> None:
    """Taken as first and last reading (as if marked regular), the two hand-anchored days change the figures: the
    comparisons above do exercise cases (a) and (b)."""
    engine = open_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    year.index(engine)
    exact = year.figures(engine)
    for identity in year.irregular.values():
        with Session(engine) as session:
            day = session.get(DailyUsage, ("0x" + identity.device_id.hex(), IRREGULAR_DAY, identity.device.quantity))
            day.regular = True
            session.add(day)
            session.commit()
        misread = year.figures(engine)
        assert misread["source"] == "index"
        assert misread["periods"]["year"] != exact["periods"]["year"]
        exact = misread
    engine.dispose()

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


def lagging_index(year: Year, tmp_path: Path, wait: float):  # noqa: ANN201
    """An index opened as the API opens it (settings with `index_wait_seconds`), synced, then an hour anchored."""
    url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    engine = index_engine(year.settings.model_copy(update={"database_url": url, "index_wait_seconds": wait}))
    year.index(engine)
    year.deliver(year.delivered, year.delivered + 3600)
    return engine


def test_an_index_one_poll_behind_is_waited_for(year: Year, tmp_path: Path) -> None:
    engine = lagging_index(year, tmp_path, wait=600)
    chain = year.contracts.organizations.chain
    head = year.contracts.attestations.latest_root(year.tree.institution)
    with pytest.raises(IndexLags) as lag:
        current_block(engine, chain, year.tree.institution, head, wait=0)
    assert 0 < lag.value.behind <= dashboard_index.CATCH_UP_BLOCKS
    indexer = threading.Thread(target=lambda: (time.sleep(0.5), year.index(engine)))
    indexer.start()
    try:
        figures = assert_same_figures(year, engine)  # the request waits for the indexer's next poll, not the chain
    finally:
        indexer.join()
    assert figures["as_of"] >= year.delivered - 3600
    engine.dispose()


def test_the_wait_is_bounded_and_says_so(year: Year, tmp_path: Path) -> None:
    engine = lagging_index(year, tmp_path, wait=0.3)
    figures = year.figures(engine)
    latest = "0x" + year.contracts.attestations.latest_root(year.tree.institution).hex()
    assert figures["source"] == "chain"
    assert figures["source_note"].endswith(f"lacks the latest batch {latest} (after waiting 0.3 s for it)")
    engine.dispose()


def test_an_index_far_behind_is_not_waited_for(year: Year, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    engine = lagging_index(year, tmp_path, wait=600)
    monkeypatch.setattr(dashboard_index, "CATCH_UP_BLOCKS", 0)  # every lag is "far": no wait at all
    figures = year.figures(engine)
    latest = "0x" + year.contracts.attestations.latest_root(year.tree.institution).hex()
    assert figures["source"] == "chain" and figures["source_note"].endswith(f"lacks the latest batch {latest}")
    engine.dispose()
