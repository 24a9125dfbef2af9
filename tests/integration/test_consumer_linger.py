"""A lingering consumer (the reports' default, ADR 9): records arriving while a batch smaller
than its budget waits go into that batch; a backlog that fills the budget is taken at once;
offsets are committed after each batch as without a linger."""

import asyncio
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
from tests.support.services import committed_offsets, eventually


def _runtime(kafka_bootstrap: str, tmp_path, group: str, calls: list, **changes) -> ServiceRuntime:  # noqa: ANN001
    def on_actor_events(_session, events: list) -> None:  # noqa: ANN001
        calls.append([(event.subject, event.data["version"]) for event in events])

    settings = replace(load_settings("reports"), service=group, kafka_bootstrap=kafka_bootstrap,
                       database_url=f"sqlite:///{tmp_path}/{group}.db", **changes)
    runtime = ServiceRuntime(settings, {actor_events.REGISTERED: on_actor_events})
    SQLModel.metadata.create_all(runtime.engine, tables=[InboxEvent.__table__, EntityVersion.__table__,
                                                         OutboxMessage.__table__])
    return runtime


async def _send(kafka_bootstrap: str, versions_by_partition: dict[int, range]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for partition, versions in versions_by_partition.items():
            for version in versions:
                event = new_event(source=actor_events.SOURCE, type=actor_events.REGISTERED, subject=f"p{partition}",
                                  data={"version": version})
                await producer.send(topics.ACTORS, encode(event), key=event.subject.encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


def test_the_reports_linger_by_default_and_the_alert_path_does_not() -> None:
    assert load_settings("reports").consumer_linger_ms == 500
    assert load_settings("offers").consumer_linger_ms == load_settings("notifications").consumer_linger_ms == 0


async def test_records_arriving_within_the_linger_share_one_batch(kafka_bootstrap, tmp_path):
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 4)
    calls: list[list[tuple[str, int]]] = []
    runtime = _runtime(kafka_bootstrap, tmp_path, "linger-test", calls, consumer_linger_ms=3000)
    await runtime.start()
    try:
        await _send(kafka_bootstrap, {0: range(1, 2)})
        await asyncio.sleep(0.5)  # the first record is fetched and lingers
        await _send(kafka_bootstrap, {0: range(2, 4), 1: range(1, 3)})
        await eventually(lambda: sum(len(call) for call in calls) == 5, timeout=20)
        assert len(calls) == 1, calls
        assert [version for subject, version in calls[0] if subject == "p0"] == [1, 2, 3]

        async def committed() -> bool:
            return await committed_offsets(kafka_bootstrap, "linger-test", topics.ACTORS) == {0: 3, 1: 2, 2: 0, 3: 0}

        assert await eventually(committed, timeout=15)
    finally:
        await runtime.stop()


async def test_a_backlog_that_fills_the_budget_does_not_wait(kafka_bootstrap, tmp_path):
    """With a linger far longer than the test may take, a backlog of whole batches is applied."""
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 4)
    await _send(kafka_bootstrap, {2: range(1, 7)})
    calls: list[list[tuple[str, int]]] = []
    runtime = _runtime(kafka_bootstrap, tmp_path, "backlog-test", calls, consumer_linger_ms=600_000,
                       consumer_max_batch=3)
    await runtime.start()
    try:
        await eventually(lambda: sum(len(call) for call in calls) == 6, timeout=20)
        assert [version for call in calls for _subject, version in call] == [1, 2, 3, 4, 5, 6]
        assert all(len(call) == 3 for call in calls), calls
    finally:
        await runtime.stop()
