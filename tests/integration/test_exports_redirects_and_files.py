"""Issue 10 point 5, the parts of "inputs": CSV cells cannot become formulas, redirects are never
built from the Host header, database and secret files are created readable by their owner only."""

import csv
import io
import os
import stat

import httpx

from npa.contracts import topics
from npa.contracts.envelope import encode, new_event
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.infrastructure.database import make_engine, ping, run_migrations
from npa.infrastructure.settings import persisted_secret
from services.actors.app import create_app as actors_app
from services.reports.export import neutralised
from tests.support.services import ROOT, eventually, produce, running_service, service_settings

FORMULAS = ["=HYPERLINK(\"https://evil.example\";\"klick\")", "+1+1", "-2+3", "@SUM(1;1)", "\t=1", "\r=1"]


def mode(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_formula_start_is_neutralised_and_plain_text_kept():
    assert [neutralised(text) for text in FORMULAS] == ["'" + text for text in FORMULAS]
    assert neutralised("Caritas = Nächstenliebe") == "Caritas = Nächstenliebe"
    assert neutralised("") == ""


async def test_actor_names_and_example_titles_are_exported_as_text(kafka_bootstrap, sqlite_url):
    settings = service_settings("reports", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        actor = actor_events.ActorState(id="actor-x", version=1, name=FORMULAS[0], kind="initiative",
                                        districts=["03241"], fields=["sprache"])
        await produce(kafka_bootstrap, topics.ACTORS, encode(new_event(
            source=actor_events.SOURCE, type=actor_events.REGISTERED, subject="actor-x",
            data=actor.model_dump(mode="json"))), key=b"actor-x")
        example = example_events.ExampleState(id="example-x", version=1, status="published", title=FORMULAS[3],
                                              fields=["sprache"], district="03241", actor_id="actor-x")
        await produce(kafka_bootstrap, topics.EXAMPLES, encode(new_event(
            source=example_events.SOURCE, type=example_events.PUBLISHED, subject="example-x",
            data=example.model_dump(mode="json"))), key=b"example-x")

        async def rows(table: str, column: str) -> list[str]:
            response = await client.get(f"/reports/export/{table}.csv", params={"lang": "en"})
            assert response.status_code == 200, response.text
            reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
            return [row[column] for row in reader]

        async def exported():  # noqa: ANN202
            return await rows("actors", "name") == ["'" + FORMULAS[0]] and await rows("examples", "title")

        await eventually(exported)
        assert await rows("examples", "title") == ["'" + FORMULAS[3]]


async def test_the_trailing_slash_redirect_is_relative_whatever_the_host(sqlite_url):
    run_migrations(ROOT / "services" / "actors" / "migrations", sqlite_url)
    app = actors_app(service_settings("actors", database_url=sqlite_url, bootstrap="127.0.0.1:9"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8001") as client:
        answer = await client.get("/api/v1/actors/?field=sprache", headers={"Host": "evil.example"})
        assert answer.status_code in (307, 308), answer.text
        assert answer.headers["location"] == "/api/v1/actors?field=sprache"
        assert "evil.example" not in answer.headers["location"]


def test_database_files_and_secrets_are_created_0600(tmp_path):
    database = tmp_path / "var" / "service.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES ('y')")
    ping(engine)
    files = [database, tmp_path / "var" / "service.db-wal", tmp_path / "var" / "service.db-shm"]
    assert all(path.exists() for path in files)
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    engine.dispose()

    old = tmp_path / "old.db"
    old.write_bytes(b"")
    old.chmod(0o644)
    make_engine(f"sqlite:///{old}").dispose()
    assert mode(old) == 0o600, "a database file left readable by an older version is tightened"

    value = persisted_secret(tmp_path / "var", "admin_token")
    assert mode(tmp_path / "var" / "admin_token") == 0o600 and len(value) > 30
    assert persisted_secret(tmp_path / "var", "admin_token") == value
