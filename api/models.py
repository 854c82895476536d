"""The API's own tables (users, retrofit projects, work orders, inspections, assets).

Chain facts (organisations, devices, batches, results) are not copied here: they are read from the
chain or the indexer's tables. Every table is prefixed `api_` so the indexer's tables and these share
one database without collisions; migrations live in api/migrations (version table api_alembic_version).
Times are Unix seconds (UTC) as integers, so durations are exact.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Role(str, Enum):
    INSTITUTION_ADMIN = "institution_admin"
    OPERATOR = "operator"
    REGULATOR = "regulator"
    VERIFIER = "verifier"
    CREDIT_BUYER = "credit_buyer"
    AUDITOR = "auditor"


class User(SQLModel, table=True):
    __tablename__ = "api_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=256)
    role: str = Field(max_length=32)
    org_id: int | None = Field(default=None, description="OrganizationRegistry node the user's scope starts at.")
    address: str | None = Field(default=None, max_length=42, description="Ethereum address that signs for the user.")
    keystore_json: str | None = Field(default=None, description="web3-encrypted key (server-side signing), or none.")
    created_at: int
    disabled: bool = False


class Project(SQLModel, table=True):
    """A retrofit project, tracked step by step like a parcel."""

    __tablename__ = "api_projects"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(index=True)
    title: str = Field(max_length=200)
    measure: str = Field(max_length=64, description="What is retrofitted (air_conditioning, lighting, water, …).")
    budget_cny: str = Field(max_length=32, description="Decimal, CNY.")
    expected_saving_kgco2e: str = Field(max_length=32, description="Decimal, kgCO2e per year.")
    state: str = Field(max_length=32, index=True)
    created_by: int = Field(foreign_key="api_users.id")
    created_at: int
    updated_at: int


class ProjectStep(SQLModel, table=True):
    """One signed step of a project; `step_hash` chains to the previous step's hash."""

    __tablename__ = "api_project_steps"
    __table_args__ = (UniqueConstraint("project_id", "step", name="api_project_steps_once"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="api_projects.id", index=True)
    step: str = Field(max_length=32)
    actor_id: int = Field(foreign_key="api_users.id")
    actor_address: str = Field(max_length=42)
    note: str = Field(max_length=2000)
    evidence_cid: str = Field(max_length=128)
    at: int
    previous_hash: str = Field(max_length=66)
    step_hash: str = Field(max_length=66, description="EIP-712 digest of the step the actor signed.")
    signature: str = Field(max_length=132)
    signed_client_side: bool
    anchor_tx: str | None = Field(default=None, max_length=66, description="WorkflowLog.recordStep transaction.")
    anchor_block: int | None = None


class Asset(SQLModel, table=True):
    """An item of the asset register, with its nameplate ratings."""

    __tablename__ = "api_assets"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(index=True)
    kind: str = Field(max_length=32, index=True)
    name: str = Field(max_length=200)
    location: str = Field(default="", max_length=200)
    device_id: str | None = Field(default=None, max_length=66, description="DeviceRegistry id when it signs readings.")
    quantity: int = 1
    rated_power_w: int | None = None
    cooling_capacity_hp: str | None = Field(default=None, max_length=16, description="Decimal, in P (匹).")
    efficiency_grade: int | None = Field(default=None, description="China energy label grade, 1 (best) to 5.")
    installed_on: str | None = Field(default=None, max_length=10)
    status: str = Field(default="in_service", max_length=32)


class WorkOrder(SQLModel, table=True):
    """Work raised from an alarm, an inspection or by hand; its times give the operations figures."""

    __tablename__ = "api_work_orders"
    __table_args__ = (Index("api_work_orders_inst_state", "institution_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(index=True)
    title: str = Field(max_length=200)
    source: str = Field(max_length=16, description="alarm, inspection or manual")
    alarm_id: int | None = None
    inspection_id: int | None = None
    asset_id: int | None = Field(default=None, foreign_key="api_assets.id")
    state: str = Field(max_length=16)
    raised_by: int = Field(foreign_key="api_users.id")
    raised_at: int
    assignee_id: int | None = Field(default=None, foreign_key="api_users.id")
    assigned_at: int | None = None
    responded_at: int | None = None
    completed_at: int | None = None
    resolution: str = Field(default="", max_length=2000)


class Inspection(SQLModel, table=True):
    """A patrol inspection of an asset (巡检); a defect raises a work order."""

    __tablename__ = "api_inspections"

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(index=True)
    asset_id: int | None = Field(default=None, foreign_key="api_assets.id")
    inspector_id: int = Field(foreign_key="api_users.id")
    performed_at: int
    outcome: str = Field(max_length=16)
    notes: str = Field(default="", max_length=2000)
    work_order_id: int | None = None


class InstitutionProfile(SQLModel, table=True):
    """What intensity divides by (people, floor area) and what reduction compares with (baseline year).

    Not chain facts: the institution admin keeps them. Xihuamen's come from the seed until it edits them.
    """

    __tablename__ = "api_institution_profiles"

    institution_id: int = Field(primary_key=True)
    people: int = Field(ge=1)
    floor_area_m2: str = Field(max_length=24, description="Decimal, m².")
    baseline_year: int | None = None
    updated_by: int | None = Field(default=None, foreign_key="api_users.id")
    updated_at: int


class SupervisionMonth(SQLModel, table=True):
    """One boundary-month's metered activity and the engine's emissions over it, computed once per batch set.

    `batch_key` names the institution's anchored batches that touch the month; a new anchor (or a reorg)
    changes it and the row is recomputed from idx_daily_usage.
    """

    __tablename__ = "api_supervision_months"

    node_id: int = Field(primary_key=True)  # the institution, or a building (its subtree's meters)
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM, China Standard Time
    batch_key: str = Field(max_length=200)
    activity_json: str = Field(description='{"electricity.grid": ["123.456", "kWh"], …}')
    days_json: str = Field(default="{}", description='{"2022-01-01": {"electricity.grid": "12.5"}, …}')
    kgco2e: str | None = Field(default=None, max_length=40)
    problem: str | None = Field(default=None, max_length=500)
    computed_at: int
    checked_block: int = Field(default=0, sa_type=BigInteger,
                               description="Index cursor block at which batch_key was last confirmed.")
    checked_hash: str = Field(default="", max_length=66)


API_TABLES = frozenset(t.__tablename__ for t in (User, Project, ProjectStep, Asset, WorkOrder, Inspection,
                                                 InstitutionProfile, SupervisionMonth))
