"""the audit trail of editors' changes (ADR 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 11:00:00.000000

"""
from typing import Sequence, Union

from npa.infrastructure.migrations import create_audit_table, drop_audit_table

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
