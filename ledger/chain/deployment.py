"""Deploying the ledger's contracts and recording their addresses per chain id."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ledger.chain.compiler import DEPLOYABLE, compile_contracts, standard_json_input
from ledger.chain.connection import Chain, ChainError
from ledger.chain.toolchain import SOLC_VERSION


@dataclass(frozen=True)
class Deployment:
    """Where the contracts live on one chain, and from which block to read their events."""

    chain_id: int
    addresses: dict[str, str]
    start_block: int
    deployer: str
    compiler: str

    def address(self, name: str) -> str:
        try:
            return self.addresses[name]
        except KeyError:
            raise ChainError(f"deployment has no {name} address") from None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Deployment":
        if not path.exists():
            raise ChainError(f"no deployment file at {path}: run `zcl deploy` or pass --deployment")
        try:
            return cls(**json.loads(path.read_text()))
        except (TypeError, ValueError) as exc:
            raise ChainError(f"{path} is not a deployment file: {exc}") from None


def deploy_contracts(chain: Chain) -> Deployment:
    """Deploy OrganizationRegistry → DeviceRegistry → AttestationLedger → AccountingLedger; the sender governs."""
    if chain.account is None:
        raise ChainError("deploying needs a signing key (ZCL_PRIVATE_KEY or ZCL_KEYSTORE)")
    artifacts = compile_contracts()
    w3 = chain.w3
    constructor_args = {
        "OrganizationRegistry": lambda: [chain.account.address],
        "DeviceRegistry": lambda: [addresses["OrganizationRegistry"]],
        "AttestationLedger": lambda: [addresses["DeviceRegistry"]],
        "AccountingLedger": lambda: [addresses["OrganizationRegistry"], addresses["AttestationLedger"]],
    }
    addresses: dict[str, str] = {}
    start_block: int | None = None
    for name in DEPLOYABLE:
        artifact = artifacts[name]
        chain.register_errors(artifact.abi)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = chain.transact(factory.constructor(*constructor_args[name]()))
        addresses[name] = receipt["contractAddress"]
        start_block = receipt["blockNumber"] if start_block is None else start_block
    assert start_block is not None
    return Deployment(
        chain_id=chain.chain_id,
        addresses=addresses,
        start_block=start_block,
        deployer=chain.account.address,
        compiler=f"solc {SOLC_VERSION}; input sha256 {_input_digest()}",
    )


def _input_digest() -> str:
    import hashlib

    return hashlib.sha256(json.dumps(standard_json_input(), sort_keys=True).encode()).hexdigest()
