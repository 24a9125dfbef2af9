"""The four sections of bench/pipeline.py: ingest, steady, replay, replicas."""

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict

from kafka.admin import NewTopic

from bench.support import baselines, traffic
from bench.support.stack import ROOT, TOKEN, Stack
from npa.contracts import topics
from npa.contracts.events import offers as offer_events
from npa.infrastructure.kafka_admin import AdminClient
from tests.support.databases import postgres_database
from tests.support.processes import free_port


def create_topic(bootstrap: str, name: str) -> None:
    admin = AdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, num_partitions=4, replication_factor=1)])
    finally:
        admin.close()


async def faststream_rate(bootstrap: str, count: int) -> float:
    """Messages per second, first send to last read, through a bare FastStream subscriber process."""
    topic = f"bench.faststream.{time.time_ns()}"
    await asyncio.to_thread(create_topic, bootstrap, topic)
    process = subprocess.Popen([sys.executable, "-m", "bench.support.baselines", "faststream", bootstrap, topic,
                                str(count)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None

    async def line_starting(word: str) -> str:
        while not (line := await asyncio.to_thread(process.stdout.readline)).startswith(word):  # type: ignore[union-attr]
            if not line:
                raise RuntimeError("the FastStream baseline process ended early")
        return line

    try:
        await asyncio.wait_for(line_starting("ready"), 60)
        producer = await traffic.start_producer(bootstrap)
        baseline = traffic.baseline_partner()
        messages = [traffic.offer_message(baseline, f"baseline-{n}", f"Baseline {n}", n) for n in range(count)]
        started = time.time()
        for key, value, _headers in messages:  # JSON as FastStream decodes it into the model by itself
            await producer.send(topic, value, key=key, headers=[("content-type", b"application/json")])
        await producer.flush()
        await producer.stop()
        line = await asyncio.wait_for(line_starting("done"), 300)
        return count / (float(line.split()[1]) - started)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine so far (/proc/stat), every process included."""
    fields = [int(value) for value in open("/proc/stat").readline().split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)  # idle and iowait are not busy


def busy_cores(before: tuple[int, int]) -> float:
    """How many of the machine's cores were busy on average since `before` (machine_ticks)."""
    busy, total = machine_ticks()
    return (busy - before[0]) / max(1, total - before[1]) * (os.cpu_count() or 1)


async def ingest(stack: Stack, partner: dict, count: int) -> dict:
    """Partner messages produced as fast as possible → their `published` events on npa.offers.v1."""
    published_at: list[float] = []

    def on_record(record) -> None:  # noqa: ANN001
        if record.headers and dict(record.headers).get("ce_type") == offer_events.PUBLISHED.encode():
            if traffic.offer_event(record)["data"].get("external_id", "").startswith("ingest-"):
                published_at.append(time.time())

    watch = traffic.TopicWatch(stack.bootstrap, topics.OFFERS, on_record)
    await watch.start()
    producer = await traffic.start_producer(stack.bootstrap)
    messages = [traffic.offer_message(partner, f"ingest-{n}", f"Ingest-Kurs {n}", n) for n in range(count)]
    cpu_before, ticks = stack.cpu_seconds(infrastructure=True), machine_ticks()
    started = time.time()
    for key, value, headers in messages:
        await producer.send(topics.PARTNER_OFFERS, value, key=key, headers=headers)
    await producer.flush()
    produced = time.time() - started
    complete = await traffic.wait_for(lambda: len(published_at) >= count, 600, lambda: len(published_at))
    cpu = {name: used - cpu_before.get(name, 0.0) for name, used in stack.cpu_seconds(infrastructure=True).items()}
    machine = busy_cores(ticks)
    await producer.stop()
    await watch.stop()
    seconds = (published_at[-1] - started) if published_at else float("nan")
    return {"messages": count, "published": len(published_at), "complete": complete, "seconds": seconds,
            "produce_rate": count / produced, "rate": len(published_at) / seconds if published_at else 0.0,
            "cpu": cpu, "busy_cores": machine}


async def steady(stack: Stack, partner: dict, rate: float, seconds: float, subscribers_per_field: int) -> dict:
    """Offers at a steady rate to confirmed immediate subscribers → partner publish to SMTP accept."""
    producer = await traffic.start_producer(stack.bootstrap)
    total = int(rate * seconds)
    sent_at: dict[int, float] = {}
    title = re.compile(r"Steady (\d{6})")
    published_at: dict[int, float] = {}  # the relay's send time of the offer's `published` event

    def on_published(record) -> None:  # noqa: ANN001
        if (match := title.search(traffic.offer_event(record)["data"].get("title", ""))) is not None:
            published_at.setdefault(int(match.group(1)), record.timestamp / 1000)

    watch = traffic.TopicWatch(stack.bootstrap, topics.OFFERS, on_published)
    await watch.start()
    accepted = traffic.AcceptedMails(stack.mail)
    cursor = [len(accepted())]  # the subscribers' confirmation mails came before
    cpu_before, ticks = stack.cpu_seconds(infrastructure=True), machine_ticks()
    started = time.monotonic()
    for number in range(total):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        key, value, headers = traffic.offer_message(partner, f"steady-{number}", f"Steady {number:06d} Kurs",
                                                    number)
        sent_at[number] = time.time()
        await producer.send(topics.PARTNER_OFFERS, value, key=key, headers=headers)
    await producer.flush()
    await producer.stop()
    expected = total * subscribers_per_field

    steady_mails: list[tuple[float, int]] = []

    def mails() -> list[tuple[float, int]]:
        rows = accepted()
        for at, subject in rows[cursor[0]:]:
            if (match := title.search(subject)) is not None:
                steady_mails.append((at, int(match.group(1))))
        cursor[0] = len(rows)
        return steady_mails

    await traffic.wait_for(lambda: len(mails()) >= expected, 900, lambda: len(mails()), stall_seconds=30)
    await watch.stop()
    cpu = {name: used - cpu_before.get(name, 0.0) for name, used in stack.cpu_seconds(infrastructure=True).items()}
    machine = busy_cores(ticks)
    received = mails()
    latencies = [(at - sent_at[number]) * 1000 for at, number in received if number in sent_at]
    # Where the time goes: partner publish → offer event published (offers and its relay), and
    # offer event published → SMTP accept (notifications: consumer, fan-out, sender).
    to_published = [(published_at[number] - sent) * 1000 for number, sent in sent_at.items() if number in published_at]
    to_accepted = [(at - published_at[number]) * 1000 for at, number in received if number in published_at]
    per_offer: dict[int, int] = defaultdict(int)
    for _at, number in received:
        per_offer[number] += 1
    delivered = sum(1 for number in sent_at if per_offer[number] >= subscribers_per_field)
    last = max((at for at, _ in received), default=time.time())
    return {"offers": total, "mails_expected": expected, "mails": len(received), "latencies": latencies,
            "to_published": to_published, "to_accepted": to_accepted, "cpu": cpu, "busy_cores": machine,
            "sustained": delivered / max(1e-9, last - min(sent_at.values()))}


async def settled(stack: Stack, idle_cpu_seconds: float = 0.3, interval: float = 2.0) -> None:
    """Waits until the services together use less than `idle_cpu_seconds` per `interval`
    (the live consumers have caught up with what was produced)."""
    before = sum(stack.cpu_seconds().values())
    while True:
        await asyncio.sleep(interval)
        now = sum(stack.cpu_seconds().values())
        if now - before < idle_cpu_seconds:
            return
        before = now


async def replay(stack: Stack, code_root: str, backend: str) -> dict:
    """`npa-reports rebuild` of every consumed topic into a fresh database of the stack's backend."""
    with contextlib.ExitStack() as targets:
        url = (targets.enter_context(postgres_database("npa_bench_rebuilt")) if backend == "postgresql"
               else f"sqlite:///{stack.folder}/rebuilt-{time.time_ns()}.db")
        return await _replay_into(stack, code_root, url)


async def _replay_into(stack: Stack, code_root: str, url: str) -> dict:
    run = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.reports.rebuild", "--database-url",
                                                   url, "--bootstrap", stack.bootstrap],
                                  cwd=code_root, capture_output=True, text=True, timeout=1800,
                                  env={**os.environ, "PYTHONPATH": code_root})
    match = re.search(r"(\d+) records .* in ([\d.]+) s", run.stdout)
    assert run.returncode == 0 and match, run.stdout + run.stderr
    records, seconds = int(match.group(1)), float(match.group(2))
    raw_records, raw_rate = await baselines.raw_read_rate(
        stack.bootstrap, [topics.OFFERS, topics.EXAMPLES, topics.ACTORS, topics.NOTIFICATIONS])
    return {"records": records, "seconds": seconds, "rate": records / seconds, "raw_rate": raw_rate,
            "raw_records": raw_records}


