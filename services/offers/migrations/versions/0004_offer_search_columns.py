"""offer search: derived search columns, full-text index (FTS5 / GIN), provider search names

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000

Adds the columns the offer search matches on (derived from each offer's body by
`domain.search.search_columns`), fills them for the offers already stored, and builds the
full-text index over them: on PostgreSQL the generated `search_vector` (to_tsvector('german',
…)) with a GIN index, on SQLite the FTS5 table `offers_fts` with the triggers that keep it in
step (ADR 0011). Known actors get their name as search tokens, so a provider's name finds its
offers.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
from sqlalchemy.dialects import postgresql

from services.offers.domain import search
from services.offers.models import SEARCH_VECTOR, SQLITE_SEARCH_DDL, SQLITE_SEARCH_DROP

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 1000
offers = sa.table("offers", sa.column("id", sa.String), sa.column("body", sa.JSON), sa.column("search_text", sa.Text))
known_actors = sa.table("known_actors", sa.column("id", sa.String), sa.column("name", sa.String),
                        sa.column("search_name", sa.String))


def upgrade() -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.create_index('ix_offers_status_created', ['status', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('known_actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sqlmodel.sql.sqltypes.AutoString(length=400), server_default='',
                                      nullable=False))

    _backfill_offers(connection)
    actors = connection.execute(sa.select(known_actors.c.id, known_actors.c.name)).all()
    if actors:
        connection.execute(
            known_actors.update().where(known_actors.c.id == sa.bindparam("actor_id"))
            .values(search_name=sa.bindparam("tokens")),
            [{"actor_id": row.id, "tokens": search.search_name(row.name)} for row in actors])

    if postgres:  # computed from the backfilled columns while the column is added
        op.add_column('offers', sa.Column('search_vector', postgresql.TSVECTOR(),
                                          sa.Computed(SEARCH_VECTOR, persisted=True), nullable=True))
        op.create_index('ix_offers_search_vector', 'offers', ['search_vector'], postgresql_using='gin')
    else:
        op.add_column('offers', sa.Column('search_vector', sa.Text(), nullable=True))
        for statement in SQLITE_SEARCH_DDL:  # creates offers_fts and fills it from the backfilled columns
            op.execute(statement)


def _backfill_offers(connection: sa.Connection) -> None:
    """Derive the search columns of every stored offer, a thousand at a time (keyset on id)."""
    update = offers.update().where(offers.c.id == sa.bindparam("offer_id")).values(
        search_text=sa.bindparam("new_text"))
    last = ""
    while True:
        rows = connection.execute(sa.select(offers.c.id, offers.c.body).where(offers.c.id > last)
                                  .order_by(offers.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(update, [{"offer_id": row.id, "new_text": search.search_columns(row.body)["search_text"]}
                                    for row in rows])
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_offers_search_vector', table_name='offers')
    else:
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    with op.batch_alter_table('known_actors', schema=None) as batch_op:
        batch_op.drop_column('search_name')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_status_created')
        batch_op.drop_column('search_vector')
        batch_op.drop_column('search_text')
