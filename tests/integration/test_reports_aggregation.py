"""The reports service on a generated data set (test_reports_dataset) through the real broker,
on SQLite and PostgreSQL: every figure of the API equals the one computed independently in
test_reports_expected; `npa-reports rebuild` into a fresh database gives the same tables;
every table downloads as CSV.

One data set per database, produced and consumed once for the whole module.
"""

import asyncio
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from services.reports.app import create_app
from services.reports.rebuild import TargetNotFresh, rebuild
from services.reports.replay_processes import rebuild_in_processes
from services.reports.tables import TABLES
from tests.integration import test_reports_expected as expected
from tests.integration.test_reports_dataset import DataSet, generate, produce_all
from tests.support.databases import postgres_database
from tests.support.processes import tansu_broker
from tests.support.services import eventually, running_service, service_settings

NPA_REPORTS = Path(sys.executable).parent / "npa-reports"


def consumed_total() -> float:
    """Every record the shared consumer finished, whatever the outcome (process-wide counter)."""
    return sum(sample.value for family in REGISTRY.collect() if family.name == "npa_events_consumed"
               for sample in family.samples if sample.name == "npa_events_consumed_total")


@dataclass
class Live:
    backend: str
    bootstrap: str
    database_url: str
    data: DataSet
    client: httpx.AsyncClient
    new_database: Callable[..., str]  # another fresh database of the same backend (SQLite: by name)


@pytest_asyncio.fixture(scope="module", loop_scope="session", params=["sqlite", "postgresql"])
async def live(request, tmp_path_factory) -> AsyncIterator[Live]:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("reports")
    with ExitStack() as stack:
        def new_database(name: str = "rebuilt") -> str:
            if request.param == "sqlite":
                return f"sqlite:///{folder}/{name}.db"
            return stack.enter_context(postgres_database())

        bootstrap = stack.enter_context(tansu_broker())
        url = new_database("live")
        data = generate()
        settings = service_settings("reports", database_url=url, bootstrap=bootstrap)
        async with running_service(settings) as client:
            before = consumed_total()
            await produce_all(bootstrap, data)
            await eventually(lambda: consumed_total() - before >= len(data.messages), timeout=60)
            yield Live(request.param, bootstrap, url, data, client, new_database)


