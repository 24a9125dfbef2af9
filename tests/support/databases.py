"""Fresh databases for tests: SQLite files and PostgreSQL databases on 127.0.0.1:5432."""

import uuid
from contextlib import contextmanager
from collections.abc import Iterator

import psycopg

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
SETUP_HINT = (
    "PostgreSQL is not reachable on 127.0.0.1:5432; start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
)


@contextmanager
def postgres_database(prefix: str = "npa_test") -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards. Yields its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError as error:
        raise RuntimeError(SETUP_HINT) from error
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
