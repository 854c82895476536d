"""The index's tables: one row per fact the contracts emit, plus the readings of every anchored batch.

Every table is prefixed `idx_` and lives in its own metadata (`IndexTable.metadata`), so the API's
tables can share the database without either side touching the other's. Hashes, ids, keys and
addresses are `0x` hex text (checksummed for addresses), so rows read the same in SQL, JSON and
an explorer. Which rows come from where:

- `idx_raw_events`: every decoded log, the source every other event table is replayed from;
- state tables (organisations, devices, results, credits, certification): projections of raw events,
  rebuilt by replay after a reorg;
- evidence tables (`idx_batches`, `idx_batch_devices`, `idx_readings`, `idx_daily_usage`): a batch's
  anchor joined with its evidence file, removed by block number after a reorg.
"""

from __future__ import annotations

from ledger.indexer.models.base import IndexTable
from ledger.indexer.models.credits import (
    CertificationApplication,
    CertificationCriteria,
    CertificationDecision,
    CertificationStatusChange,
    CreditBalance,
    CreditClass,
    CreditIssuance,
    CreditProject,
    CreditRetirement,
    CreditTransfer,
    CreditVerification,
    ExternalImport,
    LevelRequirement,
    MarketListing,
    MarketPurchase,
    RetirementCertificate,
)
from ledger.indexer.models.core import (
    AccountingResult,
    Batch,
    BatchApproval,
    BatchDevice,
    BatchQuorum,
    Cursor,
    DailyUsage,
    Device,
    DeviceKey,
    DeviceStatusChange,
    IndexedBlock,
    OracleAuthorisation,
    OrgAdmin,
    OrgNode,
    Quorum,
    RawEvent,
    Reading,
    ResultStatusChange,
    RoleMember,
    Verifier,
    WorkflowStep,
)

EVIDENCE_TABLES = (Batch, BatchDevice, Reading, DailyUsage)
BOOKKEEPING_TABLES = (Cursor, IndexedBlock)
STATE_TABLES = tuple(
    mapper.class_ for mapper in sorted(IndexTable._sa_registry.mappers, key=lambda m: m.class_.__tablename__)
    if mapper.class_ not in (*EVIDENCE_TABLES, *BOOKKEEPING_TABLES, RawEvent)
)

__all__ = [
    "AccountingResult",
    "BOOKKEEPING_TABLES",
    "Batch",
    "BatchApproval",
    "BatchDevice",
    "BatchQuorum",
    "CertificationApplication",
    "CertificationCriteria",
    "CertificationDecision",
    "CertificationStatusChange",
    "CreditBalance",
    "CreditClass",
    "CreditIssuance",
    "CreditProject",
    "CreditRetirement",
    "CreditTransfer",
    "CreditVerification",
    "Cursor",
    "DailyUsage",
    "Device",
    "DeviceKey",
    "DeviceStatusChange",
    "EVIDENCE_TABLES",
    "ExternalImport",
    "IndexTable",
    "IndexedBlock",
    "LevelRequirement",
    "MarketListing",
    "MarketPurchase",
    "OracleAuthorisation",
    "OrgAdmin",
    "OrgNode",
    "Quorum",
    "RawEvent",
    "Reading",
    "ResultStatusChange",
    "RetirementCertificate",
    "RoleMember",
    "STATE_TABLES",
    "Verifier",
    "WorkflowStep",
]
