"""Deploying the ledger's contracts and recording their addresses per chain id."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ledger.chain.compiler import CORE_CONTRACTS, DEMO_SETTLEMENT_TOKEN, compile_contracts, standard_json_input
from ledger.chain.connection import Chain, ChainError
from ledger.chain.toolchain import SOLC_VERSION

# Chains that get the demo SettlementToken when no settlement ERC-20 is named: anvil/hardhat, ganache.
DEV_CHAIN_IDS = frozenset({31337, 1337})
CREDIT_METADATA_URI = "zcl://credits/{id}.json"  # ERC-1155 metadata template; no server is implied


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


def deploy_contracts(chain: Chain, *, credits: bool = True, settlement_token: str | None = None) -> Deployment:
    """Deploy OrganizationRegistry → DeviceRegistry → AttestationLedger → AccountingLedger; the sender governs.

    With `credits`, then CarbonCredit (which deploys its RetirementCertificate, the only minter of
    certificates, so no role needs granting), CreditMarket paid in `settlement_token` and
    CertificationRegistry. Without a `settlement_token` address, only a dev chain gets one: the demo
    SettlementToken stand-in. VERIFIER_ROLE and ISSUER_ROLE of CarbonCredit are left for governance
    to grant (`zcl credits grant`). `credits=False` deploys the core set only (faster test fixtures).
    """
    if chain.account is None:
        raise ChainError("deploying needs a signing key (ZCL_PRIVATE_KEY or ZCL_KEYSTORE)")
    if credits and settlement_token is None and chain.chain_id not in DEV_CHAIN_IDS:
        raise ChainError(f"chain {chain.chain_id} is not a dev chain: name the market's settlement ERC-20 "
                         "(--settlement-token); the demo SettlementToken is for dev chains only")
    artifacts = compile_contracts()
    w3 = chain.w3
    governance = chain.account.address
    constructor_args = {
        "OrganizationRegistry": lambda: [governance],
        "DeviceRegistry": lambda: [addresses["OrganizationRegistry"]],
        "AttestationLedger": lambda: [addresses["DeviceRegistry"]],
        "AccountingLedger": lambda: [addresses["OrganizationRegistry"], addresses["AttestationLedger"]],
        DEMO_SETTLEMENT_TOKEN: lambda: [governance],
        "CarbonCredit": lambda: [governance, addresses["AccountingLedger"], CREDIT_METADATA_URI],
        "CreditMarket": lambda: [addresses["CarbonCredit"], addresses[DEMO_SETTLEMENT_TOKEN]],
        "CertificationRegistry": lambda: [governance, addresses["OrganizationRegistry"], addresses["AccountingLedger"],
                                          addresses["RetirementCertificate"]],
        "WorkflowLog": lambda: [governance],
    }
    order = list(CORE_CONTRACTS) + ["WorkflowLog"]
    if credits:
        order += ([] if settlement_token else [DEMO_SETTLEMENT_TOKEN]) + ["CarbonCredit", "CreditMarket",
                                                                         "CertificationRegistry"]
    addresses: dict[str, str] = {}
    if settlement_token:
        addresses[DEMO_SETTLEMENT_TOKEN] = w3.to_checksum_address(settlement_token)
    start_block: int | None = None
    for name in order:
        artifact = artifacts[name]
        chain.register_errors(artifact.abi)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = chain.transact(factory.constructor(*constructor_args[name]()))
        addresses[name] = receipt["contractAddress"]
        start_block = receipt["blockNumber"] if start_block is None else start_block
        if name == "CarbonCredit":
            credit = w3.eth.contract(address=addresses[name], abi=artifact.abi)
            addresses["RetirementCertificate"] = credit.functions.certificates().call()
    assert start_block is not None
    return Deployment(
        chain_id=chain.chain_id,
        addresses=addresses,
        start_block=start_block,
        deployer=chain.account.address,
        compiler=f"solc {SOLC_VERSION}; input sha256 {standard_input_digest()}",
    )


def standard_input_digest() -> str:
    """sha256 of the standard-JSON input (keys sorted): the `compiler` field names it, explorers show it."""
    import hashlib

    return hashlib.sha256(json.dumps(standard_json_input(), sort_keys=True).encode()).hexdigest()
