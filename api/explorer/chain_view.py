"""Blocks, transactions and addresses as an auditor reads them, with the project's events decoded.

Plain JSON-RPC (eth_getBlockByNumber, eth_getTransactionReceipt, eth_getCode …) through web3.py v7,
so it works against any node. Logs and calls addressed to a deployed contract are decoded with the
ABIs shipped in ledger/chain/abi/; anything else is shown raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from ledger.chain.compiler import DEPLOYABLE, load_abi
from ledger.chain.deployment import Deployment

ADDRESS_SCAN_BLOCKS = 500  # how far back the address page looks for transactions


class NotFound(LookupError):
    """No block, transaction or batch with that id; the message says which."""


@dataclass(frozen=True)
class BlockSummary:
    number: int
    hash: str
    timestamp: int
    transactions: int
    gas_used: int
    miner: str


@dataclass(frozen=True)
class DecodedEvent:
    contract: str
    address: str
    event: str
    args: dict[str, str]
    log_index: int


@dataclass(frozen=True)
class TransactionView:
    hash: str
    block_number: int
    sender: str
    to: str | None
    to_contract: str | None
    function: str | None
    function_args: dict[str, str]
    status: int
    gas_used: int
    created: str | None
    events: list[DecodedEvent]
    raw_logs: int


@dataclass(frozen=True)
class AddressView:
    address: str
    balance_wei: int
    nonce: int
    code_size: int
    contract: str | None
    transactions: list[dict[str, object]] = field(default_factory=list)


class ProjectContracts:
    """The deployment's contracts as web3 Contract objects, for decoding calls and logs."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.by_address: dict[str, tuple[str, Contract]] = {}
        for name in DEPLOYABLE:
            if name in deployment.addresses:
                address = to_checksum_address(deployment.addresses[name])
                self.by_address[address] = (name, w3.eth.contract(address=address, abi=load_abi(name)))
        self._topics: dict[str, dict[bytes, str]] = {}
        for address, (_, contract) in self.by_address.items():
            topics = {}
            for item in contract.abi:
                if item.get("type") == "event":
                    topics[bytes(HexBytes(contract.events[item["name"]].topic))] = item["name"]
            self._topics[address] = topics

    def name_of(self, address: str | None) -> str | None:
        if not address:
            return None
        found = self.by_address.get(to_checksum_address(address))
        return found[0] if found else None

    def decode_log(self, log: dict) -> DecodedEvent | None:
        address = to_checksum_address(log["address"])
        if address not in self.by_address or not log["topics"]:
            return None
        name, contract = self.by_address[address]
        event = self._topics[address].get(bytes(log["topics"][0]))
        if event is None:
            return None
        decoded = contract.events[event]().process_log(log)
        return DecodedEvent(name, address, event, {k: render_value(v) for k, v in decoded["args"].items()},
                            log["logIndex"])

    def decode_input(self, to: str | None, data: bytes) -> tuple[str | None, dict[str, str]]:
        name = self.name_of(to)
        if name is None or len(data) < 4:
            return None, {}
        _, contract = self.by_address[to_checksum_address(to)]
        try:
            function, args = contract.decode_function_input(data)
        except ValueError:
            return None, {}
        return function.fn_name, {k: render_value(v) for k, v in args.items()}


def render_value(value: object) -> str:
    """ABI values as text: bytes as 0x-hex, tuples and lists element by element."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def latest_blocks(w3: Web3, count: int = 20) -> list[BlockSummary]:
    head = w3.eth.block_number
    return [_summary(w3.eth.get_block(n)) for n in range(head, max(-1, head - count), -1)]


def block_detail(w3: Web3, block_id: str) -> tuple[BlockSummary, list[str], dict[str, object]]:
    """A block by number or hash: its summary, transaction hashes and header fields."""
    try:
        ident: int | str = int(block_id) if block_id.isdigit() else block_id
        block = w3.eth.get_block(ident)
    except Exception:
        raise NotFound(f"no block {block_id}") from None
    header = {k: render_value(block[k]) for k in ("parentHash", "stateRoot", "receiptsRoot", "gasLimit",
                                                   "baseFeePerGas", "extraData") if k in block}
    return _summary(block), ["0x" + bytes(h).hex() for h in block["transactions"]], header


def transaction_detail(w3: Web3, project: ProjectContracts, tx_hash: str) -> TransactionView:
    try:
        tx = w3.eth.get_transaction(tx_hash)
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except Exception:
        raise NotFound(f"no transaction {tx_hash}") from None
    function, args = project.decode_input(tx.get("to"), bytes(tx["input"]))
    events = [e for e in (project.decode_log(log) for log in receipt["logs"]) if e is not None]
    return TransactionView(
        hash="0x" + bytes(tx["hash"]).hex(), block_number=tx["blockNumber"], sender=tx["from"], to=tx.get("to"),
        to_contract=project.name_of(tx.get("to") or receipt.get("contractAddress")), function=function,
        function_args=args, status=receipt["status"], gas_used=receipt["gasUsed"],
        created=receipt.get("contractAddress"), events=events, raw_logs=len(receipt["logs"]) - len(events))


def address_detail(w3: Web3, project: ProjectContracts, address: str) -> AddressView:
    """Balance, nonce, code, and the transactions from or to it in the last ADDRESS_SCAN_BLOCKS blocks."""
    if not Web3.is_address(address):
        raise NotFound(f"{address} is not an address")
    address = to_checksum_address(address)
    head = w3.eth.block_number
    transactions = []
    for n in range(head, max(-1, head - ADDRESS_SCAN_BLOCKS), -1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            if address in (tx["from"], tx.get("to")):
                function, _ = project.decode_input(tx.get("to"), bytes(tx["input"]))
                transactions.append({"hash": "0x" + bytes(tx["hash"]).hex(), "block": n, "from": tx["from"],
                                     "to": tx.get("to"), "function": function})
    return AddressView(address, w3.eth.get_balance(address), w3.eth.get_transaction_count(address),
                       len(w3.eth.get_code(address)), project.name_of(address), transactions[:100])


def _summary(block: dict) -> BlockSummary:
    return BlockSummary(block["number"], "0x" + bytes(block["hash"]).hex(), block["timestamp"],
                        len(block["transactions"]), block["gasUsed"], block["miner"])
