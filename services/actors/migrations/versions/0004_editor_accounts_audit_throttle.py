"""editor accounts, the audit trail of editors' changes, throttle counts for sign-in (ADR 21)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

from npa.infrastructure.migrations import (
    create_audit_table,
    create_throttle_table,
    drop_audit_table,
    drop_throttle_table,
)

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'editor_accounts',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('login', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('password_changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_sign_in_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('login'),
    )
    create_audit_table()
    create_throttle_table()


def downgrade() -> None:
    drop_throttle_table()
    drop_audit_table()
    op.drop_table('editor_accounts')
