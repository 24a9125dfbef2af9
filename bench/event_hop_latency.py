"""Latency of one event hop through the platform's real code path, against the real broker:

HTTP-side commit (state + outbox row) → outbox relay → Tansu → consumer group → inbox, version
check and handler commit in the consumer's own database.

Measured for two settings of NPA_KAFKA_FETCH_MAX_WAIT_MS (the platform default 50 and aiokafka's
500), at a steady rate. Prints p50/p95/p99/max in milliseconds.

    .venv/bin/python bench/event_hop_latency.py [events=400] [rate_per_s=100]
"""

import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from npa.contracts import topics  # noqa: E402
from npa.contracts.envelope import new_event  # noqa: E402
from npa.contracts.events import offers as offer_events  # noqa: E402
from npa.infrastructure.runtime import ServiceRuntime, Subscriptions  # noqa: E402
from npa.infrastructure.settings import load_settings  # noqa: E402
from npa.infrastructure.topics_admin import ensure_topics  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402
from tests.support.processes import tansu_broker  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def measure(bootstrap: str, folder: Path, fetch_max_wait_ms: int, events: int, rate: float) -> list[float]:
    latencies: dict[str, float] = {}

    def on_offer(_session, event) -> None:  # noqa: ANN001
        latencies[event.id] = (datetime.now(UTC) - event.time).total_seconds() * 1000

    base = load_settings("reports")
    consumer_settings = replace(base, service=f"bench-{fetch_max_wait_ms}", kafka_bootstrap=bootstrap,
                                database_url=f"sqlite:///{folder}/consumer-{fetch_max_wait_ms}.db",
                                kafka_fetch_max_wait_ms=fetch_max_wait_ms)
    producer_settings = replace(load_settings("offers"), kafka_bootstrap=bootstrap,
                                database_url=f"sqlite:///{folder}/producer-{fetch_max_wait_ms}.db",
                                outbox_poll_seconds=1.0)
    consumer = ServiceRuntime(consumer_settings, Subscriptions([topics.OFFERS], {offer_events.UPDATED: on_offer}))
    producer = ServiceRuntime(producer_settings)
    for runtime in (consumer, producer):
        SQLModel.metadata.create_all(runtime.engine)
    await consumer.start()
    await producer.start()
    try:
        interval = 1 / rate
        started = time.perf_counter()
        ids = []
        for number in range(events):
            event = new_event(source="/bench", type=offer_events.UPDATED, subject=f"offer-{fetch_max_wait_ms}-{number % 50}",
                              data={"version": number + 1})
            ids.append(event.id)
            with producer.transaction() as session:
                producer.stage(session, topics.OFFERS, event)
                session.commit()
            await asyncio.sleep(max(0.0, started + (number + 1) * interval - time.perf_counter()))
        deadline = time.monotonic() + 30
        while sum(i in latencies for i in ids) < events and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()
        await consumer.stop()
    missing = events - sum(i in latencies for i in ids)
    if missing:
        print(f"  WARNING: {missing} events not applied within 30 s")
    return [latencies[i] for i in ids if i in latencies]


async def main() -> None:
    import logging

    for chatty in ("faststream", "aiokafka", "kafka"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 100.0
    print(f"event hop latency, commit → applied in the consumer's database; {events} events at {rate:.0f}/s, "
          "50 entities, real Tansu broker, SQLite on both sides")
    with tansu_broker() as bootstrap, tempfile.TemporaryDirectory() as scratch:
        await asyncio.to_thread(ensure_topics, bootstrap, 4)
        for wait in (50, 500):
            values = await measure(bootstrap, Path(scratch), wait, events, rate)
            print(f"  fetch_max_wait_ms={wait:>3}: p50 {statistics.median(values):6.1f} ms  "
                  f"p95 {percentile(values, 0.95):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms  "
                  f"max {max(values):6.1f} ms  (n={len(values)})")


if __name__ == "__main__":
    asyncio.run(main())
