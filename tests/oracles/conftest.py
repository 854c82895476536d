from __future__ import annotations

from pathlib import Path

import pytest

from ledger.chain.clients import LedgerContracts
from ledger.encoding import DeviceKind
from ledger.evidence import LocalEvidenceStore
from oracles.node import OracleNode
from oracles.rejects import RejectsLog
from oracles.simulator import SimulatedMeter
from oracles.spool import Spool

START = 1_767_225_600  # 2026-01-01T00:00:00Z, well in the past of the oracle's clock


def make_node(contracts: LedgerContracts, institution: int, folder: Path, batch_size: int = 1000) -> OracleNode:
    return OracleNode(
        institution_id=institution,
        contracts=contracts,
        evidence=LocalEvidenceStore(folder / "evidence"),
        spool=Spool(folder / "spool.sqlite"),
        rejects=RejectsLog(folder / "rejects.jsonl"),
        batch_size=batch_size,
    )


def register(contracts: LedgerContracts, scene: int, meter: SimulatedMeter) -> SimulatedMeter:
    contracts.devices.register_device(meter.device_id, scene, int(meter.kind), int(meter.unit), meter.public_key)
    return meter


@pytest.fixture
def meter(contracts, tree) -> SimulatedMeter:
    return register(contracts, tree.building, SimulatedMeter.create("main-kwh", DeviceKind.ELECTRICITY_METER, b"t", START))


@pytest.fixture
def node(contracts, tree, tmp_path) -> OracleNode:
    node = make_node(contracts, tree.institution, tmp_path / "oracle")
    yield node
    node.spool.close()
