"""Replay speed of `npa-reports rebuild` on a real Tansu broker, beside raw reading and decoding.

Produces a realistic history (offers published, updated, withdrawn, expired and published
again; actors; good examples; subscriptions confirmed and cancelled; alerts sent and failed;
a few redeliveries and one malformed message) over the four topics the reports consume, keyed
by entity, in time order. Then, in one run and on the same records:

- raw: an aiokafka consumer, assign + seek to the beginning, reading every record (no processing);
- decode: the same records decoded into pydantic CloudEvents (`npa.contracts.envelope.decode`),
  CPU only;
- rebuild: `services.reports.rebuild.rebuild` into a fresh SQLite file and a fresh PostgreSQL
  database (migrations, inbox, version checks, handlers, commits), in this process, as
  `npa-reports rebuild --processes 1` does;
- command: `npa-reports rebuild` itself (`python -m services.reports.rebuild`, its default of two
  replaying processes) into another fresh database of each backend; its own figure (from after
  the migrations, as above) and the command's wall time, interpreter start included.

Each figure is events per second (and this process's CPU seconds); rebuilds repeat `rounds`
times into new databases.

    .venv/bin/python bench/replay.py [offers=40000] [rounds=2] [backends=sqlite,postgresql]
"""

import asyncio
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

from npa.contracts import topics  # noqa: E402
from npa.contracts.envelope import CloudEvent, decode, encode  # noqa: E402
from npa.contracts.events import actors as actor_events  # noqa: E402
from npa.contracts.events import examples as example_events  # noqa: E402
from npa.contracts.events import notifications as notification_events  # noqa: E402
from npa.contracts.events import offers as offer_events  # noqa: E402
from npa.contracts.reference import FIELDS, districts  # noqa: E402
from npa.infrastructure import kafka  # noqa: E402
from npa.infrastructure.topics_admin import ensure_topics  # noqa: E402

SLUGS = list(FIELDS)
LANGUAGES = ["de", "ar", "uk", "fa", "ru", "en", "tr", "ku", "ti", "so"]
KINDS = ["initiative", "kommune", "freier_traeger", "kirche", "migrantenorganisation"]
CONSUMED = (topics.OFFERS, topics.EXAMPLES, topics.ACTORS, topics.NOTIFICATIONS)
Message = tuple[str, bytes, bytes]  # topic, key, value


def _event(source: str, type_: str, subject: str, time: datetime, data: dict) -> tuple[datetime, str, CloudEvent]:
    return time, subject, CloudEvent(id=str(uuid.uuid4()), source=source, type=type_, time=time, subject=subject,
                                     data=data)


