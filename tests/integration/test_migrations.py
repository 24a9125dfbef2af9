"""Each service's migrations build exactly the schema its models describe, on SQLite and PostgreSQL."""

from pathlib import Path

import pytest
from alembic import command

from npa.infrastructure.database import alembic_config, run_migrations

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["actors", "offers", "notifications", "reports"])
def test_migrations_match_models_and_run_twice(service, database_url):  # noqa: ANN001
    migrations = ROOT / "services" / service / "migrations"
    run_migrations(migrations, database_url)
    run_migrations(migrations, database_url)  # idempotent at start-up of every replica
    config = alembic_config(migrations, database_url)
    command.check(config)  # raises when models and migrations disagree
    command.downgrade(config, "base")
    command.upgrade(config, "head")
