"""Compile contracts/ with py-solc-x into artifacts (ABI, bytecode, metadata, standard-JSON input).

Artifacts are cached in build/zcl/ keyed by a hash of the sources and settings, so a second
call costs a file read. The standard-JSON input is kept beside them: with it and the compiler
version anyone can rebuild the bytecode and compare it with what is deployed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ledger.chain.toolchain import PROJECT_ROOT, SOLC_VERSION, activate_toolchain

CONTRACTS_DIR = PROJECT_ROOT / "contracts"
BUILD_DIR = PROJECT_ROOT / "build" / "zcl"
ABI_DIR = Path(__file__).resolve().parent / "abi"
CORE_CONTRACTS = ("OrganizationRegistry", "DeviceRegistry", "AttestationLedger", "AccountingLedger")
# RetirementCertificate is deployed by CarbonCredit's constructor (its only minter); listed for its ABI.
CREDIT_CONTRACTS = ("CarbonCredit", "RetirementCertificate", "CreditMarket", "CertificationRegistry")
# Demo-chain stand-in for a settlement currency (contracts/test/); a real deployment names an existing ERC-20.
DEMO_SETTLEMENT_TOKEN = "SettlementToken"
WORKFLOW_CONTRACTS = ("WorkflowLog",)  # anchors of the API's signed retrofit-project steps
DEPLOYABLE = CORE_CONTRACTS + CREDIT_CONTRACTS + (DEMO_SETTLEMENT_TOKEN,) + WORKFLOW_CONTRACTS
SETTINGS = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object",
                    "evm.deployedBytecode.immutableReferences", "metadata"]}
    },
}


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict]
    bytecode: str
    deployed_bytecode: str
    metadata: str
    immutable_ranges: list[tuple[int, int]]  # (start, length) byte ranges filled in at deployment


def runtime_code_matches(onchain: bytes, artifact: Artifact) -> bool:
    """True when code read from the chain is `artifact`'s runtime code.

    Immutable variables (filled by the constructor) and solc's trailing CBOR metadata (a hash of
    the source files' metadata, which differs with paths and comments) are masked on both sides;
    every instruction is compared.
    """
    compiled = bytearray.fromhex(artifact.deployed_bytecode[2:])
    actual = bytearray(onchain)
    if len(actual) != len(compiled):
        return False
    for start, length in artifact.immutable_ranges:
        actual[start : start + length] = bytes(length)
        compiled[start : start + length] = bytes(length)
    metadata = int.from_bytes(compiled[-2:], "big") + 2
    return actual[:-metadata] == compiled[:-metadata]


def _sources() -> dict[str, dict[str, str]]:
    files = sorted(CONTRACTS_DIR.rglob("*.sol"))
    return {str(p.relative_to(PROJECT_ROOT)): {"content": p.read_text()} for p in files}


def standard_json_input() -> dict:
    return {"language": "Solidity", "sources": _sources(), "settings": SETTINGS}


def _fingerprint(input_json: dict) -> str:
    return hashlib.sha256(json.dumps([SOLC_VERSION, DEPLOYABLE, input_json], sort_keys=True).encode()).hexdigest()[:16]


def compile_contracts(force: bool = False) -> dict[str, Artifact]:
    """Artifacts of every deployable contract, compiling only when the sources changed."""
    input_json = standard_json_input()
    cache = BUILD_DIR / f"artifacts-{_fingerprint(input_json)}.json"
    if cache.exists() and not force:
        raw = json.loads(cache.read_text())
    else:
        raw = _run_solc(input_json)
        BUILD_DIR.mkdir(parents=True, exist_ok=True)
        (BUILD_DIR / "standard-input.json").write_text(json.dumps(input_json, indent=1))
        cache.write_text(json.dumps(raw))
    return {name: Artifact(**fields) for name, fields in raw.items()}


def write_abis(artifacts: dict[str, Artifact]) -> None:
    """Refresh the ABIs shipped in the package (used by `zcl verify` without a compiler)."""
    ABI_DIR.mkdir(exist_ok=True)
    for name in DEPLOYABLE:
        (ABI_DIR / f"{name}.json").write_text(json.dumps(artifacts[name].abi, indent=1) + "\n")


def load_abi(name: str) -> list[dict]:
    return json.loads((ABI_DIR / f"{name}.json").read_text())


def _run_solc(input_json: dict) -> dict[str, dict]:
    import solcx

    activate_toolchain()
    output = solcx.compile_standard(
        input_json, solc_version=SOLC_VERSION, allow_paths=[str(PROJECT_ROOT)], base_path=str(PROJECT_ROOT)
    )
    contracts: dict[str, dict] = {}
    for path, entries in output["contracts"].items():
        if not path.startswith("contracts/"):
            continue
        for name, data in entries.items():
            if name in DEPLOYABLE:
                contracts[name] = {
                    "name": name,
                    "abi": data["abi"],
                    "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                    "deployed_bytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                    "metadata": data["metadata"],
                    "immutable_ranges": sorted(
                        (ref["start"], ref["length"])
                        for refs in data["evm"]["deployedBytecode"].get("immutableReferences", {}).values()
                        for ref in refs
                    ),
                }
    missing = set(DEPLOYABLE) - contracts.keys()
    if missing:
        raise RuntimeError(f"compiler output lacks {sorted(missing)}")
    return contracts
