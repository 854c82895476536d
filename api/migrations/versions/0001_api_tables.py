"""api tables: users, projects and signed steps, assets, work orders, inspections

Revision ID: 0001_api_tables
Revises: 
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001_api_tables'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('rated_power_w', sa.Integer(), nullable=True),
    sa.Column('cooling_capacity_hp', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('efficiency_grade', sa.Integer(), nullable=True),
    sa.Column('installed_on', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_assets_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_assets_kind'), ['kind'], unique=False)

    op.create_table('api_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True),
    sa.Column('keystore_json', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_users_username'), ['username'], unique=True)

    op.create_table('api_inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('performed_at', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['api_assets.id'], ),
    sa.ForeignKeyConstraint(['inspector_id'], ['api_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_inspections_institution_id'), ['institution_id'], unique=False)

    op.create_table('api_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('budget_cny', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('expected_saving_kgco2e', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['api_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_projects_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_projects_state'), ['state'], unique=False)

    op.create_table('api_work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('raised_by', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.Integer(), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['api_assets.id'], ),
    sa.ForeignKeyConstraint(['assignee_id'], ['api_users.id'], ),
    sa.ForeignKeyConstraint(['raised_by'], ['api_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_work_orders', schema=None) as batch_op:
        batch_op.create_index('api_work_orders_inst_state', ['institution_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_work_orders_institution_id'), ['institution_id'], unique=False)

    op.create_table('api_project_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_address', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('evidence_cid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('at', sa.Integer(), nullable=False),
    sa.Column('previous_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('step_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=132), nullable=False),
    sa.Column('signed_client_side', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['api_users.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['api_projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'step', name='api_project_steps_once')
    )
    with op.batch_alter_table('api_project_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_project_steps_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('api_project_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_project_steps_project_id'))

    op.drop_table('api_project_steps')
    with op.batch_alter_table('api_work_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_work_orders_institution_id'))
        batch_op.drop_index('api_work_orders_inst_state')

    op.drop_table('api_work_orders')
    with op.batch_alter_table('api_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_projects_state'))
        batch_op.drop_index(batch_op.f('ix_api_projects_institution_id'))

    op.drop_table('api_projects')
    with op.batch_alter_table('api_inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_inspections_institution_id'))

    op.drop_table('api_inspections')
    with op.batch_alter_table('api_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_users_username'))

    op.drop_table('api_users')
    with op.batch_alter_table('api_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_assets_kind'))
        batch_op.drop_index(batch_op.f('ix_api_assets_institution_id'))

    op.drop_table('api_assets')
