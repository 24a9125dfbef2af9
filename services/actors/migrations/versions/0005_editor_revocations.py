"""ended editor sessions, from npa.editors.v1 (ADR 21)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:00:00.000000

"""
from typing import Sequence, Union

from npa.infrastructure.migrations import create_editor_revocations_table, drop_editor_revocations_table

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_editor_revocations_table()


def downgrade() -> None:
    drop_editor_revocations_table()
