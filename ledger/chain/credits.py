"""Typed clients of the credit contracts: CarbonCredit (ERC-1155 with serials), its soulbound
RetirementCertificate, the CreditMarket and the settlement token it is paid in.

Retiring credits (the API other modules build on; keep it stable)::

    bundle = CreditContracts.of(ledger_contracts)          # or CreditContracts.attach(chain, deployment)
    retirement = bundle.credits.retire(
        token_id, amount,
        beneficiary="0x…", reason="Offset of meeting 42",
        period_start=1_717_200_000, period_end=1_717_286_400,   # unix seconds, [start, end)
        claim_kind=ClaimKind.MEETING, claim_id=b"…32 bytes…",     # default: ClaimKind.NONE, 32 zero bytes
    ) -> Retirement
    bundle.credits.retire_batch([(token_id, amount), …], beneficiary=…, reason=…, period_start=…,
                                period_end=…, claim_kind=…, claim_id=…) -> Retirement

`Retirement` carries the certificate id, the tonnes, the exact serial ranges burned, the claim and
the transaction. Units burned are always the token's lowest unretired serials (see
ledger.chain.codes.SerialRange). Reverts raise ContractRevert with the contract's error name:
ERC1155InsufficientBalance (more than owned), ClaimAlreadyBacked (a claim backed twice by one
retiree), InvalidClaim, InvalidClaimPeriod, ZeroAmount, EmptyRetirement.
`bundle.certificates.certificate_for_claim(kind, claim_id, retiree)` finds the certificate later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from eth_utils import keccak
from web3.types import TxReceipt

from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ClaimKind, SerialRange, decode_token_id
from ledger.chain.connection import Chain, ChainError
from ledger.chain.deployment import Deployment
from ledger.chain.receipts import ReceiptClient, Transaction

ZERO_CLAIM = bytes(32)
VERIFIER_ROLE = keccak(text="VERIFIER_ROLE")
ISSUER_ROLE = keccak(text="ISSUER_ROLE")
CREDIT_ROLES = {"verifier": VERIFIER_ROLE, "issuer": ISSUER_ROLE}


# --- what the contracts store ----------------------------------------------------------------


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
class Listing:
    """A market listing; `remaining` is 0 once filled or cancelled. Price in the token's smallest unit."""

    listing_id: int
    token_id: int
    remaining: int
    seller: str
    price_per_unit: int


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


# --- clients ---------------------------------------------------------------------------------


