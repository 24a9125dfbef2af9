"""The body of every service's Alembic env.py: online migrations on the configured URL."""

from types import ModuleType

from alembic import context
from sqlmodel import SQLModel

from npa.infrastructure.database import make_engine


def service_tables(models: ModuleType) -> set[str]:
    """Names of the tables a service's models module defines or imports (outbox, inbox …)."""
    return {
        value.__tablename__
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, SQLModel) and hasattr(value, "__table__")
    }


def run_env(models: ModuleType) -> None:
    """Migrate one service's database; autogenerate sees only that service's tables, even when
    other services' models share SQLModel's metadata in the same process (tests, tools)."""
    url = context.config.get_main_option("sqlalchemy.url")
    tables = service_tables(models)

    def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001, ARG001
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table is None or table in tables or table == "alembic_version"

    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def create_messaging_tables() -> None:
    """DDL of the outbox, inbox and entity_versions tables as of their first revision.

    Every service's initial migration calls this, so the shared tables are defined once. A
    later change to them gets a new function here and a new revision in every service.
    """
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "entity_versions",
        sa.Column("entity", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity"),
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], unique=False)


def drop_messaging_tables() -> None:
    from alembic import op

    op.drop_index("ix_outbox_published_at", table_name="outbox")
    for table in ("outbox", "inbox", "entity_versions"):
        op.drop_table(table)


def add_inbox_retention_index() -> None:
    """Revision 0003 of every service: inbox rows are pruned by age (ADR 0009)."""
    from alembic import op

    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], unique=False)


def drop_inbox_retention_index() -> None:
    from alembic import op

    op.drop_index("ix_inbox_processed_at", table_name="inbox")


def add_outbox_pending_index() -> None:
    """A later revision of every service: the relay's pending rows in id order (ADR 0009, section
    of 2026-12-02). The relay reads `published_at IS NULL ORDER BY id LIMIT n`; behind the rows
    published within the retention PostgreSQL walked the primary key through all of them on each
    round: 125.7 ms a round behind 300,000 published rows, 0.5 ms with this index."""
    import sqlalchemy as sa
    from alembic import op

    pending = sa.text("published_at IS NULL")
    op.create_index("ix_outbox_pending", "outbox", ["id"], unique=False, postgresql_where=pending,
                    sqlite_where=pending)


def drop_outbox_pending_index() -> None:
    from alembic import op

    op.drop_index("ix_outbox_pending", table_name="outbox")


def create_throttle_table() -> None:
    """npa.infrastructure.throttle.ThrottleCount, for a service that throttles (ADR 20)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "throttle_counts",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", "window_start"),
    )
    op.create_index("ix_throttle_counts_window_end", "throttle_counts", ["window_end"], unique=False)


def drop_throttle_table() -> None:
    from alembic import op

    op.drop_index("ix_throttle_counts_window_end", table_name="throttle_counts")
    op.drop_table("throttle_counts")


def create_audit_table() -> None:
    """npa.infrastructure.audit.AuditEntry, for a service where editors change things (ADR 21)."""
    import sqlalchemy as sa
    import sqlmodel
    from alembic import op

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("editor_id", sa.String(length=36), nullable=False),
        sa.Column("editor", sa.String(length=220), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("at", "editor_id", "entity_id"):
        op.create_index(f"ix_audit_log_{column}", "audit_log", [column], unique=False)


def drop_audit_table() -> None:
    from alembic import op

    for column in ("at", "editor_id", "entity_id"):
        op.drop_index(f"ix_audit_log_{column}", table_name="audit_log")
    op.drop_table("audit_log")


def create_editor_revocations_table() -> None:
    """npa.infrastructure.editor_revocations.EditorRevocation, for a service with editor pages (ADR 21)."""
    import sqlalchemy as sa
    import sqlmodel
    from alembic import op

    op.create_table(
        "editor_revocations",
        sa.Column("editor_id", sa.String(length=36), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("editor_id"),
    )


def drop_editor_revocations_table() -> None:
    from alembic import op

    op.drop_table("editor_revocations")
