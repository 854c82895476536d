"""A connection to any EVM JSON-RPC endpoint, with the account that signs transactions.

Nothing here assumes anvil: the RPC URL, chain id and key come from Settings, so a consortium
chain (Hyperledger Besu with QBFT, whose blocks carry long extraData) or an L2 works by
configuration only. Transactions are signed locally and sent raw, so the node never holds keys.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxReceipt

from ledger.config import Settings

FEE_REFRESH_SECONDS = 12.0


class ChainError(RuntimeError):
    """A chain-side failure with a reason a person can act on."""


class ContractRevert(ChainError):
    """A call reverted with a custom Solidity error, decoded: `name` and its `args`."""

    def __init__(self, name: str, args: tuple[Any, ...], raw: str = "") -> None:
        rendered = ", ".join(_render(a) for a in args)
        super().__init__(f"{name}({rendered})")
        self.name = name
        self.args_tuple = args
        self.raw = raw


@dataclass
class Chain:
    """A Web3 connection plus the (optional) signing account and ABIs for decoding reverts."""

    w3: Web3
    account: LocalAccount | None
    chain_id: int
    confirmations: int = 1
    _errors: dict[bytes, tuple[str, list[str]]] = field(default_factory=dict)
    _nonce: int | None = None
    _fees: tuple[float, dict[str, int]] | None = None

    def register_errors(self, abi: list[dict]) -> None:
        for item in abi:
            if item.get("type") == "error":
                types = [i["type"] if i["type"] != "tuple" else _tuple_type(i) for i in item["inputs"]]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (item["name"], types)

    def decode_revert(self, data: str | bytes) -> ContractRevert | None:
        raw = HexBytes(data)
        if len(raw) < 4 or bytes(raw[:4]) not in self._errors:
            return None
        name, types = self._errors[bytes(raw[:4])]
        values = abi_decode(types, bytes(raw[4:]))
        values = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values))
        return ContractRevert(name, values, raw.hex())

    def transact(self, call: ContractFunction, gas: int | None = None) -> TxReceipt:
        """Sign and send `call` from the configured account; wait for the configured confirmations.

        A revert raises ContractRevert with the decoded custom error (at estimation or after mining).
        The nonce is tracked locally and the fee refreshed every FEE_REFRESH_SECONDS, so a
        transaction costs four round trips (estimate, send, receipt, and nothing else when one
        confirmation suffices).
        """
        if self.account is None:
            raise ChainError("no signing key configured (set ZCL_PRIVATE_KEY or ZCL_KEYSTORE)")
        params: dict[str, Any] = {
            "from": self.account.address,
            "nonce": self._next_nonce(),
            "chainId": self.chain_id,
            **self._fee_params(),
        }
        if gas is not None:
            params["gas"] = gas
        try:
            tx = call.build_transaction(params)
            signed = self.account.sign_transaction(tx)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except (ContractCustomError, ContractLogicError) as exc:
            self._nonce = None
            raise self._explain(exc) from None
        except Exception:
            self._nonce, self._fees = None, None  # "nonce too low", "fee below base fee": resync both
            raise
        self._nonce = params["nonce"] + 1
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        if receipt["status"] != 1:
            raise self._replay_failure(call, receipt)
        self.wait_for_confirmations(receipt)
        return receipt

    def resync(self) -> None:
        """Forget the cached nonce and fees: after a reorg or another sender's use of this key."""
        self._nonce, self._fees = None, None

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        return self._nonce

    def _fee_params(self) -> dict[str, int]:
        """EIP-1559 fees (twice the base fee plus the node's tip), or a legacy gas price where the chain has no base fee."""
        now = time.monotonic()
        if self._fees is None or now - self._fees[0] > FEE_REFRESH_SECONDS:
            base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas")
            if base_fee is None:
                fees = {"gasPrice": self.w3.eth.gas_price}
            else:
                tip = self.w3.eth.max_priority_fee
                fees = {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}
            self._fees = (now, fees)
        return self._fees[1]

    def wait_for_confirmations(self, receipt: TxReceipt, timeout: float = 120.0) -> None:
        if self.confirmations <= 1:
            return  # a mined receipt is its own first confirmation
        deadline = time.monotonic() + timeout
        while self.w3.eth.block_number - receipt["blockNumber"] + 1 < self.confirmations:
            if time.monotonic() > deadline:
                raise ChainError(f"transaction {receipt['transactionHash'].hex()} not confirmed in {timeout}s")
            time.sleep(0.5)

    def _explain(self, exc: Exception) -> ChainError:
        data = getattr(exc, "data", None)
        if isinstance(data, (str, bytes)):
            decoded = self.decode_revert(data)
            if decoded is not None:
                return decoded
        return ChainError(f"transaction would revert: {exc}")

    def _replay_failure(self, call: ContractFunction, receipt: TxReceipt) -> ChainError:
        try:
            call.call({"from": self.account.address}, block_identifier=receipt["blockNumber"])
        except (ContractCustomError, ContractLogicError) as exc:
            return self._explain(exc)
        return ChainError(f"transaction {receipt['transactionHash'].hex()} reverted")


def connect(settings: Settings) -> Chain:
    """Connect to `settings.rpc_url`; check the chain id when one is configured."""
    # cache_allowed_requests: web3 asks eth_chainId several times per transaction; it cannot change
    w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 60}, cache_allowed_requests=True))
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:  # connection refused, DNS, HTTP errors: one clear message
        raise ChainError(f"cannot reach the chain at {settings.rpc_url}: {exc}") from None
    if settings.chain_id is not None and settings.chain_id != chain_id:
        raise ChainError(f"{settings.rpc_url} serves chain id {chain_id}, configuration expects {settings.chain_id}")
    if _needs_poa_middleware(w3):
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return Chain(w3=w3, account=load_account(settings), chain_id=chain_id, confirmations=settings.confirmations)


def load_account(settings: Settings) -> LocalAccount | None:
    """The signing account: a raw key, or a web3-encrypted keystore file and its password file."""
    if settings.private_key:
        return Account.from_key(settings.private_key)
    if settings.keystore:
        if settings.keystore_password_file is None:
            raise ChainError("ZCL_KEYSTORE needs ZCL_KEYSTORE_PASSWORD_FILE")
        password = settings.keystore_password_file.read_text().rstrip("\n")
        key = Account.decrypt(json.loads(settings.keystore.read_text()), password)
        return Account.from_key(key)
    return None


def _needs_poa_middleware(w3: Web3) -> bool:
    """Clique/QBFT chains put more than 32 bytes in extraData, which web3 rejects without it."""
    block = w3.manager.request_blocking("eth_getBlockByNumber", ["latest", False])
    extra = block.get("extraData", "0x") if isinstance(block, dict) else block["extraData"]
    return len(HexBytes(extra)) > 32


def _tuple_type(item: dict) -> str:
    inner = ",".join(c["type"] if c["type"] != "tuple" else _tuple_type(c) for c in item["components"])
    return f"({inner})"


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)
