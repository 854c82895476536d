"""What CarbonCredit stores about its catalogue, verifications and issuance, and what its catalogue and
issuance writes return: the records ledger.chain.credits' CarbonCreditClient builds (re-exported there).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain.codes import SerialRange
from ledger.chain.receipts import Transaction


# --- what the contract stores ----------------------------------------------------------------


@dataclass(frozen=True)
class CreditClass:
    class_id: int
    standard: str
    methodology: str
    is_external: bool


@dataclass(frozen=True)
class Project:
    """Verified and issued tonnes are summed over all the project's verifications and vintages."""

    project_id: int
    class_id: int
    institution_id: int
    verified_tonnes: int
    issued_tonnes: int


@dataclass(frozen=True)
class Verification:
    """An approved verification; `result_id` is the AccountingLedger Savings result it cites (0: external)."""

    verification_id: bytes
    project_id: int
    vintage: int
    verified_tonnes: int
    issued_tonnes: int
    approved_at: int
    result_id: int = 0

    @property
    def remaining_tonnes(self) -> int:
        return self.verified_tonnes - self.issued_tonnes


@dataclass(frozen=True)
class SavingsBooking:
    """A Savings result's savings in whole tonnes and the tonnes verified against its restatement chain."""

    result_id: int
    savings_tonnes: int
    verified_tonnes: int

    @property
    def available_tonnes(self) -> int:
        return max(self.savings_tonnes - self.verified_tonnes, 0)


@dataclass(frozen=True)
class TokenSupply:
    """Serials 1..issued exist, 1..retired are retired; circulating = issued - retired."""

    token_id: int
    issued: int
    retired: int
    batch_count: int

    @property
    def circulating(self) -> int:
        return self.issued - self.retired


@dataclass(frozen=True)
class IssuanceBatch:
    token_id: int
    index: int
    first_serial: int
    last_serial: int
    issued_at: int
    verification_id: bytes


# --- what the writes return ------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """A new credit class or project id."""

    id: int
    tx: Transaction


@dataclass(frozen=True)
class Issuance:
    """Serials first..last of `token_id` minted to `to` (issue or external import)."""

    token_id: int
    verification_id: bytes
    to: str
    batch_index: int
    serials: SerialRange
    external_serial: str | None
    tx: Transaction
