"""A managed PostgreSQL is configured by URL alone: libpq options such as sslmode and
connect_timeout in the query string reach the driver (deploy/README.md)."""

import pytest
from sqlalchemy.exc import OperationalError

from npa.infrastructure.database import make_engine, ping


def test_sslmode_and_connect_timeout_in_the_url_reach_libpq(postgres_url: str) -> None:
    plain = make_engine(f"{postgres_url}?sslmode=disable&connect_timeout=5")
    ping(plain)
    plain.dispose()
    # Verifying the server against a CA file that does not exist can never succeed: libpq's own
    # reason proves the options arrived (dropped, they would connect in plain text).
    demanding = make_engine(f"{postgres_url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem&connect_timeout=5")
    with pytest.raises(OperationalError, match="SSL|certificate"):
        ping(demanding)
    demanding.dispose()
