"""The baseline: bench/contracts/NaiveReadingStore.sol, one transaction per reading.

Compiled with the ledger's compiler version and settings (ledger/chain/compiler.py), deployed on
the same anvil, fed the same kind of signed readings. Each reading is verified (as any oracle
must) and then sent with the ledger's own `Chain.transact`, waiting for its receipt before the
next: the same send path the anchors take.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

from web3.contract import Contract

from ledger.chain.compiler import SETTINGS
from ledger.chain.connection import Chain
from ledger.chain.toolchain import PROJECT_ROOT, SOLC_VERSION, activate_toolchain
from ledger.encoding import decode_reading
from ledger.signing import verify_signature
from scripts.bench.pipeline import SourcedReading

CONTRACT_PATH = PROJECT_ROOT / "bench" / "contracts" / "NaiveReadingStore.sol"
CONTRACT_NAME = "NaiveReadingStore"


@dataclass(frozen=True)
class NaiveResult:
    transactions: int
    seconds: float
    gas: tuple[int, ...]  # receipt gasUsed of every storeReading, in order

    @property
    def readings_per_second(self) -> float:
        return self.transactions / self.seconds

    @property
    def gas_per_reading(self) -> int:
        return int(statistics.median(self.gas))


def compile_naive_store() -> tuple[list[dict], str]:
    """ABI and creation bytecode of NaiveReadingStore, with the ledger's solc version and settings."""
    import solcx

    activate_toolchain()
    source = str(CONTRACT_PATH.relative_to(PROJECT_ROOT))
    output = solcx.compile_standard(
        {"language": "Solidity", "sources": {source: {"content": CONTRACT_PATH.read_text()}}, "settings": SETTINGS},
        solc_version=SOLC_VERSION,
        allow_paths=[str(PROJECT_ROOT)],
        base_path=str(PROJECT_ROOT),
    )
    compiled = output["contracts"][source][CONTRACT_NAME]
    return compiled["abi"], "0x" + compiled["evm"]["bytecode"]["object"]


def deploy_naive_store(chain: Chain) -> Contract:
    abi, bytecode = compile_naive_store()
    chain.register_errors(abi)
    receipt = chain.transact(chain.w3.eth.contract(abi=abi, bytecode=bytecode).constructor())
    return chain.w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def measure_naive(chain: Chain, store: Contract, readings: list[SourcedReading], public_keys: dict[bytes, bytes],
                  advance: Callable[[int], object] | None = None) -> NaiveResult:
    """Verify and store each reading in its own transaction, one after another."""
    gas: list[int] = []
    start = perf_counter()
    for _, signed in readings:
        if not verify_signature(signed, public_keys[signed.payload[1:33]]):
            raise RuntimeError("a benchmark reading failed verification")
        r = decode_reading(signed.payload)
        call = store.functions.storeReading(r.device_id, r.sequence, r.timestamp, int(r.quantity), int(r.unit),
                                            r.scale, r.value, signed.signature)
        gas.append(chain.transact(call)["gasUsed"])
        if advance is not None:
            advance(1)
    return NaiveResult(len(readings), perf_counter() - start, tuple(gas))
