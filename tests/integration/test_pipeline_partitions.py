"""Partitions are consumed side by side: a partition whose batch is slow holds up only itself;
the others go on, and the slow one keeps its order."""

import asyncio
import threading
from dataclasses import replace

from aiokafka import AIOKafkaProducer
from sqlmodel import SQLModel

from npa.contracts import topics
from npa.contracts.envelope import encode, new_event
from npa.contracts.events import actors as actor_events
from npa.infrastructure.inbox import EntityVersion, InboxEvent
from npa.infrastructure.outbox import OutboxMessage
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.settings import load_settings
from npa.infrastructure.topics_admin import ensure_topics
from tests.support.services import eventually


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
                       database_url=f"sqlite:///{tmp_path}/consumer.db")
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
