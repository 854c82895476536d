"""The CreditMarket (escrowed listings of credits, paid in the settlement token) and the settlement ERC-20:
their clients and the records their writes return (re-exported by ledger.chain.credits).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain.receipts import ReceiptClient, Transaction


@dataclass(frozen=True)
class Listing:
    """A market listing; `remaining` is 0 once filled or cancelled. Price in the token's smallest unit."""

    listing_id: int
    token_id: int
    remaining: int
    seller: str
    price_per_unit: int


@dataclass(frozen=True)
class Listed:
    listing: Listing
    tx: Transaction


@dataclass(frozen=True)
class Purchase:
    listing_id: int
    buyer: str
    seller: str
    token_id: int
    amount: int
    cost: int
    remaining: int
    tx: Transaction


@dataclass(frozen=True)
class Cancellation:
    listing_id: int
    returned: int
    tx: Transaction


class CreditMarketClient(ReceiptClient):
    NAME = "CreditMarket"

    def list_units(self, token_id: int, amount: int, price_per_unit: int) -> Listed:
        """Escrow `amount` units at `price_per_unit` (settlement token's smallest unit per tonne).

        The seller must have approved the market on CarbonCredit (see CreditContracts.ensure_market_approval).
        """
        receipt = self._send("list", token_id, amount, price_per_unit)
        listing_id = int(self._one(receipt, "Listed")["listingId"])
        return Listed(self.listing(listing_id), Transaction.of(receipt))

    def buy(self, listing_id: int, amount: int) -> Purchase:
        """Take `amount` units of a listing, paying the seller; ExceedsListing beyond what is left."""
        receipt = self._send("buy", listing_id, amount)
        a = self._one(receipt, "Purchased")
        return Purchase(int(listing_id), a["buyer"], a["seller"], int(a["tokenId"]), int(a["amount"]), int(a["cost"]),
                        int(a["remaining"]), Transaction.of(receipt))

    def cancel(self, listing_id: int) -> Cancellation:
        receipt = self._send("cancel", listing_id)
        return Cancellation(int(listing_id), int(self._one(receipt, "ListingCancelled")["returned"]),
                            Transaction.of(receipt))

    def listing(self, listing_id: int) -> Listing:
        token_id, remaining, seller, price = self._call("listingOf", listing_id)
        return Listing(int(listing_id), int(token_id), int(remaining), seller, int(price))

    def listing_count(self) -> int:
        return int(self._call("listingCount"))

    def listings(self, open_only: bool = True) -> list[Listing]:
        all_listings = [self.listing(i) for i in range(1, self.listing_count() + 1)]
        return [x for x in all_listings if x.remaining or not open_only]


class SettlementTokenClient(ReceiptClient):
    """The ERC-20 prices are paid in. On dev chains the demo SettlementToken, whose owner can mint."""

    NAME = "SettlementToken"

    def balance(self, account: str) -> int:
        return int(self._call("balanceOf", account))

    def allowance(self, owner: str, spender: str) -> int:
        return int(self._call("allowance", owner, spender))

    def approve(self, spender: str, amount: int) -> Transaction:
        return Transaction.of(self._send("approve", spender, amount))

    def transfer(self, to: str, amount: int) -> Transaction:
        return Transaction.of(self._send("transfer", to, amount))

    def mint(self, to: str, amount: int) -> Transaction:
        """Demo token only (OwnableUnauthorizedAccount for anyone but its owner)."""
        return Transaction.of(self._send("mint", to, amount))

    def decimals(self) -> int:
        return int(self._call("decimals"))

    def symbol(self) -> str:
        return str(self._call("symbol"))
