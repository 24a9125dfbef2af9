"""Partitions are consumed side by side: a partition whose batch is slow holds up only itself;
the others go on, and the slow one keeps its order."""

import asyncio
import threading
from dataclasses import replace

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from sqlmodel import SQLModel

from npa.contracts import topics
from npa.contracts.envelope import encode, new_event
from npa.contracts.events import actors as actor_events
from npa.infrastructure.inbox import EntityVersion, InboxEvent
from npa.infrastructure.outbox import OutboxMessage
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.settings import load_settings
from npa.infrastructure.topics_admin import ensure_topics
from tests.support.services import committed_offsets, eventually, read_topic


async def test_a_slow_partition_does_not_stall_the_others(kafka_bootstrap, tmp_path):
    release = threading.Event()
    applied: list[tuple[str, int]] = []

    def on_actor_events(_session, events: list) -> None:  # noqa: ANN001
        for event in events:
            if event.subject == "slow":
                assert release.wait(30), "never released"
            applied.append((event.subject, event.data["version"]))

    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 4)
    settings = replace(load_settings("reports"), service="partitions-test", kafka_bootstrap=kafka_bootstrap,
                       consumer_linger_ms=0, database_url=f"sqlite:///{tmp_path}/consumer.db")
    runtime = ServiceRuntime(settings, {actor_events.REGISTERED: on_actor_events})
    SQLModel.metadata.create_all(runtime.engine, tables=[InboxEvent.__table__, EntityVersion.__table__,
                                                         OutboxMessage.__table__])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await runtime.start()
    await producer.start()
    try:
        async def send(subject: str, version: int, partition: int) -> None:
            event = new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject=subject,
                              data={"version": version})
            await producer.send_and_wait(topics.ACTORS, encode(event), key=subject.encode(), partition=partition)

        await send("slow", 1, 0)
        await eventually(lambda: runtime.processor is not None and not release.is_set(), timeout=5)
        await asyncio.sleep(0.3)  # partition 0 is now stuck in its batch
        await send("after-slow", 1, 0)
        for partition in (1, 2, 3):
            for version in (1, 2, 3):
                await send(f"p{partition}", version, partition)
        await eventually(lambda: len(applied) == 9, timeout=15)
        assert ("slow", 1) not in applied and ("after-slow", 1) not in applied
        assert [version for subject, version in applied if subject == "p2"] == [1, 2, 3]
        release.set()
        await eventually(lambda: len(applied) == 11, timeout=15)
        assert applied[-2:] == [("slow", 1), ("after-slow", 1)]
    finally:
        release.set()
        await producer.stop()
        await runtime.stop()


async def test_records_waiting_in_several_partitions_share_one_transaction(kafka_bootstrap, tmp_path):
    """Three records in each of four partitions, there before the consumer starts: they are
    applied in fewer transactions than partitions, each partition in its order; a record of an
    unknown type among them is parked naming its own partition; every offset is committed."""
    calls: list[list[tuple[str, int]]] = []

    def on_actor_events(_session, events: list) -> None:  # noqa: ANN001
        calls.append([(event.subject, event.data["version"]) for event in events])

    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 4)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for partition in range(4):
            for version in (1, 2, 3):
                event = new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject=f"p{partition}",
                                  data={"version": version})
                await producer.send_and_wait(topics.ACTORS, encode(event), key=event.subject.encode(),
                                             partition=partition)
        unknown = new_event(source=actor_events.SOURCE, type="de.npa.actor.unheard-of", subject="p2", data={})
        await producer.send_and_wait(topics.ACTORS, encode(unknown), key=b"p2", partition=2)
    finally:
        await producer.stop()
    settings = replace(load_settings("reports"), service="shared-batches-test", kafka_bootstrap=kafka_bootstrap,
                       consumer_linger_ms=0, database_url=f"sqlite:///{tmp_path}/consumer.db")
    runtime = ServiceRuntime(settings, {actor_events.REGISTERED: on_actor_events})
    SQLModel.metadata.create_all(runtime.engine, tables=[InboxEvent.__table__, EntityVersion.__table__,
                                                         OutboxMessage.__table__])
    await runtime.start()
    try:
        await eventually(lambda: sum(len(call) for call in calls) == 12, timeout=15)
        assert len(calls) < 4, calls  # one transaction took records of several partitions
        for partition in range(4):
            versions = [version for call in calls for subject, version in call if subject == f"p{partition}"]
            assert versions == [1, 2, 3], (partition, calls)
        parked = await read_topic(kafka_bootstrap, topics.dead_letter(topics.ACTORS), expected=1)
        assert [dict(record.headers)["npa-dlq-origin-partition"] for record in parked] == [b"2"]
        ends = {0: 3, 1: 3, 2: 4, 3: 3}

        async def all_committed() -> bool:
            return await committed_offsets(kafka_bootstrap, "shared-batches-test", topics.ACTORS) == ends

        assert await eventually(all_committed, timeout=15)
    finally:
        await runtime.stop()


async def test_a_rebalance_and_a_stop_do_not_wait_for_a_stuck_batch_for_ever(kafka_bootstrap, tmp_path):
    """A batch that never finishes (say, a hung database call) when a second replica joins:
    aiokafka waits for the rebalance callback, which waits for the batch; after the grace
    period the batch is cancelled (and counted, for the alert ConsumerBatchCutShort), the group
    settles, the record comes again to its partition's owner and is applied, and the stuck
    replica still stops."""
    release, entered = threading.Event(), threading.Event()
    applied: list[tuple[str, int]] = []

    def on_actor_events(_session, events: list) -> None:  # noqa: ANN001
        for event in events:
            if event.subject == "stuck" and not entered.is_set():
                entered.set()
                assert release.wait(60), "never released"
            applied.append((event.subject, event.data["version"]))

    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 4)
    settings = replace(load_settings("reports"), service="stuck-batch-test", kafka_bootstrap=kafka_bootstrap,
                       consumer_linger_ms=0, consumer_graceful_seconds=1.0,
                       database_url=f"sqlite:///{tmp_path}/consumer.db")
    first = ServiceRuntime(settings, {actor_events.REGISTERED: on_actor_events})
    SQLModel.metadata.create_all(first.engine, tables=[InboxEvent.__table__, EntityVersion.__table__,
                                                       OutboxMessage.__table__])
    second = ServiceRuntime(settings, {actor_events.REGISTERED: on_actor_events})
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()

    def cut_short() -> float:
        return REGISTRY.get_sample_value("npa_consumer_batches_cut_short_total", {"topic": topics.ACTORS}) or 0.0

    await first.start()
    cut_before = cut_short()
    try:
        async def send(subject: str, partition: int) -> None:
            event = new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject=subject,
                              data={"version": 1})
            await producer.send_and_wait(topics.ACTORS, encode(event), key=subject.encode(), partition=partition)

        await send("stuck", 0)
        await eventually(entered.is_set, timeout=15)
        await second.start()  # raises if the group never settles (the callback waiting for good)
        assert cut_short() == cut_before + 1
        for partition in range(4):
            await send(f"p{partition}", partition)
        await eventually(lambda: {("stuck", 1), ("p0", 1), ("p1", 1), ("p2", 1), ("p3", 1)} <= set(applied),
                         timeout=30)  # "stuck" again, from its partition's owner, while the first copy hangs
        await asyncio.wait_for(first.stop(), 60)
        assert cut_short() == cut_before + 1  # its other workers had nothing under way
    finally:
        release.set()
        await producer.stop()
        await second.stop()
        await first.stop()
