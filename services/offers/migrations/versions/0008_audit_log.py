"""the audit trail of editors' changes (ADR 21)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:00:00.000000

"""
from typing import Sequence, Union

from npa.infrastructure.migrations import create_audit_table, drop_audit_table

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