@asynccontextmanager
async def read_only_api(database_url: str, bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    """The reports HTTP app over another database, without consuming (no lifespan)."""
    app = create_app(service_settings("reports", database_url=database_url, bootstrap=bootstrap))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reports.test") as client:
            yield client
    finally:
        app.state.runtime.engine.dispose()


async def get(client: httpx.AsyncClient, path: str, **params: object) -> dict:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_coverage_at_every_level_matches_the_generated_states(live: Live) -> None:
    for level, rows in (("district", expected.district_rows), ("arl", expected.region_rows), ("state", expected.state_rows)):
        body = await get(live.client, "/api/v1/reports/coverage", level=level)
        assert body["rows"] == rows(live.data), level
    assert sum(row["active_offers"] for row in expected.state_rows(live.data)) > 150


async def test_gaps_and_the_weakest_districts_match(live: Live) -> None:
    body = await get(live.client, "/api/v1/reports/gaps", limit=45)
    assert [(gap["district"], gap["field"]) for gap in body["gaps"]] == expected.gaps(live.data)
    assert body["total"] == len(expected.gaps(live.data)) > 0
    found = [(r["district"], r["field"], r["active_offers"], r["state_median"], r["share_of_median"])
             for r in body["weakest"]["rows"]]
    assert found == expected.weakest(live.data) and found
    assert body["weakest"]["basis"] == "absolute_counts" and "100.000 Einwohner" in body["weakest"]["note"]
    assert len((await get(live.client, "/api/v1/reports/gaps"))["weakest"]["rows"]) <= 5 * 5


async def test_monthly_trends_match_the_generated_history(live: Live) -> None:
    body = await get(live.client, "/api/v1/reports/trends")
    assert body["rows"] == expected.trend_rows(live.data)
    assert sum(row["ended_offers"] for row in body["rows"] if row["field"] == "alle") > 20


async def test_recognition_examples_and_notifications_match(live: Live) -> None:
    body = await get(live.client, "/api/v1/reports/recognition")
    assert [{key: actor[key] for key in ("actor_id", "name", "offers_published", "offers_active", "examples_published")}
            for actor in body["actors"]] == expected.recognised_actors(live.data)
    assert {row["figure"]: row["value"] for row in body["totals"]} == expected.thank_you(live.data)
    assert len((await get(live.client, "/api/v1/reports/recognition", limit=3))["actors"]) == 3
    examples = (await get(live.client, "/api/v1/reports/examples"))["rows"]
    assert [row["id"] for row in examples] == expected.example_ids(live.data)
    assert all(row["page_url"].endswith(row["id"]) for row in examples)
    assert (await get(live.client, "/api/v1/reports/notifications"))["fields"] == expected.notifications(live.data)


API_TABLES = [
    ("/api/v1/reports/coverage", {"level": "district"}), ("/api/v1/reports/coverage", {"level": "arl"}),
    ("/api/v1/reports/coverage", {"level": "state"}), ("/api/v1/reports/gaps", {"limit": 45}),
    ("/api/v1/reports/trends", {}), ("/api/v1/reports/trends", {"region": "Lüneburg", "months": 24}),
    ("/api/v1/reports/trends", {"region": "03241"}), ("/api/v1/reports/recognition", {}),
    ("/api/v1/reports/examples", {}), ("/api/v1/reports/notifications", {}),
]


async def test_rebuild_into_a_fresh_database_gives_identical_tables(live: Live) -> None:
    """The command as an operator runs it: two processes (its default), each a share of the
    partitions, writing batches of 50 side by side into one target."""
    fresh = live.new_database()
    command = [str(NPA_REPORTS), "rebuild", "--database-url", fresh, "--bootstrap", live.bootstrap, "--batch-size", "50"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # every record once: a partition replayed by both processes would count its records twice
    assert f"{len(live.data.messages)} records" in run.stdout and "not_applied 1" in run.stdout, run.stdout
    # the malformed message is reported as not applied: the rebuild parks nothing on .dlq
    assert "WARNING" in run.stderr and "not applied unknown from" in run.stderr, run.stderr
    assert "dead-lettered" not in run.stderr, run.stderr
    async with read_only_api(fresh, live.bootstrap) as rebuilt:
        for path, params in API_TABLES:
            assert await get(rebuilt, path, **params) == await get(live.client, path, **params), (path, params)
        for name in TABLES:
            path = f"/reports/export/{name}.csv"
            assert (await rebuilt.get(path)).content == (await live.client.get(path)).content, name

    with pytest.raises(TargetNotFresh, match="--resume"):  # a second replay into the same target proves nothing
        await rebuild(fresh, live.bootstrap)
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--resume" in refused.stderr, refused.stderr
    if live.backend == "sqlite":  # resuming changes nothing: every event is a duplicate or again not applied
        resumed = await rebuild(fresh, live.bootstrap, resume=True)
        assert set(resumed.outcomes) == {"duplicate", "not_applied"}, resumed.outcomes
        assert resumed.records == len(live.data.messages)
        three = subprocess.run([*command, "--resume", "--processes", "3"], capture_output=True, text=True, timeout=120)
        assert three.returncode == 0, three.stderr
        assert f"{len(live.data.messages)} records (duplicate {len(live.data.messages) - 1}, not_applied 1)" in three.stdout, \
            three.stdout


def test_a_rebuild_that_cannot_reach_kafka_says_so(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{closed.getsockname()[1]}"
    target = f"sqlite:///{tmp_path}/unreachable.db"
    run = subprocess.run([str(NPA_REPORTS), "rebuild", "--database-url", target, "--bootstrap", nowhere,
                          "--processes", "2"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"cannot read from Kafka at {nowhere}" in run.stderr and "KafkaConnectionError" in run.stderr, run.stderr
    bad = subprocess.run([str(NPA_REPORTS), "rebuild", "--database-url", target, "--processes", "0"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--processes" in bad.stderr, bad.stderr


def kill_first_child(pid: int) -> None:
    """SIGKILL to the first child process of `pid` as soon as there is one (Linux's /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = children.read_text().split() if children.exists() else []
        if found:
            os.kill(int(found[0]), signal.SIGKILL)
            return
        time.sleep(0.002)
    raise AssertionError("the rebuild started no process within 60 s")


async def test_a_replaying_process_that_dies_fails_the_command_and_resume_completes_the_target(live: Live) -> None:
    """A process killed (the kernel's OOM killer, an operator) is named, the others are stopped,
    and the command fails; `--resume` then completes the target as if nothing had happened."""
    target = live.new_database("killed-midway")
    command = [str(NPA_REPORTS), "rebuild", "--database-url", target, "--bootstrap", live.bootstrap, "--batch-size", "1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as running:
        await asyncio.to_thread(kill_first_child, running.pid)
        stdout, stderr = await asyncio.to_thread(running.communicate, timeout=120)
    assert running.returncode == 1, stdout + stderr
    assert "npa-reports-rebuild-1-of-2 ended with exit code -9" in stderr and "--resume" in stderr, stderr
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0 and f"{len(live.data.messages)} records" in resumed.stdout, resumed.stderr
    async with read_only_api(target, live.bootstrap) as rebuilt:
        for path, params in API_TABLES:
            assert await get(rebuilt, path, **params) == await get(live.client, path, **params), (path, params)


async def test_rebuild_in_small_batches_of_several_partitions_at_once_gives_identical_tables(live: Live) -> None:
    """Batches of 7: an entity's events span batches (its counts move from the stored row),
    and three partitions' batches are applied side by side, each partition's in order."""
    fresh = live.new_database("rebuilt-in-small-batches")
    result = await rebuild(fresh, live.bootstrap, batch_size=7, parallel=3)
    assert result.records == len(live.data.messages) and result.outcomes["not_applied"] == 1, result.outcomes
    async with read_only_api(fresh, live.bootstrap) as rebuilt:
        for path, params in API_TABLES:
            assert await get(rebuilt, path, **params) == await get(live.client, path, **params), (path, params)


async def test_rebuild_in_spawned_processes_gives_identical_tables(live: Live) -> None:
    """The command forks; a caller that runs other threads gets spawned processes, which import
    everything again and receive their share's arguments pickled."""
    fresh = live.new_database("rebuilt-in-spawned-processes")
    result = await asyncio.to_thread(rebuild_in_processes, fresh, live.bootstrap, processes=2, batch_size=20,
                                     start_method="spawn")
    assert result.records == len(live.data.messages) and result.outcomes["not_applied"] == 1, result.outcomes
    async with read_only_api(fresh, live.bootstrap) as rebuilt:
        for path, params in API_TABLES:
            assert await get(rebuilt, path, **params) == await get(live.client, path, **params), (path, params)


async def test_every_table_downloads_as_csv_for_excel(live: Live) -> None:
    for table in TABLES.values():
        response = await live.client.get(f"/reports/export/{table.name}.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), table.name
        assert f'filename="npa-{table.name}-' in response.headers["content-disposition"]
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert lines[0] == list(table.columns.values()) and len(lines) > 1, table.name
        english = (await live.client.get(f"/reports/export/{table.name}.csv", params={"lang": "en"})).content
        assert english.decode("utf-8-sig").splitlines()[0] == ";".join(table.columns), table.name
    districts = (await live.client.get("/reports/export/districts.csv")).content
    assert (await live.client.get("/reports/export.csv")).content == districts
    assert len(districts.decode("utf-8-sig").splitlines()) == 1 + 45 * 5
    missing = await live.client.get("/reports/export/secrets.csv")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "table"]


def test_the_console_script_is_installed() -> None:
    assert NPA_REPORTS.exists(), "pip install -e . registers npa-reports ([project.scripts])"
    assert "fresh read model" in subprocess.run([str(NPA_REPORTS), "rebuild", "--help"], capture_output=True,
                                                text=True, timeout=30).stdout
    module = subprocess.run([sys.executable, "-m", "services.reports.rebuild", "--help"], capture_output=True, text=True,
                            timeout=30, cwd=Path(__file__).resolve().parents[2])
    assert module.returncode == 0 and "--database-url" in module.stdout

