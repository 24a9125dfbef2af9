"""outbox: an index of the pending rows only, in id order (shared messaging tables)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00.000000

The relay reads `published_at IS NULL ORDER BY id LIMIT n`. With the published rows of the
retention period (24 h by default) before the first pending one, PostgreSQL walked the primary
key through all of them on each round, or sorted the whole backlog: 151 ms a round behind
300,000 published rows, 0.7 ms with this index (ADR 0009, section of 2026-12-02).
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
