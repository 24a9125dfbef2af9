"""Fan-out: one offer matching N subscribers, mails/s into an SMTP sink, beside raw aiosmtplib.

The service path is the real one: an offer event on the real broker (Tansu) → the
notifications consumer matches N confirmed subscriptions (seeded in bulk) and queues N
deliveries → the sender claims, renders (once per template, language and offer) and sends
over NPA_NOTIFICATIONS_SMTP_CONNECTIONS connections, recording each outcome and staging its
`de.npa.notification.sent` event. The sink is aiosmtpd in its own process on loopback and
counts accepted mails. Then, in the same run, raw aiosmtplib sends the same number of
prebuilt mails over the same number of connections into the same sink.

    .venv/bin/python bench/notifications_fanout.py [subscribers=10000] [connections=4] [postgresql]

The raw rate is measured before and after the service in the same run (the machines are
shared, so the load changes within a minute) and the ratio is taken to their mean.

Measured 2026-11-25 on 2 cores, SQLite, 10,000 subscribers, 4 connections: service ~1,060 mails/s,
raw aiosmtplib ~2,190 mails/s (ratio ~0.48); PostgreSQL ~810 mails/s. Per mail the service process
spends ~0.9 ms of CPU (SMTP client as raw, plus claim and render ~0.16 ms, recording with the sent
event ~0.15 ms, relay and consumer) against ~0.45 ms for raw, on cores it shares with the sink and
the broker. Before rendering once per item, prebuilding bytes, claiming ahead of the connections
and recording in group commits it was ~420 against ~1,160 mails/s.

2026-11-30, 16 connections (ADR 23, revised in the afternoon), on a host shared with other
benchmarks (load 2–12): the service's CPU per mail 0.48–0.62 ms before and 0.37–0.44 ms after
the sender's own SMTP transaction (raw 0.22–0.27 ms); SQLite at load 3, 1,206 mails/s against raw
1,377 (0.88); PostgreSQL 889–929 against raw 1,279–1,351 (0.66–0.73; 0.50–0.57 before). Raw
aiosmtplib itself swung between 290 and 1,645 mails/s in those runs, so compare CPU per mail first.

2026-12-01 00:50–00:57 UTC, 16 connections, the machine fast (a 10-million-step loop in 0.4 s):
SQLite 1,511–1,590 mails/s against raw 2,066–2,117 (0.72–0.77; event → last accept 1,449–1,522);
PostgreSQL 1,359–1,397 against raw 2,089–2,142 (0.64–0.66). The service spends 0.42–0.45 ms of
CPU per mail in this process; raw aiosmtplib spends 0.31–0.33 ms.
"""

import asyncio
import logging
import multiprocessing
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from bench.support import baselines  # noqa: E402
from npa.contracts import topics  # noqa: E402
from npa.contracts.envelope import encode, new_event  # noqa: E402
from npa.contracts.events import offers as offer_events  # noqa: E402
from npa.infrastructure.database import make_engine, run_migrations  # noqa: E402
from npa.infrastructure.outbox import utcnow  # noqa: E402
from npa.infrastructure.topics_admin import ensure_topics  # noqa: E402
from npa.infrastructure.host import settle_garbage_collector  # noqa: E402
from services.notifications.app import create_app  # noqa: E402
from services.notifications.config import NotificationsConfig  # noqa: E402
from services.notifications import domain  # noqa: E402
from services.notifications.models import Subscription, SubscriptionTarget  # noqa: E402
from tests.support.databases import postgres_database  # noqa: E402
from tests.support.processes import free_port, tansu_broker  # noqa: E402
from tests.support.services import ROOT, service_settings  # noqa: E402

MIGRATIONS = ROOT / "services" / "notifications" / "migrations"
CPU: dict = {}  # CPU seconds per mail of this process (all its threads): a figure the shared machine's load moves less


