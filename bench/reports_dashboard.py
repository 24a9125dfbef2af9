"""Server time of the reports dashboard, one CSV and the report API at state scale (100,000 offers).

For each database (SQLite, PostgreSQL): a fresh read model filled with a realistic history
(bench/replay.py: offers published, updated, withdrawn, expired; actors, examples,
subscriptions, alerts) through the consumer's own `BatchProcessor.process_batch`, as the bus
would deliver it in batches; then each path is requested in process over ASGI (no network).
Printed per path: p50/p95/max wall time and the median CPU time of the process, beside two
baselines of the same run: `/healthz` (the framework's own cost) and a bare `SELECT count(*)
FROM offer_facts` (one round trip over the offers). `facts scan` is what every request cost
before ADR 12: reading every active offer, actor and example and counting them in Python.
Targets: `/reports` under 200 ms at 100,000 offers.

    .venv/bin/python bench/reports_dashboard.py [offers=100000] [requests=30] [backends=sqlite,postgresql]
"""

import asyncio
import statistics
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from npa.infrastructure.consumer import BatchProcessor, RawRecord, RetryPolicy, bind  # noqa: E402
from npa.infrastructure.database import run_migrations  # noqa: E402
from npa.infrastructure.settings import load_settings  # noqa: E402
from replay import history  # noqa: E402
from services.reports import domain, handlers, snapshot, workers  # noqa: E402
from npa.infrastructure.host import settle_garbage_collector  # noqa: E402
from services.reports.app import create_app  # noqa: E402
from services.reports.models import OfferFact  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "reports" / "migrations"
PATHS = ["/healthz", "/reports?field=sprache", "/reports/export.csv", "/api/v1/reports/coverage?level=state",
         "/api/v1/reports/gaps", "/api/v1/reports/trends?region=L%C3%BCneburg", "/api/v1/reports/recognition?limit=10",
         "/reports/export/trends.csv"]


async def fill(engine, offers: int, batch: int = 2000) -> tuple[int, float]:  # noqa: ANN001
    processor = BatchProcessor("bench", engine, bind(handlers.HANDLERS), None, RetryPolicy())
    partitions: dict[tuple[str, int], list[RawRecord]] = defaultdict(list)
    for topic, key, value in history(offers, seed=3, subscriptions=0.05, deliveries=0.05):
        partitions[(topic, zlib.crc32(key) % 4)].append(RawRecord(key, value))
    started, applied = time.perf_counter(), 0
    for (topic, partition), records in partitions.items():
        for start in range(0, len(records), batch):
            applied += sum((await processor.process_batch(topic, partition, records[start:start + batch])).values())
    return applied, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def line(label: str, timings: list[float], cpu: list[float], size: str = "") -> str:
    return (f"  {label:44} {size:>10}  p50 {statistics.median(timings):7.1f} ms  p95 {percentile(timings, 0.95):7.1f} ms"
            f"  max {max(timings):7.1f} ms  cpu p50 {statistics.median(cpu):7.1f} ms")


def timed(work: Callable[[], object], requests: int) -> tuple[list[float], list[float]]:
    timings, cpu = [], []
    for _ in range(requests):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        work()
        timings.append((time.perf_counter() - begin) * 1000)
        cpu.append((time.process_time() - begin_cpu) * 1000)
    return timings, cpu


async def measure(backend: str, url: str, offers: int, requests: int) -> None:
    run_migrations(MIGRATIONS, url)
    app = create_app(replace(load_settings("reports"), database_url=url))
    settle_garbage_collector()  # as `python -m services.reports` does after creating the app
    engine = app.state.runtime.engine
    applied, seconds = await fill(engine, offers)
    workers.prune(engine, workers.Retention())  # as the running service does at start and every few minutes
    with Session(engine) as session:
        stored = session.execute(select(func.count()).select_from(OfferFact)).scalar()
    print(f"{backend}: {stored} offers in the read model, {applied} events applied in {seconds:.0f} s "
          f"({applied / seconds:,.0f} events/s through process_batch)")

    def count() -> None:
        with Session(engine) as session:
            session.execute(select(func.count()).select_from(OfferFact)).scalar()

    def facts_scan() -> None:
        facts = snapshot.load_facts(engine)
        domain.district_coverage(facts)

    print(line("baseline: SELECT count(*) FROM offer_facts", *timed(count, requests)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for path in PATHS:
            for _ in range(3):  # warm caches and connections
                (await client.get(path)).raise_for_status()
            timings, cpu = [], []
            for _ in range(requests):
                begin, begin_cpu = time.perf_counter(), time.process_time()
                response = await client.get(path)
                timings.append((time.perf_counter() - begin) * 1000)
                cpu.append((time.process_time() - begin_cpu) * 1000)
                response.raise_for_status()
            label = f"baseline: {path}" if path == "/healthz" else path
            print(line(label, timings, cpu, f"{len(response.content) / 1024:.1f} KiB"))
    print(line("before ADR 12: facts scan + count (per request)", *timed(facts_scan, max(3, requests // 5))))
    engine.dispose()


async def main(offers: int, requests: int, backends: list[str]) -> None:
    from tests.support.databases import postgres_database

    with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            url = f"sqlite:///{folder}/reports.db" if backend == "sqlite" else stack.enter_context(
                postgres_database("npa_bench"))
            await measure(backend, url, offers, requests)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(main(int(arguments[0]) if arguments else 100_000, int(arguments[1]) if len(arguments) > 1 else 30,
                     (arguments[2] if len(arguments) > 2 else "sqlite,postgresql").split(",")))
