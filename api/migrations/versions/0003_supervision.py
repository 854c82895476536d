"""supervision: institution profiles and the monthly metered-emissions cache

Revision ID: 0003_supervision
Revises: 0002_step_anchors
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003_supervision'
down_revision = '0002_step_anchors'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_institution_profiles',
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('floor_area_m2', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('baseline_year', sa.Integer(), nullable=True),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by'], ['api_users.id']),
        sa.PrimaryKeyConstraint('institution_id'),
    )
    op.create_table(
        'api_supervision_months',
        sa.Column('node_id', sa.Integer(), nullable=False),
        sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('batch_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('activity_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('days_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('kgco2e', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('computed_at', sa.Integer(), nullable=False),
        sa.Column('checked_block', sa.BigInteger(), nullable=False),
        sa.Column('checked_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.PrimaryKeyConstraint('node_id', 'month'),
    )


def downgrade() -> None:
    op.drop_table('api_supervision_months')
    op.drop_table('api_institution_profiles')
