"""Autogenerate an Alembic revision for one service: python scripts/make_migration.py actors "message".

Compares the service's models with its migrations applied to a scratch SQLite database.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from npa.infrastructure.database import alembic_config, run_migrations  # noqa: E402


def main(service: str, message: str) -> None:
    migrations = ROOT / "services" / service / "migrations"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/scratch.db"
        run_migrations(migrations, url)
        command.revision(alembic_config(migrations, url), message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
