"""deliveries and digest items: the item index keyed by the item alone (ADR 10, 2026-12-03 evening)

A fan-out's rows share one item: keyed by the item alone, PostgreSQL keeps them as one key with
a list of row addresses (B-tree deduplication), where (item_id, subscription_id) put each row in
its own place in subscriber order. Lookups of one subscriber and one item go through the unique
(subscription_id, event_id) pair instead.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:40:00.000000
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_INDEXES = (("deliveries", "ix_deliveries_item"), ("digest_items", "ix_digest_items_item"))


def upgrade() -> None:
    for table, index in _INDEXES:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, ["item_id"])


def downgrade() -> None:
    for table, index in _INDEXES:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, ["item_id", "subscription_id"])
