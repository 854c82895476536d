"""What the credit and certification clients' writes hand back (the mined transaction), and the
receipt-reading base they share."""

from __future__ import annotations

from dataclasses import dataclass

from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.chain.clients import _Client
from ledger.chain.connection import ChainError


@dataclass(frozen=True)
class Transaction:
    """A mined transaction, as a person quotes it: hash, block and gas."""

    hash: str
    block_number: int
    gas_used: int

    @classmethod
    def of(cls, receipt: TxReceipt) -> "Transaction":
        raw = receipt["transactionHash"]
        text = raw.hex() if isinstance(raw, (bytes, bytearray)) else str(raw)
        return cls("0x" + text.removeprefix("0x"), int(receipt["blockNumber"]), int(receipt["gasUsed"]))

    def __str__(self) -> str:
        return f"tx {self.hash} (block {self.block_number}, gas {self.gas_used:,})"


class ReceiptClient(_Client):
    """A client whose writes return values read from their own events in the receipt."""

    def _events(self, receipt: TxReceipt, event: str) -> list[dict]:
        """Decoded args of every `event` of this contract in `receipt` (other contracts' logs ignored)."""
        return [log["args"] for log in getattr(self.contract.events, event)().process_receipt(receipt, errors=DISCARD)]

    def _one(self, receipt: TxReceipt, event: str) -> dict:
        events = self._events(receipt, event)
        if not events:
            raise ChainError(f"transaction succeeded without a {event} event")
        return events[0]

    @property
    def me(self) -> str:
        """The signing account's address."""
        if self.chain.account is None:
            raise ChainError("no signing key configured (set ZCL_PRIVATE_KEY or ZCL_KEYSTORE)")
        return self.chain.account.address
