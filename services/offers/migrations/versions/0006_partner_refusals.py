"""partner refusals: parked partner messages kept for the partner they name (issue 11)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'partner_refusals',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('partner_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('authenticated', sa.Boolean(), nullable=False),
        sa.Column('parked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('partner_refusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_refusals_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_refusals_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_refusals_parked_at'), ['parked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('partner_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_refusals_parked_at'))
        batch_op.drop_index(batch_op.f('ix_partner_refusals_event_id'))
        batch_op.drop_index(batch_op.f('ix_partner_refusals_partner_id'))
    op.drop_table('partner_refusals')
