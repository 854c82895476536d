"""project steps: WorkflowLog anchor

Revision ID: 0002_step_anchors
Revises: 0001_api_tables
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002_step_anchors'
down_revision = '0001_api_tables'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_project_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_tx', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True))
        batch_op.add_column(sa.Column('anchor_block', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('api_project_steps', schema=None) as batch_op:
        batch_op.drop_column('anchor_block')
        batch_op.drop_column('anchor_tx')

