"""offer search: derived search columns, full-text index (FTS5 / GIN), provider search names

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000

Adds the columns the offer search filters and matches on (derived from each offer's body by
`domain.search.search_columns`), fills them for the offers already stored, and builds the
full-text index over them: on PostgreSQL a GIN index on `to_tsvector('german', search_text)`,
on SQLite the FTS5 table `offers_fts` with the triggers that keep it in step (ADR 0011).
Known actors get their name as search tokens, so a provider's name finds its offers.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

from services.offers.domain import search
from services.offers.models import SEARCH_VECTOR, SQLITE_SEARCH_DDL, SQLITE_SEARCH_DROP

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 1000
STRING_COLUMNS = (("search_fields", 200), ("search_languages", 200), ("search_target_groups", 200))
FLAGS = ("women_only", "childcare", "free")
INDEXED = (("city_key", 100), ("postcode", 5), ("provider_actor_id", 64))
DERIVED = ("search_title", "search_text", *(name for name, _ in STRING_COLUMNS), *(name for name, _ in INDEXED),
           *FLAGS)

offers = sa.table("offers", sa.column("id", sa.String), sa.column("body", sa.JSON))
known_actors = sa.table("known_actors", sa.column("id", sa.String), sa.column("name", sa.String),
                        sa.column("search_name", sa.String))


def upgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_title', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        for name, length in STRING_COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), server_default='',
                                          nullable=False))
        for name, length in INDEXED:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True))
        for name in FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('known_actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sqlmodel.sql.sqltypes.AutoString(length=400), server_default='',
                                      nullable=False))

    connection = op.get_bind()
    _backfill_offers(connection)
    actors = connection.execute(sa.select(known_actors.c.id, known_actors.c.name)).all()
    if actors:
        connection.execute(
            known_actors.update().where(known_actors.c.id == sa.bindparam("actor_id"))
            .values(search_name=sa.bindparam("tokens")),
            [{"actor_id": row.id, "tokens": search.padded(search.tokens(row.name))} for row in actors])

    with op.batch_alter_table('offers', schema=None) as batch_op:
        for name, _ in INDEXED:
            batch_op.create_index(batch_op.f(f'ix_offers_{name}'), [name], unique=False)
        batch_op.create_index('ix_offers_status_created', ['status', 'created_at', 'id'], unique=False)
    if connection.dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_offers_search_vector ON offers USING gin ({SEARCH_VECTOR})")
    else:
        for statement in SQLITE_SEARCH_DDL:  # creates offers_fts and fills it from the backfilled column
            op.execute(statement)


def _backfill_offers(connection: sa.Connection) -> None:
    """Derive the search columns of every stored offer, a thousand at a time (keyset on id)."""
    target = sa.table("offers", sa.column("id", sa.String), *(sa.column(name) for name in DERIVED))
    update = target.update().where(target.c.id == sa.bindparam("offer_id")).values(
        **{name: sa.bindparam(f"new_{name}") for name in DERIVED})
    last = ""
    while True:
        rows = connection.execute(sa.select(offers.c.id, offers.c.body).where(offers.c.id > last)
                                  .order_by(offers.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(update, [
            {"offer_id": row.id, **{f"new_{name}": value for name, value in search.search_columns(row.body).items()}}
            for row in rows])
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_offers_search_vector")
    else:
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    with op.batch_alter_table('known_actors', schema=None) as batch_op:
        batch_op.drop_column('search_name')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_status_created')
        for name, _ in reversed(INDEXED):
            batch_op.drop_index(batch_op.f(f'ix_offers_{name}'))
        for name in reversed(DERIVED):
            batch_op.drop_column(name)
