"""district and field tables, folded name and search text

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:32:36.197952

Moves each actor's districts and fields from JSON columns into `actor_districts` and
`actor_fields`, so the directory filters in SQL, and fills the new folded columns.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

from services.actors import domain

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

actors = sa.table(
    "actors",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.String),
    sa.column("districts", sa.JSON),
    sa.column("fields", sa.JSON),
    sa.column("sort_name", sa.String),
    sa.column("search_text", sa.Text),
)
actor_districts = sa.table("actor_districts", sa.column("actor_id", sa.String), sa.column("district", sa.String))
actor_fields = sa.table("actor_fields", sa.column("actor_id", sa.String), sa.column("field", sa.String))


def upgrade() -> None:
    """Upgrade schema."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(actors.c.id, actors.c.name, actors.c.description, actors.c.districts, actors.c.fields)
    ).all()

    # `actors` is rebuilt on SQLite (batch mode) before any row refers to it: with foreign keys
    # on, dropping a referenced table fails.
    with op.batch_alter_table('actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_actors_name'))
        batch_op.drop_index(batch_op.f('ix_actors_active'))
        batch_op.create_index('ix_actors_sort_name_id', ['sort_name', 'id'], unique=False)
        batch_op.create_index('ix_actors_active_sort_name_id', ['active', 'sort_name', 'id'], unique=False)
    if rows:
        connection.execute(
            actors.update().where(actors.c.id == sa.bindparam("actor_id")).values(
                sort_name=sa.bindparam("folded_name"), search_text=sa.bindparam("folded_text")),
            [{"actor_id": row.id, "folded_name": domain.sort_name(row.name),
              "folded_text": domain.search_text(row.name, row.description or "")} for row in rows],
        )
    with op.batch_alter_table('actors', schema=None) as batch_op:
        batch_op.alter_column('sort_name', existing_type=sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False)
        batch_op.alter_column('search_text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('fields')
        batch_op.drop_column('districts')

    op.create_table('actor_districts',
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], ),
    sa.PrimaryKeyConstraint('actor_id', 'district')
    )
    with op.batch_alter_table('actor_districts', schema=None) as batch_op:
        batch_op.create_index('ix_actor_districts_district_actor_id', ['district', 'actor_id'], unique=False)

    op.create_table('actor_fields',
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], ),
    sa.PrimaryKeyConstraint('actor_id', 'field')
    )
    with op.batch_alter_table('actor_fields', schema=None) as batch_op:
        batch_op.create_index('ix_actor_fields_field_actor_id', ['field', 'actor_id'], unique=False)

    districts = [{"actor_id": row.id, "district": key} for row in rows for key in sorted(set(row.districts or []))]
    fields = [{"actor_id": row.id, "field": slug} for row in rows for slug in sorted(set(row.fields or []))]
    if districts:
        connection.execute(actor_districts.insert(), districts)
    if fields:
        connection.execute(actor_fields.insert(), fields)


def downgrade() -> None:
    """Downgrade schema."""
    connection = op.get_bind()
    memberships: dict[str, dict[str, list[str]]] = {}
    for table, column in ((actor_districts, "district"), (actor_fields, "field")):
        for actor_id, value in connection.execute(sa.select(table.c.actor_id, table.c[column])):
            memberships.setdefault(actor_id, {"districts": [], "fields": []})[f"{column}s"].append(value)

    with op.batch_alter_table('actor_fields', schema=None) as batch_op:
        batch_op.drop_index('ix_actor_fields_field_actor_id')
    op.drop_table('actor_fields')
    with op.batch_alter_table('actor_districts', schema=None) as batch_op:
        batch_op.drop_index('ix_actor_districts_district_actor_id')
    op.drop_table('actor_districts')

    with op.batch_alter_table('actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('districts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('fields', sa.JSON(), nullable=True))
        batch_op.drop_index('ix_actors_active_sort_name_id')
        batch_op.drop_index('ix_actors_sort_name_id')
        batch_op.create_index(batch_op.f('ix_actors_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_actors_name'), ['name'], unique=False)
    ids = [actor_id for (actor_id,) in connection.execute(sa.select(actors.c.id))]
    if ids:
        empty = {"districts": [], "fields": []}
        connection.execute(
            actors.update().where(actors.c.id == sa.bindparam("actor_id")).values(
                districts=sa.bindparam("district_list"), fields=sa.bindparam("field_list")),
            [{"actor_id": actor_id,
              "district_list": sorted(memberships.get(actor_id, empty)["districts"]),
              "field_list": sorted(memberships.get(actor_id, empty)["fields"])} for actor_id in ids],
        )
    with op.batch_alter_table('actors', schema=None) as batch_op:
        batch_op.alter_column('districts', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('fields', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('search_text')
        batch_op.drop_column('sort_name')
