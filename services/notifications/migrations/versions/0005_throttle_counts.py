"""throttle counts: subscribe requests per address and per client, shared by every replica (ADR 20)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

"""
from typing import Sequence, Union

from npa.infrastructure.migrations import create_throttle_table, drop_throttle_table

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_throttle_table()


def downgrade() -> None:
    drop_throttle_table()
