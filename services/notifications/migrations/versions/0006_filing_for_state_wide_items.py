"""filing for state-wide items: every active subscription once per (audience, field) under "state-wide items"

A state-wide item then reads one index range per field, in which no subscription repeats, instead
of every area's range and a DISTINCT over them (ADR 10, revised 2026-11-30 afternoon). The rows
are made from the filing already stored: each (audience, field, frequency, subscription) filed
under any area is filed once more under the new key, exactly as domain.matching.filing files it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATE_WIDE_ITEMS = 'state-wide items'  # domain.matching.STATE_WIDE_ITEMS when this revision was written


def upgrade() -> None:
    op.execute(sa.text(
        'INSERT INTO subscription_targets (audience, field, frequency, area, subscription_id) '
        'SELECT DISTINCT audience, field, frequency, :key, subscription_id FROM subscription_targets '
        'WHERE area != :key').bindparams(key=STATE_WIDE_ITEMS))


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM subscription_targets WHERE area = :key').bindparams(key=STATE_WIDE_ITEMS))
