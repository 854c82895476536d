"""Reading the deployment's logs: one eth_getLogs per block range for every indexed contract, decoded
by the shipped ABIs into plain JSON-able arguments (bytes as 0x hex, addresses checksummed, structs
as objects by field name), so a stored event replays exactly as it was first applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from ledger.chain.compiler import ABI_DIR, CORE_CONTRACTS, CREDIT_CONTRACTS, load_abi
from ledger.chain.connection import Chain, ChainError
from ledger.chain.deployment import Deployment

# WorkflowLog anchors the API's signed project steps; not the settlement token: a real one is any ERC-20
INDEXED_CONTRACTS = CORE_CONTRACTS + ("WorkflowLog",) + CREDIT_CONTRACTS


@dataclass(frozen=True)
class ChainEvent:
    """One decoded log and where the chain put it."""

    block_number: int
    block_hash: str
    transaction_hash: str
    transaction_index: int
    log_index: int
    contract: str
    address: str
    event: str
    args: dict


@dataclass(frozen=True)
class _EventAbi:
    contract: str
    name: str
    inputs: tuple[dict, ...]

    def decode(self, topics: list[bytes], data: bytes) -> dict:
        topics = topics[1:]
        indexed = [i for i in self.inputs if i.get("indexed")]
        plain = [i for i in self.inputs if not i.get("indexed")]
        values: dict[str, object] = {}
        for item, topic in zip(indexed, topics):
            if _is_dynamic(item):  # a hash of the value, not the value
                values[item["name"]] = _hex(topic)
            else:
                (raw,) = abi_decode([_abi_type(item)], topic)
                values[item["name"]] = _plain(item, raw)
        decoded = abi_decode([_abi_type(i) for i in plain], data)
        for item, raw in zip(plain, decoded):
            values[item["name"]] = _plain(item, raw)
        return {i["name"]: values[i["name"]] for i in self.inputs}


class ContractSet:
    """The deployment's indexed contracts that have an address and a shipped ABI."""

    def __init__(self, deployment: Deployment, abi_dir: Path = ABI_DIR) -> None:
        self.names: dict[str, str] = {}
        self.skipped: list[str] = []
        self._events: dict[tuple[str, bytes], _EventAbi] = {}
        self._checksummed: dict[str, str] = {}
        for name in INDEXED_CONTRACTS:
            address = deployment.addresses.get(name)
            if address is None or not (abi_dir / f"{name}.json").exists():
                self.skipped.append(name)
                continue
            address = to_checksum_address(address)
            self.names[address] = name
            for item in load_abi(name):
                if item.get("type") == "event" and not item.get("anonymous"):
                    signature = f"{item['name']}({','.join(_abi_type(i) for i in item['inputs'])})"
                    self._events[(address, keccak(text=signature))] = _EventAbi(name, item["name"], tuple(item["inputs"]))

    @property
    def addresses(self) -> list[str]:
        return list(self.names)

    def event_names(self) -> list[tuple[str, str]]:
        return sorted({(e.contract, e.name) for e in self._events.values()})

    def fetch(self, chain: Chain, from_block: int, to_block: int) -> list[ChainEvent]:
        """Every indexed contract's logs in [from_block, to_block], in chain order."""
        params = {"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": self.addresses}
        try:  # the raw JSON-RPC answer: web3's result formatters cost more than the request
            answer = chain.w3.provider.make_request("eth_getLogs", [params])
        except Exception as exc:
            raise ChainError(f"eth_getLogs {from_block}..{to_block} failed: {exc}") from None
        if "error" in answer:
            raise ChainError(f"eth_getLogs {from_block}..{to_block} failed: {answer['error']}")
        return self.decode(answer["result"])

    def decode(self, logs: Sequence[dict]) -> list[ChainEvent]:
        """Decode raw JSON-RPC logs (hex strings), skipping removed logs and events no ABI here knows."""
        events = []
        for log in sorted(logs, key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16))):
            if log.get("removed"):
                continue
            address = self._checksummed.get(log["address"]) or self._checksummed.setdefault(
                log["address"], to_checksum_address(log["address"]))
            topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
            abi = self._events.get((address, topics[0])) if topics else None
            if abi is None:
                continue
            events.append(ChainEvent(
                block_number=int(log["blockNumber"], 16),
                block_hash=log["blockHash"].lower(),
                transaction_hash=log["transactionHash"].lower(),
                transaction_index=int(log["transactionIndex"], 16),
                log_index=int(log["logIndex"], 16),
                contract=abi.contract,
                address=address,
                event=abi.name,
                args=abi.decode(topics, bytes.fromhex(log["data"][2:])),
            ))
        return events


def _abi_type(item: dict) -> str:
    kind = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[len("tuple"):]
    return kind


def _is_dynamic(item: dict) -> bool:
    kind = item["type"]
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("tuple")


def _plain(item: dict, value: object) -> object:
    """The JSON form of a decoded value of ABI type `item`."""
    kind = item["type"]
    if kind.endswith("]"):
        inner = dict(item, type=kind[: kind.rindex("[")])
        return [_plain(inner, v) for v in value]
    if kind == "tuple":
        return {c["name"]: _plain(c, v) for c, v in zip(item["components"], value)}
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("bytes"):
        return _hex(value)
    return value


def _hex(value: object) -> str:
    return "0x" + bytes(HexBytes(value)).hex()
