"""Retired credits: the soulbound RetirementCertificate's client, the Retirement a retire call returns, and
how a meeting's tonnes are covered from an account's holdings (re-exported by ledger.chain.credits).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.chain.codes import ClaimKind, SerialRange, decode_token_id
from ledger.chain.receipts import ReceiptClient, Transaction

ZERO_CLAIM = bytes(32)


@dataclass(frozen=True)
class Certificate:
    """A retirement certificate as stored, with its (only ever) owner, the beneficiary."""

    certificate_id: int
    owner: str
    claim_kind: ClaimKind
    claim_id: bytes
    period_start: int
    period_end: int
    retired_at: int
    tonnes: int
    range_count: int
    ranges_hash: bytes
    reason: str


@dataclass(frozen=True)
class Retirement:
    """A retirement: the certificate minted, the serial ranges burned and the claim they back."""

    certificate_id: int
    retiree: str
    beneficiary: str
    tonnes: int
    ranges: tuple[SerialRange, ...]
    claim_kind: ClaimKind
    claim_id: bytes
    period_start: int
    period_end: int
    reason: str
    tx: Transaction


class RetirementCertificateClient(ReceiptClient):
    NAME = "RetirementCertificate"

    def certificate(self, certificate_id: int) -> Certificate:
        """ERC721NonexistentToken for an id never minted."""
        kind, start, end, retired_at, tonnes, range_count, claim_id, ranges_hash, reason = self._call(
            "certificateOf", certificate_id)
        return Certificate(certificate_id, self.owner_of(certificate_id), ClaimKind(kind), bytes(claim_id), start, end,
                           retired_at, tonnes, range_count, bytes(ranges_hash), reason)

    def owner_of(self, certificate_id: int) -> str:
        return str(self._call("ownerOf", certificate_id))

    def certificate_for_claim(self, claim_kind: ClaimKind, claim_id: bytes, retiree: str) -> int:
        """The certificate with which `retiree` backed the claim, or 0."""
        return int(self._call("certificateForClaim", int(claim_kind), claim_id, retiree))

    def ranges_match(self, certificate_id: int, ranges: Iterable[SerialRange]) -> bool:
        return bool(self._call("rangesMatch", certificate_id, [r.as_tuple() for r in ranges]))

    def locked(self, certificate_id: int) -> bool:
        return bool(self._call("locked", certificate_id))

    def certificate_count(self) -> int:
        return int(self._call("certificateCount"))

    def transfer(self, certificate_id: int, to: str) -> Transaction:
        """Always reverts CertificateNotTransferable: certificates are soulbound (here so it can be shown)."""
        return Transaction.of(self._send("transferFrom", self.me, to, certificate_id))


def retirement_from_events(retired: dict, issued: dict, tx: Transaction) -> Retirement:
    """A Retirement from its two halves: CarbonCredit's CreditsRetired and the certificate's CertificateIssued."""
    ranges = tuple(
        SerialRange(int(r["tokenId"]), int(r["firstSerial"]), int(r["lastSerial"])) if hasattr(r, "keys")
        else SerialRange(int(r[0]), int(r[1]), int(r[2]))
        for r in retired["ranges"]
    )
    return Retirement(
        certificate_id=int(retired["certificateId"]),
        retiree=retired["retiree"],
        beneficiary=retired["beneficiary"],
        tonnes=int(retired["tonnes"]),
        ranges=ranges,
        claim_kind=ClaimKind(issued["claimKind"]),
        claim_id=bytes(issued["claimId"]),
        period_start=int(issued["periodStart"]),
        period_end=int(issued["periodEnd"]),
        reason=issued["reason"],
        tx=tx,
    )


class NotEnoughCredits(ValueError):
    """The holdings cannot cover what a retirement needs."""

    def __init__(self, needed: int, held: int, chosen: bool) -> None:
        self.needed, self.held = needed, held
        super().__init__(f"the meeting needs {needed} t of credits; the account holds {held} t"
                         + (" of the chosen token ids" if chosen else ""))


def cover_tonnes(holdings: dict[int, int], tonnes: int, chosen: list[int] | None = None) -> list[tuple[int, int]]:
    """(token id, amount) pairs covering `tonnes` from `holdings`: the chosen ids in their order, else the oldest
    vintage first (so credits nearest their end of use go first). NotEnoughCredits when they fall short."""
    order = chosen if chosen is not None else sorted(holdings, key=lambda t: (decode_token_id(t)[2], t))
    items, need = [], tonnes
    for token in order:
        take = min(holdings.get(token, 0), need)
        if take:
            items.append((token, take))
            need -= take
        if need == 0:
            return items
    raise NotEnoughCredits(tonnes, sum(holdings.get(t, 0) for t in order), chosen is not None)
