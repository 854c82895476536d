"""Shared fixtures for the Python suites: a real anvil, freshly deployed contracts, a local evidence store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.clients import LedgerContracts, NodeKind
from ledger.chain.compiler import compile_contracts
from ledger.chain.connection import Chain, connect
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.chain.devchain import DEV_PRIVATE_KEYS, DevChain, start_anvil
from ledger.chain.toolchain import activate_toolchain
from ledger.config import Settings

activate_toolchain()


@pytest.fixture(autouse=True)
def wide_cli_output():
    """Rich reads the terminal width once, at import; tests read CLI output at one fixed, wide width."""
    from zcl import context

    context.console.width = context.errors.width = 250
    yield


@pytest.fixture(scope="session")
def anvil() -> Iterator[DevChain]:
    chain = start_anvil()
    yield chain
    chain.stop()


@pytest.fixture(scope="session")
def compiled() -> None:
    compile_contracts()


def settings_for(rpc_url: str, data_dir: Path, key_index: int = 0) -> Settings:
    return Settings(rpc_url=rpc_url, data_dir=data_dir, private_key=DEV_PRIVATE_KEYS[key_index], confirmations=1)


@pytest.fixture
def settings(anvil: DevChain, tmp_path: Path) -> Settings:
    return settings_for(anvil.rpc_url, tmp_path / "zcl")


@pytest.fixture
def chain(settings: Settings) -> Chain:
    return connect(settings)


@pytest.fixture
def deployment(chain: Chain, settings: Settings, compiled: None) -> Deployment:
    deployment = deploy_contracts(chain)
    deployment.save(settings.deployment_path(chain.chain_id))
    return deployment


@pytest.fixture
def contracts(chain: Chain, deployment: Deployment) -> LedgerContracts:
    return LedgerContracts.attach(chain, deployment)


class Tree:
    """province → city → district → institution → building → room, ids as created."""

    def __init__(self, contracts: LedgerContracts) -> None:
        orgs = contracts.organizations
        me = contracts.organizations.chain.account.address
        self.province = orgs.create_root(NodeKind.REGION, "Sichuan", me)
        self.city = orgs.create_node(self.province, NodeKind.REGION, "Chengdu")
        self.district = orgs.create_node(self.city, NodeKind.REGION, "Qingyang")
        self.institution = orgs.create_node(self.district, NodeKind.INSTITUTION, "Xihuamen office compound")
        self.building = orgs.create_node(self.institution, NodeKind.BUILDING, "Main building")
        self.room = orgs.create_node(self.building, NodeKind.ROOM, "Zero-carbon meeting room")


@pytest.fixture
def tree(contracts: LedgerContracts) -> Tree:
    tree = Tree(contracts)
    contracts.devices.authorize_oracle(tree.institution, contracts.devices.chain.account.address)
    return tree


def requires_env(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not os.environ.get(name), reason=f"set {name} to run this test")
