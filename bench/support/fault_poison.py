"""Scenario 5, poison messages on every consumed topic, and the reader of `.dlq` topics that
scenario 7 (bench.support.fault_forged) shares."""

import asyncio
import importlib
import importlib.util
import json
import time
import uuid
from collections import Counter

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.support.fault_harness import Row
from bench.support.fault_scenarios import ENV, SERVICES, Options, finish, prepared, steady
from bench.support.stack import running_stack
from npa.contracts import catalogue, topics
from npa.infrastructure.consumer import topics_of

WITH_REPORTS = (*SERVICES, "reports")  # reports consumes npa.notifications.v1: every topic is covered


def consumers(services: tuple[str, ...]) -> dict[str, list[str]]:
    """Topic → the consumer groups (services) reading it, from the services' handler tables."""
    found: dict[str, list[str]] = {}
    for name in services:
        if importlib.util.find_spec(f"services.{name}.handlers") is None:
            continue  # a service that consumes nothing (actors)
        table = getattr(importlib.import_module(f"services.{name}.handlers"), "HANDLERS", None)
        for topic in topics_of(table) if table else []:
            found.setdefault(topic, []).append(name)
    return found


def poison(topic: str, run: str, number: int) -> list[tuple[bytes, bytes, str]]:
    """(key, value, what is wrong) for one topic: not JSON, not an envelope, an unknown type,
    a known type with data that does not fit."""
    known = catalogue.EVENTS[topic][1][0]

    def envelope(event_type: str, data: object) -> bytes:
        return json.dumps({"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/fault-suite",
                           "type": event_type, "time": "2026-11-30T08:00:00Z", "subject": "poison",
                           "datacontenttype": "application/json", "data": data}).encode()

    key = f"poison-{run}-{number}".encode()
    return [(key + b"-a", b"\x00\xffnot json at all", "not JSON"),
            (key + b"-b", b'{"hello": "world"}', "not an envelope"),
            (key + b"-c", envelope("de.npa.fault.unknown", {}), "unknown type"),
            (key + b"-d", envelope(known, {"id": 5, "version": "x"}), "known type, data that does not fit")]


async def parked_records(bootstrap: str, topic_names: list[str]) -> list:
    """Every record on the `.dlq` of these topics, from the beginning (no consumer group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found = []
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001
        partitions = [TopicPartition(topics.dead_letter(t), p) for t in topic_names
                      for p in sorted(consumer.partitions_for_topic(topics.dead_letter(t)) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(records)
    finally:
        await consumer.stop()
    return found


async def dead_letters(bootstrap: str, topic_names: list[str], run: str) -> Counter:
    """(origin topic, consumer group) of every parked record of this run that names a reason."""
    found: Counter = Counter()
    for record in await parked_records(bootstrap, topic_names):
        headers = {name: value.decode() for name, value in record.headers or ()}
        if (record.key or b"").startswith(f"poison-{run}".encode()) and headers.get("npa-dlq-reason"):
            found[(headers["npa-dlq-origin-topic"], headers["npa-dlq-consumer-group"])] += 1
    return found


async def poison_messages(options: Options) -> Row:
    """5. Poison interleaved with the steady stream on every topic a running service consumes:
    each must be parked on `<topic>.dlq` by every group that reads the topic, with its reason,
    and every good offer must still be applied and mailed."""
    with running_stack(options.backend, WITH_REPORTS, ENV) as stack:
        harness = prepared(stack, options)
        readers = consumers(WITH_REPORTS)
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
        await producer.start()
        sent = 0
        expected: Counter = Counter()
        try:
            harness.start_stream(options.rate)
            for round_ in range(5):
                for topic, groups in readers.items():
                    for key, value, _what in poison(topic, harness.run_id, round_):
                        await producer.send_and_wait(topic, value, key=key)
                        sent += 1
                        for group in groups:
                            expected[(topic, group)] += 1
                await asyncio.sleep(2)
        finally:
            await producer.stop()
        harness.mark_fault_end()
        await steady(harness, options, 5)
        row = await finish(harness, options, "5 poison messages on every consumed topic")
        await asyncio.sleep(3)
        parked = await dead_letters(stack.bootstrap, list(readers), harness.run_id)
        missing = {place: count - parked[place] for place, count in expected.items() if parked[place] < count}
        extra = {place: count - expected[place] for place, count in parked.items() if count > expected[place]}
        row.note = (f"{sent} poison on {len(readers)} topics; parked with a reason "
                    f"{sum(parked.values())}/{sum(expected.values())} (topic × group); good offers as the others; "
                    "recovery: from the last poison until the offers sent so far were mailed")
        if missing:
            row.extra_failures.append(f"not parked: {missing}")
        if extra:
            row.extra_failures.append(f"parked more than once: {extra}")
        row.lost += sum(missing.values())
        row.sent += sent
        row.applied += sent - sum(missing.values())  # parked by every group that reads the topic
        return row
