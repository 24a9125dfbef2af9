"""subscription filing index for matching in SQL; item liveness for retention; leaner fan-out tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:00:00.000000

"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

from npa.contracts.reference import districts

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PAGE = 2000
# Names PostgreSQL gave the unnamed foreign keys; SQLite's reflected ones get the same in batch mode.
NAMING = {'fk': '%(table_name)s_%(column_0_name)s_fkey'}


def upgrade() -> None:
    op.create_table('subscription_targets',
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('area', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subscription_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], ),
    sa.PrimaryKeyConstraint('audience', 'field', 'frequency', 'area', 'subscription_id')
    )
    with op.batch_alter_table('subscription_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_targets_subscription_id'), ['subscription_id'], unique=False)

    with op.batch_alter_table('item_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_index(batch_op.f('ix_item_snapshots_received_at'), ['received_at'], unique=False)
    # Fan-out inserts tens of thousands of rows per event: no per-row foreign-key check, and no
    # index that the unique (subscription_id, event_id) pair already provides (ADR 10).
    with op.batch_alter_table('deliveries', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_index('ix_deliveries_subscription_id')
        # The claim orders by (next_attempt_at, created_at): a fan-out's rows share next_attempt_at,
        # so without created_at in the index every claim sorted all of them to take 200.
        batch_op.drop_index('ix_deliveries_due')
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at', 'created_at'], unique=False)
        batch_op.drop_index('ix_deliveries_created_at')
        batch_op.create_index('ix_deliveries_created_at', ['created_at'], unique=False, postgresql_using='brin')
        batch_op.drop_constraint('deliveries_subscription_id_fkey', type_='foreignkey')
    with op.batch_alter_table('digest_items', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('digest_items_subscription_id_fkey', type_='foreignkey')
        batch_op.drop_index('ix_digest_items_open')  # the unique pair leads with subscription_id too
        batch_op.create_index('ix_digest_items_created_at', ['created_at'], unique=False, postgresql_using='brin')
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.create_index('ix_digests_created_at', ['created_at'], unique=False, postgresql_using='brin')
    fill_targets()
    fill_liveness()
    with op.batch_alter_table('item_snapshots', schema=None) as batch_op:
        batch_op.alter_column('live', server_default=None)


def fill_targets() -> None:
    """File every active subscription as the code of this revision does (domain.matching.filing),
    page by page, so a million subscriptions need no more memory than two thousand."""
    bind = op.get_bind()
    targets = sa.table('subscription_targets', *(sa.column(name) for name in (
        'audience', 'field', 'frequency', 'area', 'subscription_id')))
    last = ''
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, fields, regions, frequency, examples, new_actors FROM subscriptions "
            "WHERE status = 'active' AND id > :last ORDER BY id LIMIT :page"), {'last': last, 'page': PAGE}).all()
        if not rows:
            return
        filed = [{'audience': audience, 'field': field, 'frequency': frequency, 'area': area, 'subscription_id': id_}
                 for id_, fields, regions, frequency, examples, new_actors in rows
                 for audience, field, area in _filing(_list(fields), _list(regions), bool(examples), bool(new_actors))]
        if filed:
            bind.execute(targets.insert(), filed)
        last = rows[-1][0]


def fill_liveness() -> None:
    """Whether each stored item state still runs (domain.items.is_live), read from its JSON."""
    if op.get_bind().dialect.name == 'postgresql':
        status, active = "(data->>'status')", "(data->>'active')"
        live = f"CASE WHEN item_kind = 'actor' THEN COALESCE({active}, 'true') = 'true' ELSE COALESCE({status}, '') = 'published' END"
    else:
        status, active = "json_extract(data, '$.status')", "json_extract(data, '$.active')"
        live = f"CASE WHEN item_kind = 'actor' THEN COALESCE({active}, 1) != 0 ELSE COALESCE({status}, '') = 'published' END"
    op.execute(f"UPDATE item_snapshots SET live = {live}")


def _list(value: object) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _filing(fields: list, regions: list, examples: bool, new_actors: bool) -> list[tuple[str, str, str]]:
    known = districts()
    arl_names = {district.arl_region for district in known.values()}
    arl = {region for region in regions if region not in known and region in arl_names}
    named = {region for region in regions if region in known and known[region].arl_region not in arl}
    areas = sorted(arl | named) or ['*']
    audiences = ['offer'] + (['example'] if examples else []) + (['actor'] if new_actors else [])
    return [(audience, field, area) for audience in audiences for field in sorted(set(fields)) for area in areas]


def downgrade() -> None:
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.drop_index('ix_digests_created_at')
    with op.batch_alter_table('digest_items', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.create_foreign_key('digest_items_subscription_id_fkey', 'subscriptions', ['subscription_id'], ['id'])
        batch_op.create_index('ix_digest_items_open', ['subscription_id', 'digest_id'], unique=False)
        batch_op.drop_index('ix_digest_items_created_at')
    with op.batch_alter_table('deliveries', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.create_foreign_key('deliveries_subscription_id_fkey', 'subscriptions', ['subscription_id'], ['id'])
        batch_op.create_index('ix_deliveries_subscription_id', ['subscription_id'], unique=False)
        batch_op.drop_index('ix_deliveries_due')
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_index('ix_deliveries_created_at')
        batch_op.create_index('ix_deliveries_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('item_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_snapshots_received_at'))
        batch_op.drop_column('live')

    with op.batch_alter_table('subscription_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_targets_subscription_id'))

    op.drop_table('subscription_targets')
