"""The API's view of the chain: one read-only connection, and per-request signers for users' keys.

The API never holds a key of its own. A user's transactions are signed either with the user's
server-side keystore (decrypted for the one request with the password the user sends, then dropped)
or by the user's wallet, in which case the API only relays the raw transaction.
"""

from __future__ import annotations

import json
import threading

from eth_account import Account
from hexbytes import HexBytes
from web3.exceptions import ContractCustomError, ContractLogicError

from api.errors import ApiError
from api.models import User
from ledger.chain.clients import LedgerContracts
from ledger.chain.compiler import ABI_DIR, load_abi
from ledger.chain.connection import Chain, ChainError, connect
from ledger.chain.deployment import Deployment
from ledger.config import Settings


class ChainAccess:
    """Lazily connected, so the API starts (and serves its own tables) while the chain is down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(update={"private_key": None, "keystore": None})
        # the service account that anchors workflow steps (WorkflowLog RECORDER_ROLE), when one is configured
        self._recorder_settings = settings if settings.private_key or settings.keystore else None
        self._lock = threading.Lock()
        self._chain: Chain | None = None
        self._contracts: LedgerContracts | None = None
        self._recorder: LedgerContracts | None = None

    @property
    def chain(self) -> Chain:
        with self._lock:
            if self._chain is None:
                self._chain = connect(self.settings)
            return self._chain

    @property
    def deployment(self) -> Deployment:
        return Deployment.load(self.settings.deployment_path(self.chain.chain_id))

    @property
    def contracts(self) -> LedgerContracts:
        if self._contracts is None:
            contracts = LedgerContracts.attach(self.chain, self.deployment)
            with self._lock:
                self._contracts = self._contracts or contracts
        return self._contracts

    def recorder(self) -> LedgerContracts | None:
        """Clients signed by the API's recorder account (ZCL_PRIVATE_KEY / ZCL_KEYSTORE), or None without one."""
        if self._recorder_settings is None:
            return None
        with self._lock:
            if self._recorder is None:
                chain = connect(self._recorder_settings)
                self._recorder = LedgerContracts.attach(chain, Deployment.load(
                    self._recorder_settings.deployment_path(chain.chain_id)))
            return self._recorder

    def signer(self, user: User, keystore_password: str) -> LedgerContracts:
        """Clients whose transactions are signed by `user`'s server-side key (a fresh connection)."""
        if not user.keystore_json:
            raise ApiError(409, "no_server_key", f"user {user.username!r} has no server-side key; sign the "
                           "transaction in your wallet and POST it to /chain/transactions")
        try:
            key = Account.decrypt(json.loads(user.keystore_json), keystore_password)
        except ValueError:
            raise ApiError(403, "wrong_keystore_password", "the keystore password does not decrypt your key") from None
        chain = connect(self.settings)
        chain.account = Account.from_key(key)
        return LedgerContracts.attach(chain, self.deployment)

    def relay(self, user: User, raw_transaction: bytes) -> dict[str, object]:
        """Send a transaction the user signed in a wallet, after checking who signed it and where it goes."""
        try:
            sender = Account.recover_transaction(raw_transaction)
            tx = decode_transaction(raw_transaction)
        except Exception as exc:  # rlp / signature decoding raise many types
            raise ApiError(422, "invalid_transaction", f"not a signed transaction: {exc}") from None
        if user.address is None or sender.lower() != user.address.lower():
            raise ApiError(403, "wrong_signer", f"transaction signed by {sender}, not by your address {user.address}")
        targets = {a.lower(): name for name, a in self.deployment.addresses.items()}
        to = (tx.get("to") or "").lower()
        if to not in targets:
            raise ApiError(422, "unknown_target",
                           f"transactions are relayed only to the ledger's contracts, not {to or 'a deployment'}")
        chain = self.chain
        for name in targets.values():  # so a revert of any of them decodes to its custom error
            if (ABI_DIR / f"{name}.json").exists():
                chain.register_errors(load_abi(name))
        try:
            chain.w3.eth.call({"from": sender, "to": tx["to"], "data": tx.get("data", "0x"), "value": tx.get("value", 0)})
        except (ContractCustomError, ContractLogicError) as exc:
            data = getattr(exc, "data", None)
            decoded = chain.decode_revert(data) if isinstance(data, (str, bytes)) else None
            raise decoded or ChainError(f"transaction would revert: {exc}") from None
        try:
            tx_hash = chain.w3.eth.send_raw_transaction(raw_transaction)
        except ValueError as exc:  # nonce too low, fee too low, …: the node's own words
            raise ApiError(409, "transaction_refused", f"the node refused the transaction: {exc}") from None
        receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        return {"transaction_hash": "0x" + bytes(tx_hash).hex(), "contract": targets[to], "sender": sender,
                "status": "success" if receipt["status"] == 1 else "reverted", "block_number": receipt["blockNumber"],
                "gas_used": receipt["gasUsed"]}


def decode_transaction(raw: bytes) -> dict[str, object]:
    """`to` (checksummed or None), `data` (0x-hex) and `value` (wei) of a signed legacy or typed (EIP-2718)
    transaction, read without sending it: what a route checks of a wallet-signed call before relaying it.

    Raises whatever the RLP decoding raises on bytes that are not a transaction; callers answer those with
    422 `invalid_transaction`. Who signed it is not checked here (ChainAccess.relay recovers the signer).
    """
    from eth_account._utils.legacy_transactions import Transaction
    from eth_account.typed_transactions import TypedTransaction
    from eth_utils import to_checksum_address

    raw = HexBytes(raw)
    if raw[0] <= 0x7F:
        fields = TypedTransaction.from_bytes(raw).as_dict()
        to, data, value = fields.get("to"), fields.get("data", b""), fields.get("value", 0)
    else:
        tx = Transaction.from_bytes(raw)
        to, data, value = tx.to, tx.data, tx.value
    return {"to": to_checksum_address(bytes(to)) if to else None, "data": "0x" + bytes(data).hex(), "value": int(value)}
