"""Revision 0002 moves existing actors' districts and fields into their own tables (and back
on downgrade), on SQLite and PostgreSQL; the service then serves the migrated actors."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from npa.infrastructure.database import alembic_config, make_engine
from npa.infrastructure.outbox import utcnow
from tests.support.services import running_service, service_settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "actors" / "migrations"
OLD_ACTORS = sa.table(
    "actors", *(sa.column(name) for name in ("id", "version", "name", "kind", "description", "is_multiplier", "active",
                                             "created_at", "updated_at")),
    sa.column("districts", sa.JSON), sa.column("fields", sa.JSON),
)
ROWS = [
    {"id": "a-1", "name": "Ökumenisches Zentrum Göttingen", "kind": "kirche", "description": "Sprachcafé",
     "districts": ["03159", "03155"], "fields": ["sprache", "teilhabe"], "is_multiplier": True, "active": True},
    {"id": "a-2", "name": "Landesweite Hotline", "kind": "land", "description": "",
     "districts": [], "fields": ["arbeit"], "is_multiplier": False, "active": True},
    {"id": "a-3", "name": "alter Verein", "kind": "initiative", "description": "aufgelöst",
     "districts": ["03241"], "fields": ["engagement"], "is_multiplier": False, "active": False},
]


async def test_existing_actors_survive_the_upgrade_and_the_downgrade(kafka_bootstrap, database_url):  # noqa: ANN001
    config = alembic_config(MIGRATIONS, database_url)
    command.upgrade(config, "0001")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        now = utcnow()
        connection.execute(OLD_ACTORS.insert(), [{**row, "version": 1, "created_at": now, "updated_at": now}
                                                 for row in ROWS])
    command.upgrade(config, "0002")

    settings = service_settings("actors", database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        listed = (await client.get("/api/v1/actors", params={"include_inactive": "true"})).json()
        assert [item["name"] for item in listed["items"]] == [
            "alter Verein", "Landesweite Hotline", "Ökumenisches Zentrum Göttingen"]  # folded order
        by_id = {item["id"]: item for item in listed["items"]}
        assert by_id["a-1"]["districts"] == ["03155", "03159"] and by_id["a-1"]["fields"] == ["sprache", "teilhabe"]
        assert by_id["a-2"]["districts"] == [] and by_id["a-3"]["active"] is False
        found = await client.get("/api/v1/actors", params={"q": "okumenisches", "region": "03159", "field": "sprache"})
        assert [item["id"] for item in found.json()["items"]] == ["a-1"]
        statewide = await client.get("/api/v1/actors", params={"region": "Weser-Ems"})
        assert [item["id"] for item in statewide.json()["items"]] == ["a-2"]

    command.downgrade(config, "0001")
    with engine.connect() as connection:
        restored = {row.id: row for row in connection.execute(sa.select(OLD_ACTORS))}
    engine.dispose()
    assert sorted(restored["a-1"].districts) == ["03155", "03159"] and restored["a-1"].fields == ["sprache", "teilhabe"]
    assert (restored["a-2"].districts, restored["a-2"].fields) == ([], ["arbeit"])
    assert restored["a-3"].districts == ["03241"]
