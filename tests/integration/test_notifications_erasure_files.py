"""Erasure is real (ADR 15): after "delete me" the address is in none of the database's files.

SQLite: the main file, its `-wal` and `-shm`. PostgreSQL: the data files of every table and
index of the service's database, after the scrubber's VACUUM and a checkpoint."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from npa.infrastructure.database import run_migrations
from services.notifications import tokens
from services.notifications.app import create_app
from tests.support.notifications import apply, offer_event, subscribe
from tests.support.services import ROOT, service_settings

T0 = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
GONE = b"erase-me.please@example.org"
STAYS = b"stays.here@example.org"


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    run_migrations(ROOT / "services" / "notifications" / "migrations", database_url)
    app = create_app(service_settings("notifications", database_url=database_url, bootstrap="127.0.0.1:9"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8003") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http
    app.state.runtime.engine.dispose()


def sqlite_files(database_url: str) -> dict[str, bytes]:
    path = Path(make_url(database_url).database or "")
    return {name: file.read_bytes() for name in ("", "-wal", "-shm")
            if (file := path.with_name(path.name + name)).exists()}


def postgres_files(database_url: str) -> dict[str, bytes]:
    """Every relation file of the database (tables, indexes, TOAST), after a checkpoint."""
    engine = create_engine(database_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))  # the test runs as the superuser; the service never does
        data = Path(connection.execute(text("SHOW data_directory")).scalar_one())
        paths = connection.execute(text(
            "SELECT pg_relation_filepath(oid) FROM pg_class WHERE relkind IN ('r', 'i', 't') "
            "AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)")).scalars()
        files = {}
        for relative in paths:
            if relative:
                for segment in (data / relative).parent.glob(Path(relative).name + "*"):
                    files[str(segment)] = segment.read_bytes()
    engine.dispose()
    return files


def files_of(database_url: str) -> dict[str, bytes]:
    return sqlite_files(database_url) if database_url.startswith("sqlite") else postgres_files(database_url)


async def test_after_delete_me_the_address_is_in_no_database_file(client, database_url):  # noqa: ANN001
    runtime = client.app.state.runtime
    gone = subscribe(runtime, GONE.decode(), T0)
    subscribe(runtime, STAYS.decode(), T0)
    await apply(runtime, offer_event())  # alerts for both: deliveries point at the subscriptions
    before = files_of(database_url)
    assert any(GONE in content for content in before.values()), "the address should be on disk before"

    manage = {"token": runtime.tokens.sign(tokens.MANAGE, gone)}
    deleted = await client.post("/subscriptions/delete", params=manage)
    assert deleted.status_code == 200
    if not runtime.scrubber.sqlite:  # PostgreSQL: the worker's VACUUM, here run by hand (no lifespan)
        assert runtime.scrubber.scrub_pending()

    after = files_of(database_url)
    assert [name for name, content in after.items() if GONE in content] == []
    assert any(STAYS in content for content in after.values())  # the others are still there
