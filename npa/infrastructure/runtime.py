"""What every service runs on: its database, its Kafka producer, outbox relay and consumer.

The consumer and the relay use aiokafka directly (ADR 9: per-partition batches committed after
their transaction; the relay publishes ~3× faster than through FastStream's publisher). A
FastStream broker object, never started, describes the service's events for the AsyncAPI
catalogue.
"""

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from sqlmodel import Session

from npa.contracts import catalogue
from npa.infrastructure import consumer_lag, inbox, kafka, metrics, outbox, periodic
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.consumer import (
    BatchProcessor,
    FetchSettings,
    HandlerTable,
    PartitionedConsumer,
    RetryPolicy,
    bind,
    topics_of,
)
from npa.infrastructure.database import make_engine
from npa.infrastructure.lease import lease_for
from npa.infrastructure.relay import OutboxRelay, RelaySettings
from npa.infrastructure.settings import KafkaSecurity, Settings
from npa.infrastructure.topics_admin import TopicKeeper
from npa.infrastructure.unit_of_work import EngineUnitOfWork

log = logging.getLogger(__name__)

# Beyond the consumer's grace period: leaving the group and the producer's last flush are a
# request or two on a live broker; a step still running this much later is stuck.
STOP_MARGIN_SECONDS = 20.0

SASL_CLASSES = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def broker_security(security: KafkaSecurity) -> BaseSecurity | None:
    """FastStream's security object for the settings (None: PLAINTEXT), for the catalogue broker."""
    context = ssl.create_default_context(cafile=security.ssl_cafile or None) if security.uses_tls else None
    if security.uses_sasl:
        return SASL_CLASSES[security.sasl_mechanism](security.username, security.password, ssl_context=context)
    if context is not None:
        return BaseSecurity(ssl_context=context)
    return None


