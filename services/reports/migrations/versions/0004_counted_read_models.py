"""counted read models: coverage, languages, new offers, publications, contributions, monthly trends

Every report reads these counts instead of scanning the facts per request (ADR 12). The
upgrade fills them from the rows already stored, with the consumer's own rules
(services/reports/domain): coverage, languages, new offers, publications and contributions
from the fact rows; active subscriptions per field from subscription_facts; the monthly
trends by folding state_transitions per entity in version order. An offer or example with a
fact row but no recorded history (it predates revision 0002) enters the trends with its
current state in the month of its last event. The downgrade drops the counts; the fact rows
and the history stay as they were.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

from services.reports import domain


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAME = sqlmodel.sql.sqltypes.AutoString
KEYS = {
    "coverage_counts": ("area", "field"),
    "coverage_languages": ("area", "field", "language"),
    "new_offer_counts": ("area", "field", "day"),
    "publication_counts": ("kind", "year"),
    "actor_contributions": ("actor_id",),
    "monthly_trends": ("kind", "month", "area", "field"),
}
TALLIED = {
    "coverage_counts": domain.COVERAGE, "coverage_languages": domain.LANGUAGES, "new_offer_counts": domain.NEW_OFFERS,
    "publication_counts": domain.PUBLICATIONS, "actor_contributions": domain.CONTRIBUTIONS,
    "monthly_trends": domain.TRENDS,
}
INDEXES = [("offer_facts", "published_at"), ("offer_facts", "updated_at"), ("example_facts", "updated_at"),
           ("actor_facts", "updated_at"), ("subscription_facts", "updated_at")]


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _create_tables() -> None:
    op.create_table('coverage_counts',
    sa.Column('area', NAME(length=40), nullable=False),
    sa.Column('field', NAME(length=40), nullable=False),
    *(_counter(name) for name in ('active_offers', 'women_only_offers', 'childcare_offers', 'free_offers', 'actors',
                                  'multipliers', 'initiatives', 'examples')),
    sa.PrimaryKeyConstraint('area', 'field')
    )
    op.create_table('coverage_languages',
    sa.Column('area', NAME(length=40), nullable=False),
    sa.Column('field', NAME(length=40), nullable=False),
    sa.Column('language', NAME(length=20), nullable=False),
    _counter('active_offers'),
    sa.PrimaryKeyConstraint('area', 'field', 'language')
    )
    op.create_table('new_offer_counts',
    sa.Column('area', NAME(length=40), nullable=False),
    sa.Column('field', NAME(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    _counter('active_offers'),
    sa.PrimaryKeyConstraint('area', 'field', 'day')
    )
    with op.batch_alter_table('new_offer_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_new_offer_counts_day'), ['day'], unique=False)
    op.create_table('publication_counts',
    sa.Column('kind', NAME(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    _counter('published'),
    sa.PrimaryKeyConstraint('kind', 'year')
    )
    op.create_table('actor_contributions',
    sa.Column('actor_id', NAME(length=64), nullable=False),
    *(_counter(name) for name in ('offers_published', 'offers_active', 'examples_published')),
    sa.PrimaryKeyConstraint('actor_id')
    )
    op.create_table('monthly_trends',
    sa.Column('kind', NAME(length=10), nullable=False),
    sa.Column('month', NAME(length=7), nullable=False),
    sa.Column('area', NAME(length=40), nullable=False),
    sa.Column('field', NAME(length=40), nullable=False),
    *(_counter(name) for name in ('active_change', 'new_offers', 'ended_offers')),
    sa.PrimaryKeyConstraint('kind', 'month', 'area', 'field')
    )
    with op.batch_alter_table('notification_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_subscriptions', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('notification_counts', schema=None) as batch_op:
        batch_op.alter_column('active_subscriptions', server_default=None)
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def _streamed(statement: sa.Select) -> sa.Select:
    return statement.execution_options(yield_per=5000)


def _columns(bind: sa.Connection, table: str) -> list[str]:
    return [column["name"] for column in sa.inspect(bind).get_columns(table)]


def _facts(bind: sa.Connection, table: str) -> sa.Table:
    json_columns = {"fields", "languages", "districts", "regions"}
    datetime_columns = {"published_at", "updated_at", "occurred_at"}
    columns = [sa.column(name, sa.JSON) if name in json_columns
               else sa.column(name, sqlmodel.sql.sqltypes.UTCDateTime()) if name in datetime_columns
               else sa.column(name) for name in _columns(bind, table)]
    return sa.table(table, *columns)


def _backfill() -> None:
    bind = op.get_bind()
    tally = domain.Tally()
    counted = (("offer_facts", domain.count_offer), ("example_facts", domain.count_example),
               ("actor_facts", domain.count_actor), ("subscription_facts", domain.count_subscription))
    for table, count in counted:
        for row in bind.execute(_streamed(sa.select(_facts(bind, table)))).mappings():
            count(tally, dict(row), 1)
    _fold_history(bind, tally)
    for table, name in TALLIED.items():
        keys = KEYS[table]
        counters = [column for column in _columns(bind, table) if column not in keys]
        rows = tally.rows(name, keys, counters)
        if rows:
            bind.execute(sa.table(table, *(sa.column(column) for column in (*keys, *counters))).insert(), rows)
    subscribed = {row["field"]: row["active_subscriptions"]
                  for row in tally.rows(domain.SUBSCRIPTIONS, ("field",), ("active_subscriptions",))}
    counts = sa.table("notification_counts", sa.column("field"), sa.column("sent"), sa.column("failed"),
                      sa.column("active_subscriptions"), sa.column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    present = set(bind.execute(sa.select(counts.c.field)).scalars())
    newest = bind.execute(sa.select(sa.func.max(_facts(bind, "subscription_facts").c.updated_at))).scalar()
    for field, number in sorted(subscribed.items()):
        if field in present:
            bind.execute(counts.update().where(counts.c.field == field).values(active_subscriptions=number))
        else:
            bind.execute(counts.insert().values(field=field, sent=0, failed=0, active_subscriptions=number,
                                                updated_at=newest))


def _fold_history(bind: sa.Connection, tally: domain.Tally) -> None:
    """The monthly trends from the recorded transitions, as the consumer would have counted them."""
    transitions = _facts(bind, "state_transitions")
    seen: set[tuple[str, str]] = set()
    key, before, ever_active = None, None, False
    statement = sa.select(transitions).order_by(transitions.c.entity_kind, transitions.c.entity_id,
                                                transitions.c.version)
    for row in bind.execute(_streamed(statement)).mappings():
        if (row["entity_kind"], row["entity_id"]) != key:
            key, before, ever_active = (row["entity_kind"], row["entity_id"]), None, False
            seen.add(key)
        at = max(before.at, row["occurred_at"]) if before else row["occurred_at"]
        after = domain.TrendState(row["entity_kind"], row["status"], row["district"], tuple(row["fields"]), at)
        domain.count_trend(tally, before, after, ever_active)
        ever_active = ever_active or domain.is_active(row["status"])
        before = after
    for kind, table in ((domain.OFFER, "offer_facts"), (domain.EXAMPLE, "example_facts")):
        for row in bind.execute(_streamed(sa.select(_facts(bind, table)))).mappings():
            if (kind, row["id"]) not in seen:
                state = domain.TrendState(kind, row["status"], row["district"], tuple(row["fields"]), row["updated_at"])
                domain.count_trend(tally, None, state, ever_active_before=True)


def upgrade() -> None:
    """Upgrade schema."""
    _create_tables()
    _backfill()


def downgrade() -> None:
    """Downgrade schema."""
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
    with op.batch_alter_table('notification_counts', schema=None) as batch_op:
        batch_op.drop_column('active_subscriptions')
    with op.batch_alter_table('new_offer_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_new_offer_counts_day'))
    for table in ('monthly_trends', 'actor_contributions', 'publication_counts', 'new_offer_counts',
                  'coverage_languages', 'coverage_counts'):
        op.drop_table(table)