async def replicas(stack: Stack, offers: int) -> dict:
    """Two offers processes on one PostgreSQL database and consumer group; one SIGKILLed halfway."""
    second = stack.spawn_service("offers", "offers-2", free_port())
    partner = traffic.register_partner(stack.urls, TOKEN)
    seen: list[tuple[str, str, int]] = []  # (event id, offer id, version) in partition order per key

    def on_record(record) -> None:  # noqa: ANN001
        event = traffic.offer_event(record)
        if event["data"].get("partner_id") == partner["id"]:
            seen.append((event["id"], event["subject"], event["data"]["version"]))

    watch = traffic.TopicWatch(stack.bootstrap, topics.OFFERS, on_record)
    await watch.start()
    producer = await traffic.start_producer(stack.bootstrap)
    for round_ in ("", " (geändert)"):
        for number in range(offers):
            key, value, headers = traffic.offer_message(partner, f"replica-{number}",
                                                        f"Replica-Kurs {number}{round_}", number)
            await producer.send(topics.PARTNER_OFFERS, value, key=key, headers=headers)
    await producer.flush()
    await producer.stop()
    expected = 2 * offers
    await traffic.wait_for(lambda: len(seen) >= expected // 2, 600)
    victim = stack.platform.services["offers"]
    victim.send_signal(signal.SIGKILL)
    killed_at = len(seen)
    await traffic.wait_for(lambda: len({(s, v) for _, s, v in seen}) >= expected, 600, lambda: len(seen))
    await asyncio.sleep(5)  # late repeats would show up here
    await watch.stop()
    second.send_signal(signal.SIGTERM)
    ids = [event_id for event_id, _, _ in seen]
    versions = {(subject, version) for _, subject, version in seen}
    by_offer: dict[str, list[int]] = defaultdict(list)
    for _, subject, version in seen:
        by_offer[subject].append(version)
    out_of_order = sum(1 for found in by_offer.values() if found != sorted(found))
    return {"expected": expected, "published": len(seen), "killed_after": killed_at,
            "duplicate_publishes": len(ids) - len(set(ids)), "duplicate_effects": len(set(ids)) - len(versions),
            "lost": expected - len(versions), "out_of_order_offers": out_of_order}
