"""Fresh databases for tests: SQLite files and PostgreSQL databases on 127.0.0.1:5432 (or the
port in NPA_TEST_POSTGRES_PORT, e.g. a cluster with production settings for a benchmark)."""

import os
import uuid
from contextlib import contextmanager
from collections.abc import Iterator

import psycopg

PORT = int(os.environ.get("NPA_TEST_POSTGRES_PORT") or 5432)
SETUP_HINT = (
    f"PostgreSQL is not reachable on 127.0.0.1:{PORT}; start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
)


@contextmanager
def postgres_database(prefix: str = "npa_test", port: int = PORT) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server at 127.0.0.1:`port`; dropped afterwards.
    Yields its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True)
    except psycopg.OperationalError as error:
        raise RuntimeError(SETUP_HINT if port == PORT else f"PostgreSQL is not reachable on 127.0.0.1:{port}") \
            from error
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