class CarbonCreditClient(ReceiptClient):
    NAME = "CarbonCredit"

    # roles and catalogue

    def grant_role(self, role: str, account: str) -> Transaction:
        """Grant `role` ("verifier" or "issuer") to `account`; the caller needs DEFAULT_ADMIN_ROLE."""
        if role not in CREDIT_ROLES:
            raise ValueError(f"role must be one of {', '.join(CREDIT_ROLES)}; got {role!r}")
        return Transaction.of(self._send("grantRole", CREDIT_ROLES[role], account))

    def has_role(self, role: str, account: str) -> bool:
        return bool(self._call("hasRole", CREDIT_ROLES[role], account))

    def create_class(self, standard: str, methodology: str, external: bool) -> Created:
        receipt = self._send("createCreditClass", standard, methodology, external)
        return Created(int(self._one(receipt, "CreditClassCreated")["classId"]), Transaction.of(receipt))

    def register_project(self, class_id: int, institution_id: int, name: str) -> Created:
        """A project of `class_id` crediting `institution_id` (0 for a project outside the tree)."""
        receipt = self._send("registerProject", class_id, institution_id, name)
        return Created(int(self._one(receipt, "ProjectRegistered")["projectId"]), Transaction.of(receipt))

    def approve_verification(
        self, verification_id: bytes, project_id: int, vintage: int, tonnes: int, evidence_cid: str,
        result_id: int = 0,
    ) -> Transaction:
        """As a verifier: allow issuing up to `tonnes` of `project_id`'s `vintage` against this id.

        An internal class's project must cite the institution's Final Savings result `result_id`,
        and `vintage` be a year (China Standard Time) its reporting period falls in, at least in part
        (SavingsResultRequired, NotSavingsResult, ResultNotInstitutionWide, ResultNotFinal,
        VintageOutsideSavingsPeriod, VerifiedTonnesExceedSavings otherwise); an external class's cites none (0).
        """
        return Transaction.of(
            self._send("approveVerification", verification_id, project_id, vintage, tonnes, result_id, evidence_cid)
        )

    # issuance

    def issue(self, verification_id: bytes, to: str, amount: int) -> Issuance:
        """Mint `amount` t as the token's next serial range; IssuanceExceedsVerifiedSavings beyond the verification."""
        return self._issuance(self._send("issue", verification_id, to, amount), None)

    def import_external(self, verification_id: bytes, to: str, amount: int, external_serial: str) -> Issuance:
        """Bring in credits of an external registry; ExternalSerialAlreadyImported for a serial seen before."""
        receipt = self._send("importExternalCredits", verification_id, to, amount, external_serial)
        return self._issuance(receipt, external_serial)

    def _issuance(self, receipt: TxReceipt, external_serial: str | None) -> Issuance:
        a = self._one(receipt, "CreditsIssued")
        return Issuance(
            token_id=int(a["tokenId"]),
            verification_id=bytes(a["verificationId"]),
            to=a["to"],
            batch_index=int(a["batchIndex"]),
            serials=SerialRange(int(a["tokenId"]), int(a["firstSerial"]), int(a["lastSerial"])),
            external_serial=external_serial,
            tx=Transaction.of(receipt),
        )

    # transfer and retirement

    def transfer(self, to: str, token_id: int, amount: int) -> Transaction:
        """Send `amount` units of `token_id` from the signing account (ERC-1155 safeTransferFrom)."""
        return Transaction.of(self._send("safeTransferFrom", self.me, to, token_id, amount, b""))

    def set_approval_for_all(self, operator: str, approved: bool) -> Transaction:
        return Transaction.of(self._send("setApprovalForAll", operator, approved))

    def is_approved_for_all(self, owner: str, operator: str) -> bool:
        return bool(self._call("isApprovedForAll", owner, operator))

    def retire(
        self,
        token_id: int,
        amount: int,
        *,
        beneficiary: str,
        reason: str,
        period_start: int,
        period_end: int,
        claim_kind: ClaimKind = ClaimKind.NONE,
        claim_id: bytes = ZERO_CLAIM,
    ) -> Retirement:
        """Burn `amount` units (lowest unretired serials) and mint a certificate to `beneficiary`."""
        receipt = self._send("retire", token_id, amount, beneficiary, reason, int(claim_kind), claim_id,
                             period_start, period_end)
        return self._retirement(receipt)

    def retire_batch(
        self,
        items: Sequence[tuple[int, int]],
        *,
        beneficiary: str,
        reason: str,
        period_start: int,
        period_end: int,
        claim_kind: ClaimKind = ClaimKind.NONE,
        claim_id: bytes = ZERO_CLAIM,
    ) -> Retirement:
        """`retire` for several (token id, amount) pairs, repeats allowed: one transaction, one certificate."""
        token_ids = [int(t) for t, _ in items]
        amounts = [int(a) for _, a in items]
        receipt = self._send("retireBatch", token_ids, amounts, beneficiary, reason, int(claim_kind), claim_id,
                             period_start, period_end)
        return self._retirement(receipt)

    def _retirement(self, receipt: TxReceipt) -> Retirement:
        retired = self._one(receipt, "CreditsRetired")
        issued = self._certificates._one(receipt, "CertificateIssued")
        return _retirement(retired, issued, Transaction.of(receipt))

    @cached_property
    def _certificates(self) -> "RetirementCertificateClient":
        """The certificate contract's client, to read the CertificateIssued half of a retirement."""
        return RetirementCertificateClient(self.chain, self.deployment)

    def retirement(self, certificate_id: int) -> Retirement:
        """A past retirement, rebuilt from its CreditsRetired and CertificateIssued events."""
        logs = list(self._logs("CreditsRetired", 0, None, certificateId=certificate_id))
        if not logs:
            raise ChainError(f"no retirement with certificate {certificate_id}")
        receipt = self.chain.w3.eth.get_transaction_receipt(logs[0]["transactionHash"])
        return self._retirement(receipt)

    def retirements(self, from_block: int = 0, retiree: str | None = None) -> list[Retirement]:
        filters = {} if retiree is None else {"retiree": retiree}
        return [self.retirement(int(log["args"]["certificateId"]))
                for log in self._logs("CreditsRetired", from_block, None, **filters)]

    # reads

    def balance(self, account: str, token_id: int) -> int:
        return int(self._call("balanceOf", account, token_id))

    def holdings(self, account: str) -> dict[int, int]:
        """Non-zero balances of `account` over every token id ever issued."""
        ids = self.token_ids()
        if not ids:
            return {}
        balances = self._call("balanceOfBatch", [account] * len(ids), ids)
        return {t: int(b) for t, b in zip(ids, balances) if b}

    def token_ids(self, from_block: int = 0) -> list[int]:
        """Every token id with an issuance, in first-issuance order."""
        seen: dict[int, None] = {}
        for log in self._logs("CreditsIssued", from_block, None):
            seen.setdefault(int(log["args"]["tokenId"]), None)
        return list(seen)

    def credit_class(self, class_id: int) -> CreditClass:
        standard, methodology, is_external = self._call("creditClassOf", class_id)
        return CreditClass(class_id, standard, methodology, bool(is_external))

    def class_count(self) -> int:
        return int(self._call("creditClassCount"))

    def project(self, project_id: int) -> Project:
        return Project(project_id, *(int(v) for v in self._call("projectOf", project_id)))

    def project_count(self) -> int:
        return int(self._call("projectCount"))

    def verification(self, verification_id: bytes) -> Verification:
        project_id, vintage, verified, issued, approved_at, result_id = self._call("verificationOf", verification_id)
        return Verification(verification_id, project_id, vintage, verified, issued, approved_at, result_id)

    def verifications(self, from_block: int = 0) -> list[tuple[Verification, str]]:
        """Every approved verification with its evidence CID, in approval order."""
        return [(self.verification(bytes(log["args"]["verificationId"])), str(log["args"]["evidenceCid"]))
                for log in self._logs("VerificationApproved", from_block, None)]

    def savings(self, result_id: int) -> SavingsBooking:
        """What AccountingLedger result `result_id` allows: UnknownResult for an id never used."""
        savings, verified = self._call("savingsOf", result_id)
        return SavingsBooking(result_id, int(savings), int(verified))

    def supply(self, token_id: int) -> TokenSupply:
        return TokenSupply(token_id, *(int(v) for v in self._call("supplyOf", token_id)))

    def issuance_batches(self, token_id: int) -> list[IssuanceBatch]:
        return [self._batch(token_id, i, self._call("issuanceBatchOf", token_id, i))
                for i in range(self.supply(token_id).batch_count)]

    def batch_of_serial(self, token_id: int, serial: int) -> IssuanceBatch:
        """The issuance batch that created `serial`; UnknownSerial when it was never issued."""
        raw = self._call("batchOfSerial", token_id, serial)
        index = next(b.index for b in self.issuance_batches(token_id) if b.first_serial == raw[0])
        return self._batch(token_id, index, raw)

    def is_retired(self, token_id: int, serial: int) -> bool:
        return bool(self._call("isRetired", token_id, serial))

    def is_external_serial_imported(self, standard: str, external_serial: str) -> bool:
        return bool(self._call("isExternalSerialImported", standard, external_serial))

    @staticmethod
    def _batch(token_id: int, index: int, raw: Sequence[object]) -> IssuanceBatch:
        first, last, issued_at, verification_id = raw
        return IssuanceBatch(token_id, index, int(first), int(last), int(issued_at), bytes(verification_id))


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


