"""The body of every service's Alembic env.py: online migrations on the configured URL."""

from alembic import context
from sqlalchemy import MetaData

from npa.infrastructure.database import make_engine


def run_env(target_metadata: MetaData) -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
