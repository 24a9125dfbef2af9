"""Consuming events: decode, deduplicate, version-check, apply, commit, then acknowledge.

FastStream's default Kafka ack policy commits before the handler runs; this wrapper runs
with AckPolicy.MANUAL and commits the offset only after the database transaction, or after
the message was parked on the topic's `.dlq` (ADR 0002).
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from faststream.kafka import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, MalformedEvent, decode, describe_validation_error
from npa.infrastructure import metrics
from npa.infrastructure.inbox import advance_version, record_first_delivery

log = logging.getLogger(__name__)

EventHandler = Callable[[Session, CloudEvent], None]
"""Applies one event inside the caller's transaction; raises RejectedEvent for bad input."""


class RejectedEvent(ValueError):
    """The event is well-formed but cannot be applied (e.g. unknown partner): never retried."""


PublishDeadLetter = Callable[[str, bytes | None, bytes, dict[str, str]], Awaitable[object]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 0.2
    max_seconds: float = 10.0

    def delay(self, attempt: int) -> float:
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.0)


class EventConsumer:
    def __init__(
        self,
        group_id: str,
        engine: Engine,
        handlers: dict[str, EventHandler],
        publish_dead_letter: PublishDeadLetter,
        retry: RetryPolicy,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.group_id = group_id
        self._engine = engine
        self._handlers = handlers
        self._publish_dead_letter = publish_dead_letter
        self._retry = retry
        self._after_commit = after_commit

    async def on_message(self, message: KafkaMessage) -> None:
        record = message.raw_message
        outcome = await self.process(record.topic, record.key, message.body, record.partition, record.offset)
        log.debug("%s %s:%s@%s", outcome, record.topic, record.partition, record.offset)
        await message.ack()

    async def process(self, topic: str, key: bytes | None, body: bytes, partition: int = -1, offset: int = -1) -> str:
        """Returns the outcome; only a cancellation escapes, so the offset is not committed."""
        event_type = "unknown"
        attempt = 0
        while True:
            attempt += 1
            try:
                event = decode(body)
                event_type = event.type
                handler = self._handlers.get(event.type)
                if handler is None:
                    raise RejectedEvent(f"type: {event.type!r} is not a known type on {topic}")
                with metrics.HANDLER_SECONDS.labels(event.type).time():
                    outcome = await asyncio.to_thread(self._apply, topic, event, handler)
                metrics.EVENTS_CONSUMED.labels(topic, event_type, outcome).inc()
                return outcome
            except (MalformedEvent, RejectedEvent) as error:
                reason = str(error)
            except ValidationError as error:  # handlers validate event.data against its model
                reason = describe_validation_error(error, prefix="data.")
            except Exception as error:  # database away, deadlock: transient until proven otherwise
                if attempt < self._retry.max_attempts:
                    metrics.CONSUMER_RETRIES.labels(topic).inc()
                    delay = self._retry.delay(attempt)
                    log.warning("handling %s failed (%s), attempt %d, retry in %.2fs", event_type, type(error).__name__, attempt, delay)
                    await asyncio.sleep(delay)
                    continue
                reason = f"gave up after {attempt} attempts: {type(error).__name__}: {error}"
            headers = {
                "npa-dlq-reason": reason[:2000],
                "npa-dlq-origin-topic": topic,
                "npa-dlq-origin-partition": str(partition),
                "npa-dlq-origin-offset": str(offset),
                "npa-dlq-consumer-group": self.group_id,
                "npa-dlq-attempts": str(attempt),
            }
            await self._publish_dead_letter(topics.dead_letter(topic), key, body, headers)
            metrics.DLQ_MESSAGES.labels(topic).inc()
            metrics.EVENTS_CONSUMED.labels(topic, event_type, "dead_lettered").inc()
            log.warning("dead-lettered %s from %s:%s@%s: %s", event_type, topic, partition, offset, reason[:300])
            return "dead_lettered"

    def _apply(self, topic: str, event: CloudEvent, handler: EventHandler) -> str:
        with Session(self._engine, expire_on_commit=False) as session:
            if not record_first_delivery(session, topic, event):
                return "duplicate"
            version = event.version
            if version is not None and not advance_version(session, f"{topic}:{event.subject}", version):
                session.commit()  # remember the id so the stale copy is skipped cheaply next time
                return "stale"
            handler(session, event)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                with Session(self._engine) as check:
                    if not record_first_delivery(check, topic, event):
                        return "duplicate"  # a replica applied it between our read and commit
                raise
        self._after_commit()
        return "applied"
