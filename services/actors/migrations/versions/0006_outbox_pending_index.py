"""outbox: an index of the pending rows only, in id order (shared messaging tables)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00.000000
"""
from typing import Sequence, Union

from npa.infrastructure.migrations import add_outbox_pending_index, drop_outbox_pending_index

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    add_outbox_pending_index()


def downgrade() -> None:
    drop_outbox_pending_index()
