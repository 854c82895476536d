"""idx_workflow_steps: retrofit-project steps anchored in WorkflowLog (StepRecorded).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idx_workflow_steps',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('step_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('transaction_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index')
    )
    with op.batch_alter_table('idx_workflow_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idx_workflow_steps_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idx_workflow_steps_step_hash'), ['step_hash'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('idx_workflow_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idx_workflow_steps_step_hash'))
        batch_op.drop_index(batch_op.f('ix_idx_workflow_steps_project_id'))

    op.drop_table('idx_workflow_steps')
