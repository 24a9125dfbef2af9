"""offers: drop the two single-column indexes that a composite index already leads with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00.000000

`ix_offers_partner_id` repeats the first column of `uq_offers_partner_external (partner_id,
external_id)`, and `ix_offers_status` the first of `ix_offers_status_created`. Every query
they served, the composite index serves, and every write of an offer maintains two indexes
fewer. PostgreSQL had chosen `ix_offers_partner_id` for the partner batch's lookup on a table
younger than its statistics and read every offer of the partner on each batch (8–32 ms a batch
at 3,000–3,900 offers of one partner). Dropping it alone did not change that (the planner used
the unique index's first column the same way); the lookup's new shape did
(npa/infrastructure/lookup.py, ADR 9, section of 2026-12-02).
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index('ix_offers_partner_id', table_name='offers')
    op.drop_index('ix_offers_status', table_name='offers')


def downgrade() -> None:
    op.create_index('ix_offers_status', 'offers', ['status'], unique=False)
    op.create_index('ix_offers_partner_id', 'offers', ['partner_id'], unique=False)
