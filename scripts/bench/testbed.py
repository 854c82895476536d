"""The chain the benchmarks run against: a fresh anvil, the ledger deployed, one institution, its meters.

Three dev accounts, each with its own nonce: the administrator (deploys, builds the organisation
tree, registers meters), the oracle (anchors), and the naive baseline's sender.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ledger.chain.clients import LedgerContracts, NodeKind
from ledger.chain.connection import Chain, connect
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.chain.devchain import DEV_PRIVATE_KEYS, DevChain, start_anvil
from ledger.chain.toolchain import activate_toolchain
from ledger.config import Settings
from ledger.encoding import DeviceKind
from oracles.simulator import SimulatedMeter

# DEV_PRIVATE_KEYS[2] is not anvil's account #2 (an unfunded address), so the baseline uses #3
_ADMIN, _ORACLE, _NAIVE = 0, 1, 3
_METER_KINDS = (DeviceKind.ELECTRICITY_METER, DeviceKind.ELECTRICITY_METER, DeviceKind.WATER_METER,
                DeviceKind.PV_GENERATION_METER)
METER_INTERVAL_SECONDS = 900


@dataclass
class Testbed:
    anvil: DevChain
    deployment: Deployment
    admin: LedgerContracts
    oracle: LedgerContracts
    naive_sender: Chain
    institution_id: int
    building_id: int

    def stop(self) -> None:
        self.anvil.stop()


def start_testbed(work_dir: Path) -> Testbed:
    """Start anvil, deploy the three contracts, create one institution and authorise the oracle."""
    activate_toolchain()
    anvil = start_anvil(log_file=work_dir / "anvil.log")
    try:
        def chain_for(key: int) -> Chain:
            return connect(Settings(rpc_url=anvil.rpc_url, data_dir=work_dir, private_key=DEV_PRIVATE_KEYS[key]))

        admin_chain = chain_for(_ADMIN)
        deployment = deploy_contracts(admin_chain)
        admin = LedgerContracts.attach(admin_chain, deployment)
        oracle = LedgerContracts.attach(chain_for(_ORACLE), deployment)
        orgs = admin.organizations
        region = orgs.create_root(NodeKind.REGION, "Benchmark region", admin_chain.account.address)
        institution = orgs.create_node(region, NodeKind.INSTITUTION, "Benchmark institution")
        building = orgs.create_node(institution, NodeKind.BUILDING, "Benchmark building")
        admin.devices.authorize_oracle(institution, oracle.attestations.chain.account.address)
        return Testbed(anvil, deployment, admin, oracle, chain_for(_NAIVE), institution, building)
    except BaseException:
        anvil.stop()
        raise


def create_fleet(meter_count: int, readings_per_meter: int, seed: bytes = b"zcl-bench") -> list[SimulatedMeter]:
    """Deterministic meters whose last reading, `readings_per_meter` intervals on, is an hour ago."""
    start = int(time.time()) - 3600 - readings_per_meter * METER_INTERVAL_SECONDS
    return [
        SimulatedMeter.create(f"bench-meter-{i:03d}", _METER_KINDS[i % len(_METER_KINDS)], seed, start,
                              METER_INTERVAL_SECONDS)
        for i in range(meter_count)
    ]


def register_fleet(testbed: Testbed, meters: list[SimulatedMeter]) -> None:
    devices = testbed.admin.devices
    for meter in meters:
        devices.register_device(meter.device_id, testbed.building_id, int(meter.kind), int(meter.unit), meter.public_key)