def run_sink(port: int, count, first, last, ready) -> None:  # noqa: ANN001
    """The SMTP server, in its own process so it does not share the client's interpreter."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN202, N802
            with count.get_lock():
                count.value += 1
                now = time.time()
                if count.value == 1:
                    first.value = now
                last.value = now
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


class Sink:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.count, self.first, self.last = context.Value("i", 0), context.Value("d", 0.0), context.Value("d", 0.0)
        ready = context.Event()
        self.process = context.Process(target=run_sink, args=(self.port, self.count, self.first, self.last, ready),
                                       daemon=True)
        self.process.start()
        ready.wait(30)

    def reset(self) -> None:
        with self.count.get_lock():
            self.count.value, self.first.value, self.last.value = 0, 0.0, 0.0

    async def wait_for(self, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count.value < expected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sink accepted {self.count.value} of {expected} mails in {timeout:.0f} s")
            await asyncio.sleep(0.02)

    def rate(self) -> float:
        return self.count.value / max(1e-9, self.last.value - self.first.value)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def seed(url: str, subscribers: int) -> None:
    now = utcnow()
    rows = [{"id": str(uuid.uuid4()), "version": 1, "email": f"reader{n}@example.org", "email_key": f"reader{n}@example.org",
             "status": "active", "fields": ["sprache", "arbeit"] if n % 2 else ["sprache"],
             "regions": [] if n % 3 else ["Leine-Weser"], "frequency": "immediate", "language": "de" if n % 5 else "en",
             "examples": False, "new_actors": False, "created_at": now, "updated_at": now, "confirmed_at": now,
             "cadence_since": now} for n in range(subscribers)]
    targets = [{"audience": audience, "field": field, "frequency": row["frequency"], "area": area,
                "subscription_id": row["id"]}
               for row in rows for audience, field, area in domain.filing(row["fields"], row["regions"], False, False)]
    engine = make_engine(url)
    with engine.begin() as connection:  # subscriptions filed for matching as the use cases file them
        for start in range(0, len(rows), 2000):
            connection.execute(insert(Subscription), rows[start:start + 2000])
        for start in range(0, len(targets), 5000):
            connection.execute(insert(SubscriptionTarget), targets[start:start + 5000])
    engine.dispose()


async def service_rate(url: str, bootstrap: str, sink: Sink, subscribers: int, connections: int) -> tuple[float, float]:
    settings = service_settings("notifications", database_url=url, bootstrap=bootstrap, smtp_host="127.0.0.1",
                                smtp_port=sink.port)
    config = NotificationsConfig.from_env()
    config = replace(config, sender=replace(config.sender, connections=connections))
    app = create_app(settings, config)
    settle_garbage_collector()  # as `python -m services.notifications` does after creating the app
    logging.getLogger("faststream.access.kafka").setLevel(logging.WARNING)  # one line per message
    async with app.router.lifespan_context(app):
        offer = offer_events.OfferState(id=str(uuid.uuid4()), version=1, status="published", title="Deutschkurs A1",
                                        summary="Abendkurs für Einsteigerinnen und Einsteiger", fields=["sprache"],
                                        district="03241", city="Hannover", languages=["de", "ar", "uk"],
                                        costs="kostenlos", url="http://127.0.0.1:8002/offers/1")
        event = new_event(source=offer_events.SOURCE, type=offer_events.PUBLISHED, subject=offer.id,
                          data=offer.model_dump(mode="json"))
        cpu = time.process_time()
        await app.state.runtime.producer.send_and_wait(topics.OFFERS, encode(event), key=offer.id.encode())
        published = time.time()
        await sink.wait_for(subscribers, timeout=150)
        CPU["service"] = (time.process_time() - cpu) / subscribers
        return sink.rate(), subscribers / (sink.last.value - published)


async def raw_rate(sink: Sink, subscribers: int, connections: int) -> float:
    mails = baselines.prebuilt_alerts(subscribers)
    sink.reset()
    cpu = time.process_time()
    await baselines.send_raw(sink.port, mails, connections)
    CPU.setdefault("raw", []).append((time.process_time() - cpu) / subscribers)
    await sink.wait_for(subscribers, timeout=60)
    return sink.rate()


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    for chatty in ("faststream", "aiokafka", "kafka"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    subscribers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    use_postgres = len(sys.argv) > 3 and sys.argv[3] == "postgresql"
    sink = Sink()
    try:
        with tansu_broker() as bootstrap, tempfile.TemporaryDirectory() as scratch:
            await asyncio.to_thread(ensure_topics, bootstrap, 4)
            database = postgres_database("npa_bench") if use_postgres else None
            url = database.__enter__() if database else f"sqlite:///{scratch}/notifications.db"
            try:
                run_migrations(MIGRATIONS, url)
                seed(url, subscribers)
                database_name = "PostgreSQL" if use_postgres else "SQLite"
                print(f"notifications fan-out: 1 offer → {subscribers} subscribers, {connections} SMTP connections, "
                      f"{database_name}, aiosmtpd sink in its own process on loopback")
                before = await raw_rate(sink, subscribers, connections)  # raw before and after: the machine is shared
                sink.reset()
                service, end_to_end = await service_rate(url, bootstrap, sink, subscribers, connections)
            finally:
                if database:
                    database.__exit__(None, None, None)
        after = await raw_rate(sink, subscribers, connections)
    finally:
        sink.stop()
    raw = (before + after) / 2
    print(f"  service (claim, render, send, record + sent event): {service:8.0f} mails/s "
          f"(event → last accept: {end_to_end:.0f} mails/s)")
    print(f"  raw aiosmtplib, prebuilt bytes:                    {raw:8.0f} mails/s (before {before:.0f}, after {after:.0f})")
    print(f"  ratio service / raw:                               {service / raw:8.2f}")
    raw_cpu = sum(CPU["raw"]) / len(CPU["raw"])
    print(f"  CPU per mail in this process: service {CPU['service'] * 1000:.2f} ms (consume, match, claim, render, send, "
          f"record, relay), raw {raw_cpu * 1000:.2f} ms (send only); raw / service {raw_cpu / CPU['service']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