def history(offers: int = 40_000, seed: int = 8, now: datetime | None = None, *, subscriptions: float = 0.25,
            deliveries: float = 0.5) -> list[Message]:
    """About 2.7 events per offer over the four topics, in time order (each entity's versions in
    order); `subscriptions` and `deliveries` per offer."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    keys = sorted(districts())
    timeline: list[tuple[datetime, str, str, CloudEvent]] = []

    def add(topic: str, source: str, entity_id: str, steps: list[tuple[str, datetime, dict]]) -> None:
        for version, (type_, at, state) in enumerate(steps, start=1):
            timeline.append((at, topic, entity_id, _event(source, type_, entity_id, at,
                                                          {**state, "id": entity_id, "version": version})[2]))

    def past(max_days: float) -> datetime:
        return now - timedelta(days=rng.uniform(0.01, max_days))

    actor_ids = [f"actor-{n:05d}" for n in range(max(50, offers // 20))]
    for n, actor_id in enumerate(actor_ids):
        state = {"name": f"Akteur {n}", "kind": KINDS[n % len(KINDS)], "description": "Beratung und Begleitung " * 4,
                 "districts": [] if n % 25 == 0 else rng.sample(keys, rng.randint(1, 3)),
                 "fields": rng.sample(SLUGS, rng.randint(1, 3)), "is_multiplier": rng.random() < 0.2,
                 "website": f"https://verein-{n}.example.org", "active": True}
        at = past(700)
        steps = [(actor_events.REGISTERED, at, state)]
        if rng.random() < 0.3:
            steps.append((actor_events.UPDATED, at + (now - at) * 0.5, {**state, "fields": rng.sample(SLUGS, 2)}))
        if n % 15 == 4:
            steps.append((actor_events.DEACTIVATED, at + (now - at) * 0.8, {**steps[-1][2], "active": False}))
        add(topics.ACTORS, actor_events.SOURCE, actor_id, steps)

    for n in range(offers):
        district = None if rng.random() < 0.06 else rng.choice(keys)
        state = {"status": "published", "title": f"Deutschkurs A{n % 3 + 1} in Kurs {n}",
                 "summary": "Kurs für Geflüchtete mit Kinderbetreuung", "description": "Wir treffen uns wöchentlich. " * 8,
                 "fields": rng.sample(SLUGS, rng.randint(1, 2)), "district": district, "postcode": "30159",
                 "city": "Hannover", "languages": sorted(rng.sample(LANGUAGES, rng.randint(1, 3))),
                 "target_groups": ["gefluechtete"], "women_only": rng.random() < 0.15, "childcare": rng.random() < 0.2,
                 "costs": rng.choice(["kostenlos", "kostenlos", "5 € pro Termin", None]),
                 "provider_actor_id": None if rng.random() < 0.1 else rng.choice(actor_ids),
                 "registration_url": f"https://kurse.example.org/{n}"}
        at = past(600)
        steps = [(offer_events.PUBLISHED, at, state)]
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            at += (now - at) * rng.uniform(0.05, 0.5)
            state = {**state, "women_only": not state["women_only"], "fields": rng.sample(SLUGS, rng.randint(1, 2)),
                     "district": rng.choice(keys) if rng.random() < 0.1 else state["district"]}
            steps.append((offer_events.UPDATED, at, state))
        ending = rng.random()
        if ending < 0.35:
            at += (now - at) * rng.uniform(0.1, 0.9)
            type_, status = (offer_events.WITHDRAWN, "withdrawn") if ending < 0.15 else (offer_events.EXPIRED, "expired")
            steps.append((type_, at, {**state, "status": status}))
            if ending < 0.04:
                steps.append((offer_events.PUBLISHED, at + (now - at) / 2, {**state, "status": "published"}))
        add(topics.OFFERS, offer_events.SOURCE, f"offer-{n:06d}", steps)

    for n in range(max(20, offers // 40)):
        state = {"status": "published", "title": f"Gutes Beispiel {n}", "situation": "Ausgangslage " * 10,
                 "district": None if n % 8 == 0 else rng.choice(keys), "fields": rng.sample(SLUGS, rng.randint(1, 2)),
                 "actor_id": rng.choice(actor_ids), "page_url": f"https://npa.example.org/examples/example-{n:05d}"}
        at = past(500)
        steps = [(example_events.PUBLISHED, at, state)]
        if n % 6 == 1:
            steps.append((example_events.WITHDRAWN, at + (now - at) / 3, {**state, "status": "withdrawn"}))
        add(topics.EXAMPLES, example_events.SOURCE, f"example-{n:05d}", steps)

    subscriptions = max(20, int(offers * subscriptions))
    for n in range(subscriptions):
        state = {"fields": rng.sample(SLUGS, rng.randint(0, 2)), "regions": rng.sample(keys, rng.randint(0, 2)),
                 "frequency": rng.choice(["immediate", "daily", "weekly"]), "language": rng.choice(["de", "en", "ar"])}
        at = past(400)
        steps = [(notification_events.SUBSCRIPTION_CONFIRMED, at, state)]
        if n % 7 == 0:
            steps.append((notification_events.SUBSCRIPTION_CANCELLED, at + (now - at) / 2, state))
        add(topics.NOTIFICATIONS, notification_events.SOURCE, f"subscription-{n:06d}", steps)
    for n in range(int(offers * deliveries)):
        type_ = notification_events.FAILED if n % 40 == 0 else notification_events.SENT
        outcome = {"subscription_id": f"subscription-{rng.randrange(subscriptions):06d}", "event_id": str(uuid.uuid4()),
                   "event_type": offer_events.PUBLISHED, "item_id": f"offer-{rng.randrange(offers):06d}",
                   "fields": rng.sample(SLUGS, rng.randint(1, 2)), "district": rng.choice(keys)}
        add(topics.NOTIFICATIONS, notification_events.SOURCE, f"delivery-{n:07d}", [(type_, past(400), outcome)])

    timeline.sort(key=lambda item: item[0])
    messages = [(topic, key.encode(), encode(event)) for _at, topic, key, event in timeline]
    for topic, key, value in rng.sample(messages, len(messages) // 500):  # redeliveries, as Kafka may
        messages.append((topic, key, value))
    messages.append((topics.OFFERS, b"offer-broken", b"{not json"))
    return messages


async def produce(bootstrap: str, messages: list[Message]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=kafka.PRODUCER_BATCH_BYTES)
    await producer.start()
    started = time.perf_counter()
    try:
        sent = [await producer.send(topic, value, key=key) for topic, key, value in messages]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_read(bootstrap: str) -> tuple[list[bytes], float]:
    """Every record of the consumed topics, read as the rebuild reads them but not processed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                fetch_max_wait_ms=50, max_poll_records=8000)
    await consumer.start()
    values: list[bytes] = []
    try:
        started = time.perf_counter()
        partitions = await kafka.partitions_of(consumer, CONSUMED)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        async for _tp, records in kafka.read_to_end(consumer, partitions, max_records=8000):
            values.extend(record.value for record in records)
        return values, time.perf_counter() - started
    finally:
        await consumer.stop()


