"""Tables of the credit and certification contracts: CarbonCredit, RetirementCertificate, CreditMarket,
CertificationRegistry."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field

from ledger.indexer.columns import WideInt
from ledger.indexer.models.base import IndexTable, block_column as _block


# --- credits (CarbonCredit, RetirementCertificate, CreditMarket) ---------------------------------


class CreditClass(IndexTable, table=True):
    __tablename__ = "idx_credit_classes"
    class_id: int = Field(primary_key=True)
    standard: str
    methodology: str
    is_external: bool
    block_number: int = _block()


class CreditProject(IndexTable, table=True):
    __tablename__ = "idx_credit_projects"
    project_id: int = Field(sa_type=BigInteger, primary_key=True)
    class_id: int = Field(index=True)
    institution_id: int = Field(sa_type=BigInteger, index=True)
    name: str
    block_number: int = _block()


class CreditVerification(IndexTable, table=True):
    __tablename__ = "idx_credit_verifications"
    verification_id: str = Field(primary_key=True)
    project_id: int = Field(sa_type=BigInteger, index=True)
    verifier: str
    vintage: int
    verified_tonnes: int = Field(sa_type=WideInt)
    result_id: int = Field(default=0, sa_type=BigInteger)  # the accounting result it rests on, 0 when none
    evidence_cid: str
    block_number: int = _block()


class CreditIssuance(IndexTable, table=True):
    """CreditsIssued: serials first..last of a token id; `external_serial` set for imports."""

    __tablename__ = "idx_credit_issuances"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    token_id: int = Field(sa_type=WideInt, index=True)
    class_id: int
    project_id: int = Field(sa_type=BigInteger, index=True)
    vintage: int
    verification_id: str
    recipient: str
    batch_index: int
    first_serial: int = Field(sa_type=WideInt)
    last_serial: int = Field(sa_type=WideInt)
    amount: int = Field(sa_type=WideInt)
    transaction_hash: str


class ExternalImport(IndexTable, table=True):
    __tablename__ = "idx_credit_external_imports"
    registry_key: str = Field(primary_key=True)
    token_id: int = Field(sa_type=WideInt, index=True)
    standard: str
    external_serial: str
    first_serial: int = Field(sa_type=WideInt)
    last_serial: int = Field(sa_type=WideInt)
    block_number: int = _block()


class CreditTransfer(IndexTable, table=True):
    """ERC-1155 TransferSingle / TransferBatch, one row per token id moved (mint: from 0; burn: to 0)."""

    __tablename__ = "idx_credit_transfers"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    item: int = Field(primary_key=True)
    operator: str
    sender: str = Field(index=True)
    recipient: str = Field(index=True)
    token_id: int = Field(sa_type=WideInt, index=True)
    amount: int = Field(sa_type=WideInt)
    transaction_hash: str


class CreditBalance(IndexTable, table=True):
    """Holdings per account and token id, summed from the transfers."""

    __tablename__ = "idx_credit_balances"
    account: str = Field(primary_key=True)
    token_id: int = Field(sa_type=WideInt, primary_key=True)
    amount: int = Field(sa_type=WideInt)


class CreditRetirement(IndexTable, table=True):
    """CreditsRetired: who retired how many tonnes for whom, and the exact serial ranges burned."""

    __tablename__ = "idx_credit_retirements"
    certificate_id: int = Field(sa_type=WideInt, primary_key=True)
    retiree: str = Field(index=True)
    beneficiary: str = Field(index=True)
    tonnes: int = Field(sa_type=WideInt)
    ranges: list = Field(sa_type=JSON)  # [{"tokenId": …, "firstSerial": …, "lastSerial": …}]
    block_number: int = _block()
    transaction_hash: str


class RetirementCertificate(IndexTable, table=True):
    """CertificateIssued: the soulbound certificate and the claim it backs."""

    __tablename__ = "idx_retirement_certificates"
    certificate_id: int = Field(sa_type=WideInt, primary_key=True)
    beneficiary: str = Field(index=True)
    retiree: str
    claim_id: str = Field(index=True)
    claim_kind: int
    period_start: int = Field(sa_type=BigInteger)
    period_end: int = Field(sa_type=BigInteger)
    tonnes: int = Field(sa_type=WideInt)
    range_count: int
    ranges_hash: str
    reason: str
    block_number: int = _block()


class MarketListing(IndexTable, table=True):
    __tablename__ = "idx_market_listings"
    listing_id: int = Field(sa_type=WideInt, primary_key=True)
    seller: str = Field(index=True)
    token_id: int = Field(sa_type=WideInt, index=True)
    amount: int = Field(sa_type=WideInt)
    price_per_unit: int = Field(sa_type=WideInt)
    remaining: int = Field(sa_type=WideInt)
    status: str  # open | sold | cancelled
    block_number: int = _block()


class MarketPurchase(IndexTable, table=True):
    __tablename__ = "idx_market_purchases"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    listing_id: int = Field(sa_type=WideInt, index=True)
    buyer: str = Field(index=True)
    seller: str
    token_id: int = Field(sa_type=WideInt)
    amount: int = Field(sa_type=WideInt)
    cost: int = Field(sa_type=WideInt)
    remaining: int = Field(sa_type=WideInt)
    transaction_hash: str


# --- certification (CertificationRegistry) ------------------------------------------------------


class CertificationCriteria(IndexTable, table=True):
    __tablename__ = "idx_certification_criteria"
    level: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    max_net_emissions: int = Field(sa_type=WideInt)
    min_reduction_bps: int
    validity: int = Field(sa_type=BigInteger)
    rules_hash: str
    rules_cid: str
    block_number: int = _block()


class LevelRequirement(IndexTable, table=True):
    __tablename__ = "idx_certification_level_requirements"
    region_id: int = Field(sa_type=BigInteger, primary_key=True)
    required: bool
    set_by: str
    block_number: int = _block()


class CertificationApplication(IndexTable, table=True):
    __tablename__ = "idx_certification_applications"
    application_id: int = Field(sa_type=BigInteger, primary_key=True)
    institution_id: int = Field(sa_type=BigInteger, index=True)
    claim_id: str
    level: int
    criteria_version: int
    result_id: int = Field(sa_type=BigInteger)
    baseline_result_id: int = Field(sa_type=BigInteger)
    certificate_id: int = Field(sa_type=WideInt)
    document_cid: str
    status: int
    status_name: str
    approvals: int = 0
    valid_from: int | None = Field(default=None, sa_type=BigInteger)
    valid_until: int | None = Field(default=None, sa_type=BigInteger)
    block_number: int = _block()
    transaction_hash: str


class CertificationDecision(IndexTable, table=True):
    __tablename__ = "idx_certification_decisions"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    application_id: int = Field(sa_type=BigInteger, index=True)
    region_id: int = Field(sa_type=BigInteger)
    regulator: str
    stage: int
    approved: bool
    reason: str
    document_cid: str
    transaction_hash: str


class CertificationStatusChange(IndexTable, table=True):
    __tablename__ = "idx_certification_status_changes"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    application_id: int = Field(sa_type=BigInteger, index=True)
    from_status: int
    to_status: int
    account: str
    reason: str
    transaction_hash: str
