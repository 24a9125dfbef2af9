"""partner signing keys (Ed25519 public keys for messages on npa.partner.offers.v1, ADR 0013)

Existing partners keep their rows and API keys; they start with no signing key. Until a
partner registers one, its messages on the bus are parked on `npa.partner.offers.v1.dlq`
with the reason "npasignature: missing" (its REST calls work as before). docs/partner-client.md
says what an existing partner does: `npa-partner keygen`, then register the public key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'partner_signing_keys',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('partner_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('partner_signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_signing_keys_partner_id'), ['partner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('partner_signing_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_signing_keys_partner_id'))
    op.drop_table('partner_signing_keys')
