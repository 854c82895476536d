"""idx_daily_usage.regular: whether a device-day telescopes under the accounting's interval rule.

Rows indexed before this revision get NULL, which means "unknown" and is read as irregular (the dashboards read
such a day reading by reading, the slow but exact way); `zcl index --rebuild` fills the column for every day.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idx_daily_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regular', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idx_daily_usage', schema=None) as batch_op:
        batch_op.drop_column('regular')
