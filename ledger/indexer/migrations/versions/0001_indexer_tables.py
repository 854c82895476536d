"""The indexer's tables (ledger/indexer/models/): raw events, state projections, batches and readings.

Revision ID: 0001
Revises: 
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ledger.indexer.columns


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idx_batch_approvals',
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('oracle', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('approvals', sa.Integer(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('root', 'oracle')
    )
    with op.batch_alter_table('idx_batch_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_batch_approvals_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_batch_approvals_oracle'), ['oracle'], unique=False)

    op.create_table('idx_batch_devices',
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reading_count', sa.Integer(), nullable=False),
    sa.Column('first_sequence', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('last_sequence', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('root', 'device_id')
    )
    with op.batch_alter_table('idx_batch_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_batch_devices_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_batch_devices_device_id'), ['device_id'], unique=False)

    op.create_table('idx_batch_quorum',
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('required', sa.Integer(), nullable=False),
    sa.Column('approvals', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('counted_block', sa.BigInteger(), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('root')
    )
    with op.batch_alter_table('idx_batch_quorum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_batch_quorum_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_batch_quorum_institution_id'), ['institution_id'], unique=False)

    op.create_table('idx_batches',
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('oracle', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('previous_root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('batch_index', sa.Integer(), nullable=False),
    sa.Column('reading_count', sa.Integer(), nullable=False),
    sa.Column('first_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('last_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('evidence_cid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('evidence_status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evidence_detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('root')
    )
    with op.batch_alter_table('idx_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_batches_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_batches_first_timestamp'), ['first_timestamp'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_batches_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_batches_last_timestamp'), ['last_timestamp'], unique=False)

    op.create_table('idx_blocks',
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_table('idx_certification_applications',
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('claim_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('criteria_version', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.BigInteger(), nullable=False),
    sa.Column('baseline_result_id', sa.BigInteger(), nullable=False),
    sa.Column('certificate_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('document_cid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('status_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('approvals', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.BigInteger(), nullable=True),
    sa.Column('valid_until', sa.BigInteger(), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('application_id')
    )
    with op.batch_alter_table('idx_certification_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_certification_applications_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_certification_applications_institution_id'), ['institution_id'], unique=False)

    op.create_table('idx_certification_criteria',
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('max_net_emissions', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('min_reduction_bps', sa.Integer(), nullable=False),
    sa.Column('validity', sa.BigInteger(), nullable=False),
    sa.Column('rules_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('rules_cid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'version')
    )
    with op.batch_alter_table('idx_certification_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_certification_criteria_block_number'), ['block_number'], unique=False)

    op.create_table('idx_certification_decisions',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('region_id', sa.BigInteger(), nullable=False),
    sa.Column('regulator', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('document_cid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_certification_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_certification_decisions_application_id'), ['application_id'], unique=False)

    op.create_table('idx_certification_level_requirements',
    sa.Column('region_id', sa.BigInteger(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('region_id')
    )
    with op.batch_alter_table('idx_certification_level_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_certification_level_requirements_block_number'), ['block_number'], unique=False)

    op.create_table('idx_certification_status_changes',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('from_status', sa.Integer(), nullable=False),
    sa.Column('to_status', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_certification_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_certification_status_changes_application_id'), ['application_id'], unique=False)

    op.create_table('idx_credit_balances',
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('amount', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.PrimaryKeyConstraint('account', 'token_id')
    )
    op.create_table('idx_credit_classes',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('standard', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('methodology', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('is_external', sa.Boolean(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('class_id')
    )
    with op.batch_alter_table('idx_credit_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_classes_block_number'), ['block_number'], unique=False)

    op.create_table('idx_credit_external_imports',
    sa.Column('registry_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('standard', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('external_serial', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('first_serial', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('last_serial', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('registry_key')
    )
    with op.batch_alter_table('idx_credit_external_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_external_imports_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_external_imports_token_id'), ['token_id'], unique=False)

    op.create_table('idx_credit_issuances',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('token_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('vintage', sa.Integer(), nullable=False),
    sa.Column('verification_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('batch_index', sa.Integer(), nullable=False),
    sa.Column('first_serial', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('last_serial', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('amount', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_credit_issuances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_issuances_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_issuances_token_id'), ['token_id'], unique=False)

    op.create_table('idx_credit_projects',
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    with op.batch_alter_table('idx_credit_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_projects_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_projects_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_projects_institution_id'), ['institution_id'], unique=False)

    op.create_table('idx_credit_retirements',
    sa.Column('certificate_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('retiree', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('beneficiary', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tonnes', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('ranges', sa.JSON(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('certificate_id')
    )
    with op.batch_alter_table('idx_credit_retirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_retirements_beneficiary'), ['beneficiary'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_retirements_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_retirements_retiree'), ['retiree'], unique=False)

    op.create_table('idx_credit_transfers',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('item', sa.Integer(), nullable=False),
    sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('amount', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', 'item')
    )
    with op.batch_alter_table('idx_credit_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_transfers_recipient'), ['recipient'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_transfers_sender'), ['sender'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_transfers_token_id'), ['token_id'], unique=False)

    op.create_table('idx_credit_verifications',
    sa.Column('verification_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('verifier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('vintage', sa.Integer(), nullable=False),
    sa.Column('verified_tonnes', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('result_id', sa.BigInteger(), nullable=False),
    sa.Column('evidence_cid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('verification_id')
    )
    with op.batch_alter_table('idx_credit_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_credit_verifications_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_credit_verifications_project_id'), ['project_id'], unique=False)

    op.create_table('idx_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('idx_daily_usage',
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('scene_id', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.Integer(), nullable=False),
    sa.Column('reading_count', sa.Integer(), nullable=False),
    sa.Column('first_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('first_value', ledger.indexer.columns.ExactDecimal(length=120), nullable=False),
    sa.Column('last_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('last_value', ledger.indexer.columns.ExactDecimal(length=120), nullable=False),
    sa.Column('min_value', ledger.indexer.columns.ExactDecimal(length=120), nullable=False),
    sa.Column('max_value', ledger.indexer.columns.ExactDecimal(length=120), nullable=False),
    sa.Column('total', ledger.indexer.columns.ExactDecimal(length=120), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'day', 'quantity')
    )
    with op.batch_alter_table('idx_daily_usage', schema=None) as batch_op:
        batch_op.create_index('ix_idx_daily_usage_institution_day', ['institution_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_daily_usage_scene_id'), ['scene_id'], unique=False)

    op.create_table('idx_device_keys',
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key_index', sa.Integer(), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('valid_from_sequence', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'key_index')
    )
    with op.batch_alter_table('idx_device_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_device_keys_block_number'), ['block_number'], unique=False)

    op.create_table('idx_device_status_changes',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('old_status', sa.Integer(), nullable=False),
    sa.Column('new_status', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_device_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_device_status_changes_device_id'), ['device_id'], unique=False)

    op.create_table('idx_devices',
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('scene_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Integer(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('status_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key_count', sa.Integer(), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('device_id')
    )
    with op.batch_alter_table('idx_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_devices_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_devices_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_devices_scene_id'), ['scene_id'], unique=False)

    op.create_table('idx_market_listings',
    sa.Column('listing_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('seller', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('amount', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('price_per_unit', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('remaining', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('listing_id')
    )
    with op.batch_alter_table('idx_market_listings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_market_listings_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_market_listings_seller'), ['seller'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_market_listings_token_id'), ['token_id'], unique=False)

    op.create_table('idx_market_purchases',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('listing_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('buyer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seller', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('amount', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('cost', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('remaining', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_market_purchases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_market_purchases_buyer'), ['buyer'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_market_purchases_listing_id'), ['listing_id'], unique=False)

    op.create_table('idx_oracles',
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('oracle', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('authorised_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('authorised_block', sa.BigInteger(), nullable=False),
    sa.Column('revoked_block', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('institution_id', 'oracle')
    )
    with op.batch_alter_table('idx_oracles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_oracles_oracle'), ['oracle'], unique=False)

    op.create_table('idx_org_admins',
    sa.Column('node_id', sa.BigInteger(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('added_block', sa.BigInteger(), nullable=False),
    sa.Column('removed_block', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('node_id', 'account')
    )
    with op.batch_alter_table('idx_org_admins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_org_admins_account'), ['account'], unique=False)

    op.create_table('idx_org_nodes',
    sa.Column('node_id', sa.BigInteger(), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('kind_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('node_id')
    )
    with op.batch_alter_table('idx_org_nodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_org_nodes_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_org_nodes_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_org_nodes_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_org_nodes_path'), ['path'], unique=False)

    op.create_table('idx_quorums',
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('oracles', sa.JSON(), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('institution_id')
    )
    with op.batch_alter_table('idx_quorums', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_quorums_block_number'), ['block_number'], unique=False)

    op.create_table('idx_raw_events',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_index', sa.Integer(), nullable=False),
    sa.Column('contract', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_raw_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_raw_events_contract'), ['contract'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_raw_events_event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_raw_events_transaction_hash'), ['transaction_hash'], unique=False)

    op.create_table('idx_readings',
    sa.Column('batch_root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('leaf_index', sa.Integer(), nullable=False),
    sa.Column('leaf', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Integer(), nullable=False),
    sa.Column('scale', sa.Integer(), nullable=False),
    sa.Column('value', ledger.indexer.columns.ExactDecimal(length=120), nullable=False),
    sa.Column('payload', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('batch_root', 'leaf_index')
    )
    with op.batch_alter_table('idx_readings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_readings_block_number'), ['block_number'], unique=False)
        batch_op.create_index('ix_idx_readings_device_sequence', ['device_id', 'sequence'], unique=False)
        batch_op.create_index('ix_idx_readings_device_time', ['device_id', 'timestamp'], unique=False)

    op.create_table('idx_result_status_changes',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('status_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_result_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_result_status_changes_result_id'), ['result_id'], unique=False)

    op.create_table('idx_results',
    sa.Column('result_id', sa.BigInteger(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('boundary_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('kind_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('submitter', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('period_start', sa.BigInteger(), nullable=False),
    sa.Column('period_end', sa.BigInteger(), nullable=False),
    sa.Column('methodology_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('methodology_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('factor_set_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('scope1', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('scope2', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('scope3', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('total', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('input_root', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('input_batch_count', sa.Integer(), nullable=False),
    sa.Column('report_cid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('status_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('supersedes', sa.BigInteger(), nullable=False),
    sa.Column('superseded_by', sa.BigInteger(), nullable=False),
    sa.Column('restatement_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('verifier', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('result_id')
    )
    with op.batch_alter_table('idx_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_results_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_results_boundary_id'), ['boundary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_results_institution_id'), ['institution_id'], unique=False)

    op.create_table('idx_retirement_certificates',
    sa.Column('certificate_id', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('beneficiary', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('retiree', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('claim_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('claim_kind', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.BigInteger(), nullable=False),
    sa.Column('period_end', sa.BigInteger(), nullable=False),
    sa.Column('tonnes', ledger.indexer.columns.WideInt(length=80), nullable=False),
    sa.Column('range_count', sa.Integer(), nullable=False),
    sa.Column('ranges_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('certificate_id')
    )
    with op.batch_alter_table('idx_retirement_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_retirement_certificates_beneficiary'), ['beneficiary'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_retirement_certificates_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_retirement_certificates_claim_id'), ['claim_id'], unique=False)

    op.create_table('idx_roles',
    sa.Column('contract', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('granted_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('contract', 'role', 'account')
    )
    with op.batch_alter_table('idx_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_roles_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_roles_block_number'), ['block_number'], unique=False)

    op.create_table('idx_verifiers',
    sa.Column('region_id', sa.BigInteger(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('added_block', sa.BigInteger(), nullable=False),
    sa.Column('removed_block', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('region_id', 'account')
    )
    with op.batch_alter_table('idx_verifiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_verifiers_account'), ['account'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('idx_verifiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_verifiers_account'))

    op.drop_table('idx_verifiers')
    with op.batch_alter_table('idx_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_roles_block_number'))
        batch_op.drop_index(batch_op.f('ix_idx_roles_account'))

    op.drop_table('idx_roles')
    with op.batch_alter_table('idx_retirement_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_retirement_certificates_claim_id'))
        batch_op.drop_index(batch_op.f('ix_idx_retirement_certificates_block_number'))
        batch_op.drop_index(batch_op.f('ix_idx_retirement_certificates_beneficiary'))

    op.drop_table('idx_retirement_certificates')
    with op.batch_alter_table('idx_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_results_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_results_boundary_id'))
        batch_op.drop_index(batch_op.f('ix_idx_results_block_number'))

    op.drop_table('idx_results')
    with op.batch_alter_table('idx_result_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_result_status_changes_result_id'))

    op.drop_table('idx_result_status_changes')
    with op.batch_alter_table('idx_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_idx_readings_device_time')
        batch_op.drop_index('ix_idx_readings_device_sequence')
        batch_op.drop_index(batch_op.f('ix_idx_readings_block_number'))

    op.drop_table('idx_readings')
    with op.batch_alter_table('idx_raw_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_raw_events_transaction_hash'))
        batch_op.drop_index(batch_op.f('ix_idx_raw_events_event'))
        batch_op.drop_index(batch_op.f('ix_idx_raw_events_contract'))

    op.drop_table('idx_raw_events')
    with op.batch_alter_table('idx_quorums', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_quorums_block_number'))

    op.drop_table('idx_quorums')
    with op.batch_alter_table('idx_org_nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_org_nodes_path'))
        batch_op.drop_index(batch_op.f('ix_idx_org_nodes_parent_id'))
        batch_op.drop_index(batch_op.f('ix_idx_org_nodes_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_org_nodes_block_number'))

    op.drop_table('idx_org_nodes')
    with op.batch_alter_table('idx_org_admins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_org_admins_account'))

    op.drop_table('idx_org_admins')
    with op.batch_alter_table('idx_oracles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_oracles_oracle'))

    op.drop_table('idx_oracles')
    with op.batch_alter_table('idx_market_purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_market_purchases_listing_id'))
        batch_op.drop_index(batch_op.f('ix_idx_market_purchases_buyer'))

    op.drop_table('idx_market_purchases')
    with op.batch_alter_table('idx_market_listings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_market_listings_token_id'))
        batch_op.drop_index(batch_op.f('ix_idx_market_listings_seller'))
        batch_op.drop_index(batch_op.f('ix_idx_market_listings_block_number'))

    op.drop_table('idx_market_listings')
    with op.batch_alter_table('idx_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_devices_scene_id'))
        batch_op.drop_index(batch_op.f('ix_idx_devices_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_devices_block_number'))

    op.drop_table('idx_devices')
    with op.batch_alter_table('idx_device_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_device_status_changes_device_id'))

    op.drop_table('idx_device_status_changes')
    with op.batch_alter_table('idx_device_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_device_keys_block_number'))

    op.drop_table('idx_device_keys')
    with op.batch_alter_table('idx_daily_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_daily_usage_scene_id'))
        batch_op.drop_index('ix_idx_daily_usage_institution_day')

    op.drop_table('idx_daily_usage')
    op.drop_table('idx_cursor')
    with op.batch_alter_table('idx_credit_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_verifications_project_id'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_verifications_block_number'))

    op.drop_table('idx_credit_verifications')
    with op.batch_alter_table('idx_credit_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_transfers_token_id'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_transfers_sender'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_transfers_recipient'))

    op.drop_table('idx_credit_transfers')
    with op.batch_alter_table('idx_credit_retirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_retirements_retiree'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_retirements_block_number'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_retirements_beneficiary'))

    op.drop_table('idx_credit_retirements')
    with op.batch_alter_table('idx_credit_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_projects_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_projects_class_id'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_projects_block_number'))

    op.drop_table('idx_credit_projects')
    with op.batch_alter_table('idx_credit_issuances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_issuances_token_id'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_issuances_project_id'))

    op.drop_table('idx_credit_issuances')
    with op.batch_alter_table('idx_credit_external_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_external_imports_token_id'))
        batch_op.drop_index(batch_op.f('ix_idx_credit_external_imports_block_number'))

    op.drop_table('idx_credit_external_imports')
    with op.batch_alter_table('idx_credit_classes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_credit_classes_block_number'))

    op.drop_table('idx_credit_classes')
    op.drop_table('idx_credit_balances')
    with op.batch_alter_table('idx_certification_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_certification_status_changes_application_id'))

    op.drop_table('idx_certification_status_changes')
    with op.batch_alter_table('idx_certification_level_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_certification_level_requirements_block_number'))

    op.drop_table('idx_certification_level_requirements')
    with op.batch_alter_table('idx_certification_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_certification_decisions_application_id'))

    op.drop_table('idx_certification_decisions')
    with op.batch_alter_table('idx_certification_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_certification_criteria_block_number'))

    op.drop_table('idx_certification_criteria')
    with op.batch_alter_table('idx_certification_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_certification_applications_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_certification_applications_block_number'))

    op.drop_table('idx_certification_applications')
    op.drop_table('idx_blocks')
    with op.batch_alter_table('idx_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_batches_last_timestamp'))
        batch_op.drop_index(batch_op.f('ix_idx_batches_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_batches_first_timestamp'))
        batch_op.drop_index(batch_op.f('ix_idx_batches_block_number'))

    op.drop_table('idx_batches')
    with op.batch_alter_table('idx_batch_quorum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_batch_quorum_institution_id'))
        batch_op.drop_index(batch_op.f('ix_idx_batch_quorum_block_number'))

    op.drop_table('idx_batch_quorum')
    with op.batch_alter_table('idx_batch_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_batch_devices_device_id'))
        batch_op.drop_index(batch_op.f('ix_idx_batch_devices_block_number'))

    op.drop_table('idx_batch_devices')
    with op.batch_alter_table('idx_batch_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_batch_approvals_oracle'))
        batch_op.drop_index(batch_op.f('ix_idx_batch_approvals_block_number'))

    op.drop_table('idx_batch_approvals')
