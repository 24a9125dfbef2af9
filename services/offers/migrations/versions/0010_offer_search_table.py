"""offer search on PostgreSQL: the full-text vector in a narrow table of its own

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00.000000

PostgreSQL counts a search by visiting the heap page of every matching row; with the vector in
`offers` (rows of ~1,800 bytes, four per page) a word found in 15,000 of 100,000 offers read
11,000 pages. Now the vector is in `offer_search` (offer id, date, vector: ~13 rows per page),
filled here from every stored offer and kept in step by statement triggers on `offers`; the
generated column and its GIN index go. SQLite keeps its FTS5 table and loses only the unused
`search_vector` column (ADR 0011, section of 2026-11-30).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.offers.models import POSTGRES_SEARCH_DDL, POSTGRES_SEARCH_DROP, SEARCH_VECTOR

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_SEARCH_DDL:  # creates offer_search and fills it from every stored offer
            op.execute(statement)
        op.drop_index('ix_offers_search_vector', table_name='offers')
    # SQLite drops the column in place (no rebuild of `offers`, so offers_fts keeps its rowids).
    op.drop_column('offers', 'search_vector')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('offers', sa.Column('search_vector', postgresql.TSVECTOR(),
                                          sa.Computed(SEARCH_VECTOR, persisted=True), nullable=True))
        op.create_index('ix_offers_search_vector', 'offers', ['search_vector'], postgresql_using='gin')
        for statement in POSTGRES_SEARCH_DROP:
            op.execute(statement)
    else:
        op.add_column('offers', sa.Column('search_vector', sa.Text(), nullable=True))
