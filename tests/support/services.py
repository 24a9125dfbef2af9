"""Run a service in-process against real parts (broker, database, SMTP) for integration tests."""

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from npa.infrastructure.database import run_migrations
from npa.infrastructure.settings import Settings, load_settings
from npa.infrastructure.topics_admin import ensure_topics

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def service_settings(service: str, *, database_url: str, bootstrap: str, **overrides: object) -> Settings:
    return replace(load_settings(service), database_url=database_url, kafka_bootstrap=bootstrap, **overrides)


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Migrate, create topics, start HTTP app + bus consumer + outbox relay; yield an HTTP client."""
    run_migrations(ROOT / "services" / settings.service / "migrations", settings.database_url)
    await asyncio.to_thread(ensure_topics, settings.kafka_bootstrap, settings.kafka_partitions)
    app = importlib.import_module(f"services.{settings.service}.app").create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_base_url) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def produce(bootstrap: str, topic: str, value: bytes, key: bytes | None = None, headers=None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    async with asyncio.timeout(60):  # a broker that stops answering fails here, not at pytest-timeout
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key, headers=headers or [])
        finally:
            await producer.stop()


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 15.0) -> list:
    """Read a topic from the beginning without a consumer group until `expected` records arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    async with asyncio.timeout(timeout + 60):  # start, seek and stop included
        return await _read_from_beginning(consumer, topic, expected, timeout)


async def _read_from_beginning(consumer: AIOKafkaConsumer, topic: str, expected: int, timeout: float) -> list:
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Each partition's committed offset of a consumer group (0 where none)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or range(4))]
        return {tp.partition: (await consumer.committed(tp)) or 0 for tp in partitions}
    finally:
        await consumer.stop()


async def eventually(check, timeout: float = 15.0, interval: float = 0.05):  # noqa: ANN001, ANN201
    """Poll an async or sync check until it returns a truthy value or raise its last failure."""
    deadline = asyncio.get_running_loop().time() + timeout
    last_error: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                # an attempt that never returns fails here, naming its await, not at pytest-timeout
                async with asyncio.timeout(max(0.0, deadline - asyncio.get_running_loop().time()) + 30):
                    result = await result
            if result:
                return result
        except AssertionError as error:
            last_error = error
        await asyncio.sleep(interval)
    if last_error:
        raise last_error
    raise TimeoutError("condition not met in time")
