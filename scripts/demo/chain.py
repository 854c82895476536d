"""The demo's chain: anvil with its state on disk, and the contracts deployed exactly once."""

from __future__ import annotations

from ledger.chain.compiler import DEPLOYABLE
from ledger.chain.connection import connect
from ledger.chain.deployment import Deployment, deploy_contracts
from ledger.chain.devchain import DevChain, port_is_open, start_anvil

from scripts.demo.layout import DemoLayout


class StaleState(RuntimeError):
    """The kept chain state predates contracts this version deploys; it cannot be patched in place."""


def start_chain(layout: DemoLayout) -> DevChain | None:
    """Start anvil on the demo's port with its state file; None when a chain already listens there."""
    if port_is_open(layout.chain_port):
        return None
    layout.logs.mkdir(parents=True, exist_ok=True)
    return start_anvil(layout.chain_port, state_file=layout.anvil_state, log_file=layout.logs / "anvil.log")


def ensure_deployment(layout: DemoLayout) -> tuple[Deployment, bool]:
    """The deployment on the demo chain and whether it was made now.

    A kept deployment must have every contract this version knows (DEPLOYABLE) with code on chain.
    Contracts depend on each other's addresses (CarbonCredit on AccountingLedger, …), so a partial set
    is not topped up: the state is from an older version, and `make clean` starts afresh.
    """
    chain = connect(layout.settings())
    path = layout.settings().deployment_path(chain.chain_id)
    if path.exists():
        deployment = Deployment.load(path)
        present = {n for n in DEPLOYABLE if n in deployment.addresses and chain.w3.eth.get_code(deployment.addresses[n])}
        if present == set(DEPLOYABLE):
            return deployment, False
        if present:
            missing = ", ".join(sorted(set(DEPLOYABLE) - present))
            raise StaleState(f"the kept chain state in {layout.data_dir} is from an older version (no {missing}); "
                             f"`make clean` (or delete {layout.data_dir}) and run the demo again")
    deployment = deploy_contracts(chain)
    deployment.save(path)
    return deployment, True