@dataclass
class CreditContracts:
    """The credit clients over one connection and a deployment that includes the credit contracts."""

    credits: CarbonCreditClient
    certificates: RetirementCertificateClient
    market: CreditMarketClient
    settlement: SettlementTokenClient

    @classmethod
    def attach(cls, chain: Chain, deployment: Deployment) -> "CreditContracts":
        if deployment.chain_id != chain.chain_id:
            raise ChainError(f"deployment is for chain {deployment.chain_id}, connected to chain {chain.chain_id}")
        return cls(CarbonCreditClient(chain, deployment), RetirementCertificateClient(chain, deployment),
                   CreditMarketClient(chain, deployment), SettlementTokenClient(chain, deployment))

    @classmethod
    def of(cls, contracts: LedgerContracts) -> "CreditContracts":
        return cls.attach(contracts.organizations.chain, contracts.organizations.deployment)

    def ensure_market_approval(self) -> Transaction | None:
        """Let the market escrow the signing account's credits (once per account); None when already done."""
        me = self.credits.me
        if self.credits.is_approved_for_all(me, self.market.contract.address):
            return None
        return self.credits.set_approval_for_all(self.market.contract.address, True)

    def ensure_allowance(self, cost: int) -> Transaction | None:
        """Let the market take `cost` of the settlement token from the signing account; None when allowed."""
        me = self.credits.me
        if self.settlement.allowance(me, self.market.contract.address) >= cost:
            return None
        return self.settlement.approve(self.market.contract.address, cost)


def _retirement(retired: dict, issued: dict, tx: Transaction) -> Retirement:
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
