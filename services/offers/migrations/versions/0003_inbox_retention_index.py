"""inbox retention index (shared messaging tables)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 06:00:00.000000

"""
from typing import Sequence, Union

from npa.infrastructure.migrations import add_inbox_retention_index, drop_inbox_retention_index

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_inbox_retention_index()


def downgrade() -> None:
    drop_inbox_retention_index()