def bare_decode(values: list[bytes]) -> float:
    started = time.perf_counter()
    for value in values:
        try:
            decode(value)
        except ValueError:
            pass
    return time.perf_counter() - started


async def rebuild_into(url: str, bootstrap: str) -> tuple[int, float, dict]:
    from services.reports.rebuild import rebuild

    started = time.perf_counter()
    result = await rebuild(url, bootstrap)
    return result.records, time.perf_counter() - started, dict(result.outcomes)


async def command_into(url: str, bootstrap: str) -> tuple[int, float, float, str]:
    """`npa-reports rebuild` as an operator runs it: records, its own seconds, the wall time, its outcomes."""
    started = time.perf_counter()
    run = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.reports.rebuild", "--database-url",
                                                   url, "--bootstrap", bootstrap],
                                  cwd=ROOT, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    found = re.search(r"(\d+) records \((.*)\) .* in ([\d.]+) s", run.stdout)
    if run.returncode != 0 or found is None:
        raise RuntimeError(f"npa-reports rebuild failed: {run.stdout}{run.stderr}")
    return int(found.group(1)), float(found.group(3)), wall, found.group(2)


async def main(offers: int, rounds: int, backends: list[str]) -> None:
    from tests.support.databases import postgres_database
    from tests.support.processes import tansu_broker

    messages = history(offers)
    print(f"history: {len(messages)} events over {len(CONSUMED)} topics "
          f"({sum(1 for m in messages if m[0] == topics.OFFERS)} on {topics.OFFERS}), "
          f"{sum(len(m[2]) for m in messages) / len(messages):.0f} bytes on average")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        bootstrap = stack.enter_context(tansu_broker())
        await asyncio.to_thread(ensure_topics, bootstrap, 4)
        produced = await produce(bootstrap, messages)
        print(f"produced onto Tansu (4 partitions per topic) in {produced:.1f} s "
              f"({len(messages) / produced:,.0f} events/s)")
        for number in range(1, rounds + 1):
            cpu = time.process_time()
            values, seconds = await raw_read(bootstrap)
            print(f"round {number}: raw aiokafka read   {len(values):>7} records {seconds:6.2f} s "
                  f"{len(values) / seconds:>9,.0f} events/s  {_cpu(cpu)}")
            cpu = time.process_time()
            seconds = bare_decode(values)
            print(f"round {number}: bare CloudEvent decode {len(values):>5} records {seconds:6.2f} s "
                  f"{len(values) / seconds:>9,.0f} events/s  {_cpu(cpu)}")
            for backend in backends:
                url = (f"sqlite:///{folder}/rebuilt-{number}.db" if backend == "sqlite"
                       else stack.enter_context(postgres_database("npa_bench")))
                cpu = time.process_time()
                records, seconds, outcomes = await rebuild_into(url, bootstrap)
                print(f"round {number}: rebuild {backend:10}   {records:>7} records {seconds:6.2f} s "
                      f"{records / seconds:>9,.0f} events/s  {_cpu(cpu)}  {outcomes}")
                url = (f"sqlite:///{folder}/command-{number}.db" if backend == "sqlite"
                       else stack.enter_context(postgres_database("npa_bench_command")))
                records, seconds, wall, said = await command_into(url, bootstrap)
                print(f"round {number}: command {backend:10}   {records:>7} records {seconds:6.2f} s "
                      f"{records / seconds:>9,.0f} events/s  (wall {wall:5.2f} s: {records / wall:,.0f}/s)  {said}")


def _cpu(started: float) -> str:
    """This process's CPU seconds since `started` (all threads; not the broker's or PostgreSQL's):
    on a machine shared with other work, the figure that moves least with their load."""
    return f"(cpu {time.process_time() - started:5.2f} s)"


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(main(int(arguments[0]) if arguments else 40_000, int(arguments[1]) if len(arguments) > 1 else 2,
                     (arguments[2] if len(arguments) > 2 else "sqlite,postgresql").split(",")))