class ServiceRuntime:
    def __init__(self, settings: Settings, handlers: HandlerTable | None = None, *,
                 dependencies: Mapping[str, Any] | None = None, publishes: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.producer: AIOKafkaProducer | None = None
        self.relay = OutboxRelay(
            self.engine, self._publish,
            settings=RelaySettings(batch_size=settings.outbox_batch_size, poll_seconds=settings.outbox_poll_seconds),
            lease=lease_for(self.engine, f"{settings.service}-outbox-relay"),
            read_back=self._read_back,
        )
        self._unit_of_work = EngineUnitOfWork(self.engine, after_transaction=self.relay.wake)
        self.consumed_topics = topics_of(handlers) if handlers else []
        self.processor: BatchProcessor | None = None
        self.consumer: PartitionedConsumer | None = None
        if handlers:
            self.processor = BatchProcessor(
                group_id=settings.service,
                engine=self.engine,
                handlers=bind(handlers, dependencies),
                publish_dead_letter=self._park,
                retry=RetryPolicy(settings.consumer_max_attempts,
                                  Backoff(settings.consumer_retry_base_seconds, 10.0)),
                after_commit=self.after_consumer_commit,
            )
            metrics.initialise_consumer_series(self.consumed_topics)
        self._after_commit: list[Callable[[], None]] = []
        self._dead_letter_hooks: list[Callable[[str, bytes | None, bytes, dict[str, str]], None]] = []
        self.broker = self._catalogue(publishes)
        self._workers: dict[str, Callable[[], Awaitable[None]]] = {
            "outbox-relay": self.relay.run,
            "retention": periodic.every("retention", settings.retention_interval_seconds, self.prune),
            "topics": TopicKeeper(settings, self._topics_on_broker).run,
        }
        self._tasks: list[asyncio.Task] = []

    def _catalogue(self, publishes: tuple[str, ...]) -> KafkaBroker:
        """The AsyncAPI description of what this service consumes and publishes (never started)."""
        broker = KafkaBroker(self.settings.kafka_bootstrap, security=broker_security(self.settings.kafka_security))
        if self.consumed_topics:
            @broker.subscriber(*self.consumed_topics, group_id=self.settings.service,
                               title=f"{self.settings.service}-consumer",
                               description="; ".join(f"{t}: {catalogue.describe(t)}" for t in self.consumed_topics))
            async def consumer(_body: bytes) -> None:  # documents the subscription; the PartitionedConsumer consumes
                pass
        for topic in publishes:  # the outbox relay publishes; these entries document it
            model, _types = catalogue.EVENTS[topic]
            broker.publisher(topic, title=topic, description=catalogue.describe(topic), schema=model)
        return broker

    def on_consumer_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` (from the consumer's thread) after each committed batch, e.g. to wake a sender."""
        self._after_commit.append(callback)

    def after_consumer_commit(self, staged: bool) -> None:
        if staged:  # the relay's next batch is ready; a commit that staged nothing leaves it asleep
            self.relay.wake()
        for callback in self._after_commit:
            callback()

    async def _send(self, topic: str, key: bytes | None, payload: bytes, headers: list[tuple[str, bytes]]):
        if self.producer is None:
            raise RuntimeError("the producer is not started")
        return await self.producer.send(topic, payload, key=key, headers=headers)

    async def _publish(self, messages: list[kafka.Message]) -> list[BaseException | None]:
        if self.producer is None:
            raise RuntimeError("the producer is not started")
        return await kafka.send_batched(self.producer, messages)

    async def _send_and_wait(self, topic: str, key: bytes | None, payload: bytes, headers: dict[str, str]) -> None:
        delivery = await self._send(topic, key, payload, [(name, value.encode()) for name, value in headers.items()])
        await delivery

    def on_dead_letter(self, callback: Callable[[str, bytes | None, bytes, dict[str, str]], None]) -> None:
        """Run `callback(dead_letter_topic, key, value, headers)` (in a thread) after a consumed
        message was parked, e.g. to tell the partner that sent it why (offers)."""
        self._dead_letter_hooks.append(callback)

    async def _park(self, topic: str, key: bytes | None, payload: bytes, headers: dict[str, str]) -> None:
        await self._send_and_wait(topic, key, payload, headers)
        for callback in self._dead_letter_hooks:
            try:
                await asyncio.to_thread(callback, topic, key, payload, headers)
            except Exception as error:  # the message is parked; a failed note must not stop the consumer
                log.warning("after parking on %s: %s failed: %s", topic, getattr(callback, "__name__", callback),
                            type(error).__name__)

    async def _read_back(self, topics: set[str], per_partition: int) -> set[str]:
        return await kafka.recent_event_ids(self.settings.kafka_bootstrap, self.settings.kafka_security, topics,
                                            per_partition)

    async def _topics_on_broker(self) -> set[str]:
        if self.producer is None:
            raise RuntimeError("the producer is not started")
        return set((await self.producer.client.fetch_all_metadata()).topics())

    async def broker_reachable(self, timeout: float = 2.0) -> bool:
        if self.producer is None:
            return False
        try:
            return bool(await asyncio.wait_for(self.producer.client.fetch_all_metadata(), timeout))
        except Exception:
            return False

    def transaction(self) -> AbstractContextManager[Session]:
        """The service's unit of work (npa/infrastructure/unit_of_work.py): commit inside the
        block; staged events leave after it (the relay is woken)."""
        return self._unit_of_work.transaction()

    def reading(self) -> AbstractContextManager[Session]:
        return self._unit_of_work.reading()

    def prune(self) -> int:
        """Delete published outbox rows and inbox rows past their retention; returns how many."""
        settings = self.settings
        published = timedelta(hours=settings.outbox_retention_hours)
        seen = timedelta(hours=settings.inbox_retention_hours)
        return (periodic.sweep(self.engine, lambda session: outbox.prune_published(session, published))
                + periodic.sweep(self.engine, lambda session: inbox.prune(session, seen)))

    def add_worker(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """A background loop (scheduler, sender) started after the broker and cancelled on stop."""
        self._workers[name] = run

    async def start(self) -> None:
        settings = self.settings
        self.producer = kafka.producer(settings.kafka_bootstrap, f"npa-{settings.service}", settings.kafka_security,
                                       linger_ms=settings.kafka_linger_ms,
                                       metadata_max_age_ms=settings.kafka_metadata_max_age_ms)
        await self.producer.start()
        if self.processor is not None:
            self.consumer = PartitionedConsumer(
                self.processor, self.consumed_topics, group_id=settings.service, bootstrap=settings.kafka_bootstrap,
                settings=FetchSettings(max_batch=settings.consumer_max_batch,
                                       batch_seconds=settings.consumer_batch_seconds,
                                       fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
                                       session_timeout_ms=settings.kafka_session_timeout_ms,
                                       heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
                                       metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
                                       linger_seconds=settings.consumer_linger_ms / 1000,
                                       graceful_seconds=settings.consumer_graceful_seconds),
                client_options=kafka.client_options(settings.kafka_security))
            await self.consumer.start()
            await self.consumer.wait_assigned(timeout=max(30.0, settings.kafka_session_timeout_ms / 1000 * 3))
        metrics.OUTBOX_BACKLOG.track(self, self.relay.backlog)
        if self.consumer is not None:  # its own group's lag, read from Kafka when Prometheus scrapes
            consumer_lag.CONSUMER_LAG.track(self, settings.service, self.consumed_topics,
                                            settings.kafka_bootstrap, settings.kafka_security)
        self._tasks = [asyncio.create_task(run(), name=name) for name, run in self._workers.items()]

    async def stop(self) -> None:
        """Stop consuming, then the workers, then the producer. Each step is bounded, so a stop
        always ends: what a cut step left undone is delivered or relayed again (inbox, read-back)."""
        metrics.OUTBOX_BACKLOG.untrack(self)
        consumer_lag.CONSUMER_LAG.untrack(self)
        bound = self.settings.consumer_graceful_seconds + STOP_MARGIN_SECONDS
        if self.consumer is not None:
            await _within(bound, self.consumer.stop(), "the consumer")
        for task in self._tasks:
            task.cancel()
        await _within(bound, asyncio.gather(*self._tasks, return_exceptions=True), "the workers")
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.warning("worker %s ended with %s", task.get_name(), type(task.exception()).__name__)
        if self.producer is not None:
            await _within(bound, self.producer.stop(), "the producer")
        self.engine.dispose()


async def _within(seconds: float, step: Awaitable[object], what: str) -> None:
    """Await `step` for at most `seconds`, then cancel it without waiting (`wait_for` would wait
    for a step that ignores its cancellation)."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        log.warning("stopping %s took longer than %.0f s; left behind", what, seconds)
    elif not task.cancelled() and task.exception() is not None:  # the next steps still run
        log.warning("stopping %s failed: %s", what, type(task.exception()).__name__)
