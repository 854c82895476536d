"""Tables of the ledger's core contracts and evidence: bookkeeping, raw events, organisations, devices,
batches and readings, accounting results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field

from ledger.indexer.columns import ExactDecimal, WideInt
from ledger.indexer.models.base import IndexTable, block_column as _block


# --- bookkeeping ------------------------------------------------------------------------------


class Cursor(IndexTable, table=True):
    """The last block whose events are all in the index (one row)."""

    __tablename__ = "idx_cursor"
    id: int = Field(default=1, primary_key=True)
    chain_id: int = Field(sa_type=BigInteger)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str | None = None


class IndexedBlock(IndexTable, table=True):
    """Hashes of recent indexed blocks (those with events, and each step's last): the reorg check compares them."""

    __tablename__ = "idx_blocks"
    number: int = Field(sa_type=BigInteger, primary_key=True)
    hash: str


class RawEvent(IndexTable, table=True):
    """A decoded log as the chain served it; `args` holds the arguments by name (bytes as 0x hex)."""

    __tablename__ = "idx_raw_events"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    block_hash: str
    transaction_hash: str = Field(index=True)
    transaction_index: int
    contract: str = Field(index=True)
    address: str
    event: str = Field(index=True)
    args: dict = Field(sa_type=JSON)


# --- organisations and roles ------------------------------------------------------------------


class OrgNode(IndexTable, table=True):
    """A node of the organisation tree; `path` is "/root/…/self/" so a subtree is `path LIKE '/1/2/%'`."""

    __tablename__ = "idx_org_nodes"
    node_id: int = Field(sa_type=BigInteger, primary_key=True)
    parent_id: int = Field(sa_type=BigInteger, index=True)  # 0 for a root
    kind: int
    kind_name: str
    name: str
    depth: int
    path: str = Field(index=True)
    institution_id: int | None = Field(default=None, sa_type=BigInteger, index=True)  # the institution at or above
    block_number: int = _block()
    transaction_hash: str


class OrgAdmin(IndexTable, table=True):
    __tablename__ = "idx_org_admins"
    node_id: int = Field(sa_type=BigInteger, primary_key=True)
    account: str = Field(primary_key=True, index=True)
    active: bool
    added_by: str
    added_block: int = Field(sa_type=BigInteger)
    removed_block: int | None = Field(default=None, sa_type=BigInteger)


class RoleMember(IndexTable, table=True):
    """OpenZeppelin AccessControl roles (credits, certification): RoleGranted / RoleRevoked."""

    __tablename__ = "idx_roles"
    contract: str = Field(primary_key=True)
    role: str = Field(primary_key=True)
    account: str = Field(primary_key=True, index=True)
    active: bool
    granted_by: str
    block_number: int = _block()


class Verifier(IndexTable, table=True):
    """AccountingLedger verifiers designated for a region."""

    __tablename__ = "idx_verifiers"
    region_id: int = Field(sa_type=BigInteger, primary_key=True)
    account: str = Field(primary_key=True, index=True)
    active: bool
    added_by: str
    added_block: int = Field(sa_type=BigInteger)
    removed_block: int | None = Field(default=None, sa_type=BigInteger)


# --- devices and oracles ------------------------------------------------------------------------


class Device(IndexTable, table=True):
    __tablename__ = "idx_devices"
    device_id: str = Field(primary_key=True)
    institution_id: int = Field(sa_type=BigInteger, index=True)
    scene_id: int = Field(sa_type=BigInteger, index=True)
    kind: int
    unit: int
    status: int
    status_name: str
    key_count: int
    public_key: str  # the newest key
    block_number: int = _block()
    transaction_hash: str


class DeviceKey(IndexTable, table=True):
    __tablename__ = "idx_device_keys"
    device_id: str = Field(primary_key=True)
    key_index: int = Field(primary_key=True)
    public_key: str
    valid_from_sequence: int = Field(sa_type=WideInt)
    block_number: int = _block()
    transaction_hash: str


class DeviceStatusChange(IndexTable, table=True):
    __tablename__ = "idx_device_status_changes"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    device_id: str = Field(index=True)
    old_status: int
    new_status: int
    reason: str
    transaction_hash: str


class OracleAuthorisation(IndexTable, table=True):
    __tablename__ = "idx_oracles"
    institution_id: int = Field(sa_type=BigInteger, primary_key=True)
    oracle: str = Field(primary_key=True, index=True)
    active: bool
    authorised_by: str
    authorised_block: int = Field(sa_type=BigInteger)
    revoked_block: int | None = Field(default=None, sa_type=BigInteger)


# --- batches and readings (evidence tables) -----------------------------------------------------


class Batch(IndexTable, table=True):
    """A BatchAnchored event; `evidence_status` says whether its evidence file re-derived the root.

    loaded: readings are in idx_readings; missing: the store has no such CID (retried every step);
    malformed / root_mismatch: the file is there but does not give this anchor (never retried).
    """

    __tablename__ = "idx_batches"
    root: str = Field(primary_key=True)
    institution_id: int = Field(sa_type=BigInteger, index=True)
    oracle: str
    previous_root: str
    batch_index: int
    reading_count: int
    first_timestamp: int = Field(sa_type=BigInteger, index=True)
    last_timestamp: int = Field(sa_type=BigInteger, index=True)
    evidence_cid: str
    block_number: int = _block()
    block_hash: str
    transaction_hash: str
    log_index: int
    evidence_status: str
    evidence_detail: str = ""


class Quorum(IndexTable, table=True):
    """An institution's k-of-n oracle rule (QuorumSet): batches anchored while it is in force count
    only once `threshold` of `oracles` have approved them."""

    __tablename__ = "idx_quorums"
    institution_id: int = Field(sa_type=BigInteger, primary_key=True)
    threshold: int
    oracles: list = Field(sa_type=JSON)
    set_by: str
    block_number: int = _block()


class BatchQuorum(IndexTable, table=True):
    """A batch that awaits oracle approvals (BatchAwaitingApprovals). A batch without a row here
    counted when it was anchored; one with a row counts once `counted` is true."""

    __tablename__ = "idx_batch_quorum"
    root: str = Field(primary_key=True)
    institution_id: int = Field(sa_type=BigInteger, index=True)
    required: int
    approvals: int = 0
    counted: bool = False
    counted_block: int | None = Field(default=None, sa_type=BigInteger)
    block_number: int = _block()


class BatchApproval(IndexTable, table=True):
    __tablename__ = "idx_batch_approvals"
    root: str = Field(primary_key=True)
    oracle: str = Field(primary_key=True, index=True)
    approvals: int  # the batch's approvals including this one
    block_number: int = _block()
    transaction_hash: str


class BatchDevice(IndexTable, table=True):
    """The device set of a batch, from its evidence."""

    __tablename__ = "idx_batch_devices"
    root: str = Field(primary_key=True)
    device_id: str = Field(primary_key=True, index=True)
    reading_count: int
    first_sequence: int = Field(sa_type=WideInt)
    last_sequence: int = Field(sa_type=WideInt)
    block_number: int = _block()


class Reading(IndexTable, table=True):
    """Leaf `leaf_index` of batch `batch_root`: with the batch's other leaves it gives the Merkle proof."""

    __tablename__ = "idx_readings"
    __table_args__ = (
        Index("ix_idx_readings_device_time", "device_id", "timestamp"),
        Index("ix_idx_readings_device_sequence", "device_id", "sequence"),
    )
    batch_root: str = Field(primary_key=True)
    leaf_index: int = Field(primary_key=True)
    leaf: str
    device_id: str
    sequence: int = Field(sa_type=BigInteger)
    timestamp: int = Field(sa_type=BigInteger)
    quantity: int
    unit: int
    scale: int
    value: Decimal = Field(sa_type=ExactDecimal)
    payload: str
    signature: str
    block_number: int = _block()


class DailyUsage(IndexTable, table=True):
    """One device's readings of one quantity on one day (China Standard Time, as the accounting).

    For cumulative quantities a day's consumption is its `last_value` minus the previous day's; for
    instantaneous ones `total / reading_count` is the mean. A pure function of idx_readings.
    """

    __tablename__ = "idx_daily_usage"
    __table_args__ = (Index("ix_idx_daily_usage_institution_day", "institution_id", "day"),)
    device_id: str = Field(primary_key=True)
    day: date = Field(primary_key=True)
    quantity: int = Field(primary_key=True)
    institution_id: int = Field(sa_type=BigInteger)
    scene_id: int = Field(sa_type=BigInteger, index=True)
    unit: int
    reading_count: int
    first_timestamp: int = Field(sa_type=BigInteger)
    first_value: Decimal = Field(sa_type=ExactDecimal)
    last_timestamp: int = Field(sa_type=BigInteger)
    last_value: Decimal = Field(sa_type=ExactDecimal)
    min_value: Decimal = Field(sa_type=ExactDecimal)
    max_value: Decimal = Field(sa_type=ExactDecimal)
    total: Decimal = Field(sa_type=ExactDecimal)
    # The day telescopes under the accounting's interval rule (evidence_rows.regular_day): its first and last
    # reading give its amount. NULL (rows indexed before the column existed) is unknown, read as irregular.
    regular: bool | None = Field(default=None, nullable=True)


# --- accounting results -----------------------------------------------------------------------


class AccountingResult(IndexTable, table=True):
    """A result as submitted, with its current status; totals in gCO2e (avoided emissions for savings)."""

    __tablename__ = "idx_results"
    result_id: int = Field(sa_type=BigInteger, primary_key=True)
    institution_id: int = Field(sa_type=BigInteger, index=True)
    boundary_id: int = Field(sa_type=BigInteger, index=True)
    kind: int = 0  # IAccountingLedger.ResultKind: 0 emissions, 1 savings (emissions avoided, M&V)
    kind_name: str = "emissions"
    submitter: str
    period_start: int = Field(sa_type=BigInteger)
    period_end: int = Field(sa_type=BigInteger)
    methodology_id: str
    methodology_hash: str
    factor_set_hash: str
    scope1: int = Field(sa_type=WideInt)
    scope2: int = Field(sa_type=WideInt)
    scope3: int = Field(sa_type=WideInt)
    total: int = Field(sa_type=WideInt)
    input_root: str
    input_batch_count: int
    report_cid: str
    status: int
    status_name: str
    supersedes: int = Field(default=0, sa_type=BigInteger)
    superseded_by: int = Field(default=0, sa_type=BigInteger)
    restatement_reason: str = ""
    verifier: str | None = None
    statement: str = ""
    block_number: int = _block()
    transaction_hash: str


class WorkflowStep(IndexTable, table=True):
    """A retrofit-project step's hash anchored in WorkflowLog (StepRecorded), signed by `actor`."""

    __tablename__ = "idx_workflow_steps"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    project_id: int = Field(sa_type=BigInteger, index=True)
    step: str  # the step's name ("proposal", "approval", …), from its zero-padded bytes32
    step_hash: str = Field(index=True)
    actor: str
    transaction_hash: str


class ResultStatusChange(IndexTable, table=True):
    __tablename__ = "idx_result_status_changes"
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    log_index: int = Field(primary_key=True)
    result_id: int = Field(sa_type=BigInteger, index=True)
    status: int
    status_name: str
    account: str | None = None
    note: str = ""
    transaction_hash: str
