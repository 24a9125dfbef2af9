"""What every service runs on: its database, its broker connection, outbox relay and consumer."""

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from sqlmodel import Session

from npa.contracts import catalogue
from npa.contracts.envelope import CloudEvent
from npa.infrastructure import consumer_lag, metrics
from npa.infrastructure.consumer import EventConsumer, EventHandler, RetryPolicy
from npa.infrastructure.database import make_engine, session_scope
from npa.infrastructure.outbox import OutboxRelay, add_to_outbox
from npa.infrastructure.settings import KafkaSecurity, Settings

log = logging.getLogger(__name__)

SASL_CLASSES = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def broker_security(security: KafkaSecurity) -> BaseSecurity | None:
    """FastStream's security object for the settings (None: PLAINTEXT). aiokafka needs an SSL
    context for TLS: the system's CAs, or NPA_KAFKA_SSL_CAFILE."""
    context = ssl.create_default_context(cafile=security.ssl_cafile or None) if security.uses_tls else None
    if security.uses_sasl:
        return SASL_CLASSES[security.sasl_mechanism](security.username, security.password, ssl_context=context)
    if context is not None:
        return BaseSecurity(ssl_context=context)
    return None


@dataclass
class Subscriptions:
    """The topics a service consumes and the handler for each event type on them."""

    topics: list[str] = field(default_factory=list)
    handlers: dict[str, EventHandler] = field(default_factory=dict)


class ServiceRuntime:
    def __init__(
        self, settings: Settings, subscriptions: Subscriptions | None = None, publishes: tuple[str, ...] = ()
    ) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id=f"npa-{settings.service}",
            security=broker_security(settings.kafka_security),
            request_timeout_ms=15_000,
            graceful_timeout=10.0,
            log_level=logging.DEBUG,  # per-message lines are noise at INFO
        )
        self.relay = OutboxRelay(self.engine, self._publish, poll_seconds=settings.outbox_poll_seconds)
        self.consumer: EventConsumer | None = None
        if subscriptions and subscriptions.topics:
            self.consumer = EventConsumer(
                group_id=settings.service,
                engine=self.engine,
                handlers=subscriptions.handlers,
                publish_dead_letter=self._publish_now,
                retry=RetryPolicy(settings.consumer_max_attempts, settings.consumer_retry_base_seconds),
                after_commit=self.relay.wake,
            )
            self._subscribe(subscriptions.topics)
            metrics.initialise_consumer_series(subscriptions.topics)
        self.consumed_topics = list(subscriptions.topics) if subscriptions else []
        for topic in publishes:  # the outbox relay publishes; these entries document it in AsyncAPI
            model, _types = catalogue.EVENTS[topic]
            self.broker.publisher(topic, title=topic, description=catalogue.describe(topic), schema=model)
        self._workers: dict[str, Callable[[], Awaitable[None]]] = {"outbox-relay": self.relay.run}
        self._tasks: list[asyncio.Task] = []

    def _subscribe(self, topics: list[str]) -> None:
        consumer = self.consumer
        assert consumer is not None

        @self.broker.subscriber(
            *topics,
            group_id=self.settings.service,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.kafka_heartbeat_interval_ms,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            title=f"{self.settings.service}-consumer",
            description="; ".join(f"{topic}: {catalogue.describe(topic)}" for topic in topics),
        )
        async def on_event(message: KafkaMessage) -> None:
            await consumer.on_message(message)

    async def _publish(self, topic: str, key: bytes, payload: bytes, headers: dict[str, str]):
        return await self.broker.publish(payload, topic, key=key, headers=headers, no_confirm=True)

    async def _publish_now(self, topic: str, key: bytes | None, payload: bytes, headers: dict[str, str]):
        return await self.broker.publish(payload, topic, key=key, headers=headers)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work: commit it inside the block; staged events leave after it."""
        with session_scope(self.engine) as session:
            yield session
        self.relay.wake()

    def stage(self, session: Session, topic: str, event: CloudEvent) -> None:
        add_to_outbox(session, topic, event)

    def add_worker(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """A background loop (scheduler, sender) started after the broker and cancelled on stop."""
        self._workers[name] = run

    async def start(self) -> None:
        await self.broker.start()
        metrics.OUTBOX_BACKLOG.track(self, self.relay.backlog)
        if self.consumer is not None:  # its own group's lag, read from Kafka when Prometheus scrapes
            consumer_lag.CONSUMER_LAG.track(self, self.settings.service, self.consumed_topics,
                                            self.settings.kafka_bootstrap, self.settings.kafka_security)
        self._tasks = [asyncio.create_task(run(), name=name) for name, run in self._workers.items()]

    async def stop(self) -> None:
        metrics.OUTBOX_BACKLOG.untrack(self)
        consumer_lag.CONSUMER_LAG.untrack(self)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.broker.stop()
        self.engine.dispose()
