"""What every explorer request reads from: one chain connection, the deployment, the clients, the evidence.

Connected lazily on first use, so the app starts even while the chain is still coming up, and a request
made while it is unreachable gets a 503 naming the RPC URL instead of a stack trace.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import Chain, ChainError, connect
from ledger.chain.deployment import Deployment
from ledger.config import Settings
from ledger.evidence import EvidenceStore, open_evidence_store


@dataclass
class Explorer:
    settings: Settings
    chain: Chain
    deployment: Deployment
    contracts: LedgerContracts
    evidence: EvidenceStore


class ExplorerUnavailable(RuntimeError):
    """The chain or the deployment file cannot be reached; the reason says which."""


class ExplorerSource:
    """Builds the Explorer once per process (thread-safe); `reset()` forgets it (after a redeploy)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._explorer: Explorer | None = None
        self._lock = threading.Lock()

    def get(self) -> Explorer:
        with self._lock:
            if self._explorer is None:
                self._explorer = self._build()
            return self._explorer

    def reset(self) -> None:
        with self._lock:
            self._explorer = None

    def _build(self) -> Explorer:
        # read-only: the explorer never signs, whatever key the settings carry
        read_only = self.settings.model_copy(update={"private_key": None, "keystore": None})
        try:
            chain = connect(read_only)
            deployment = Deployment.load(self.settings.deployment_path(chain.chain_id))
            contracts = LedgerContracts.attach(chain, deployment)
        except ChainError as exc:
            raise ExplorerUnavailable(str(exc)) from None
        evidence = open_evidence_store(self.settings.evidence_path, self.settings.ipfs_api)
        return Explorer(self.settings, chain, deployment, contracts, evidence)


def get_explorer(request: Request) -> Explorer:
    """The app's Explorer (mount_explorer puts its source in app.state)."""
    return request.app.state.explorer_source.get()


ExplorerDep = Annotated[Explorer, Depends(get_explorer)]
