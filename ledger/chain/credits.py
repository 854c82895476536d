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

This module holds CarbonCreditClient and the CreditContracts bundle; CarbonCredit's records are in
credit_records, the certificate and retirement helpers in credit_retirement, the market and settlement
token in credit_market. Every name is re-exported here: import the credit API from ledger.chain.credits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from eth_utils import keccak
from web3.types import TxReceipt

from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import ClaimKind, SerialRange
from ledger.chain.connection import Chain, ChainError
from ledger.chain.credit_market import (
    Cancellation,
    CreditMarketClient,
    Listed,
    Listing,
    Purchase,
    SettlementTokenClient,
)
from ledger.chain.credit_records import (
    CreditClass,
    Created,
    Issuance,
    IssuanceBatch,
    Project,
    SavingsBooking,
    TokenSupply,
    Verification,
)
from ledger.chain.credit_retirement import (
    ZERO_CLAIM,
    Certificate,
    NotEnoughCredits,
    Retirement,
    RetirementCertificateClient,
    cover_tonnes,
    retirement_from_events,
)
from ledger.chain.deployment import Deployment
from ledger.chain.receipts import ReceiptClient, Transaction

__all__ = [
    "CREDIT_ROLES",
    "ISSUER_ROLE",
    "VERIFIER_ROLE",
    "ZERO_CLAIM",
    "Cancellation",
    "CarbonCreditClient",
    "Certificate",
    "Created",
    "CreditClass",
    "CreditContracts",
    "CreditMarketClient",
    "Issuance",
    "IssuanceBatch",
    "Listed",
    "Listing",
    "NotEnoughCredits",
    "Project",
    "Purchase",
    "Retirement",
    "RetirementCertificateClient",
    "SavingsBooking",
    "SettlementTokenClient",
    "TokenSupply",
    "Verification",
    "cover_tonnes",
]

VERIFIER_ROLE = keccak(text="VERIFIER_ROLE")
ISSUER_ROLE = keccak(text="ISSUER_ROLE")
CREDIT_ROLES = {"verifier": VERIFIER_ROLE, "issuer": ISSUER_ROLE}


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
        return retirement_from_events(retired, issued, Transaction.of(receipt))

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
