"""Server time of the reports dashboard and its API on SQLite with hundreds of offers.

Fills a fresh SQLite read model with the generated data set of the reports tests (through
the shared consumer's `process`, as the bus would), then requests each page in process over
ASGI (no network) and prints p50/p95/max wall time and the median CPU time of the process
per request in milliseconds (CPU time stays honest when other work shares the machine).
The goal: the dashboard under 200 ms server time.

    .venv/bin/python bench/reports_dashboard.py [offers=600] [requests=40]
"""

import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from npa.infrastructure.consumer import EventConsumer, RetryPolicy  # noqa: E402
from npa.infrastructure.database import run_migrations  # noqa: E402
from npa.infrastructure.settings import load_settings  # noqa: E402
from services.reports import handlers  # noqa: E402
from services.reports.app import create_app  # noqa: E402
from tests.integration.test_reports_dataset import generate  # noqa: E402

PATHS = ["/reports?field=sprache", "/reports?field=teilhabe", "/api/v1/reports/coverage?level=district",
         "/api/v1/reports/gaps", "/api/v1/reports/trends", "/api/v1/reports/recognition", "/reports/export/trends.csv"]


async def fill(engine, offers: int) -> int:  # noqa: ANN001
    async def skip(*_args) -> None:  # noqa: ANN002
        return None

    consumer = EventConsumer("bench", engine, handlers.subscriptions().handlers, skip, RetryPolicy())
    data = generate(seed=3, offers=offers, actors=max(60, offers // 4), examples=max(40, offers // 8))
    for topic, key, value in data.messages:
        await consumer.process(topic, key, value)
    return len(data.messages)


async def main(offers: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/reports.db"
        run_migrations(Path(__file__).resolve().parents[1] / "services" / "reports" / "migrations", url)
        app = create_app(replace(load_settings("reports"), database_url=url))
        started = time.perf_counter()
        events = await fill(app.state.runtime.engine, offers)
        print(f"read model: {offers} offers, {events} events applied in {time.perf_counter() - started:.1f} s")
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
                timings.sort()
                p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
                print(f"{path:42} {len(response.content) / 1024:7.1f} KiB  p50 {statistics.median(timings):6.1f} ms  "
                      f"p95 {p95:6.1f} ms  max {timings[-1]:6.1f} ms  cpu p50 {statistics.median(cpu):6.1f} ms")
        app.state.runtime.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 600, int(sys.argv[2]) if len(sys.argv) > 2 else 40))
