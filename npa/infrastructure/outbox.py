"""Transactional outbox: an event is stored in the same transaction as the state change,
and a relay publishes pending rows to Kafka in order, retrying while the broker is away."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import Column, LargeBinary, func
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from npa.contracts.envelope import CONTENT_TYPE, CloudEvent, encode
from npa.infrastructure import metrics
from npa.infrastructure.wakeup import Wakeup

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=300)
    event_type: str = Field(max_length=200)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)


def add_to_outbox(session: Session, topic: str, event: CloudEvent) -> None:
    """Stage an event; it is published only if the caller's transaction commits."""
    session.add(
        OutboxMessage(
            event_id=event.id,
            topic=topic,
            key=event.subject,
            event_type=event.type,
            payload=encode(event),
        )
    )


Publish = Callable[[str, bytes, bytes, dict[str, str]], Awaitable[Awaitable[object]]]


class OutboxRelay:
    """Publishes pending outbox rows oldest first; a failed batch stays pending and is retried.

    One relay runs per service process. Rows are sent in id order and the next batch starts
    only after the previous one was acknowledged, so one entity's events keep their order.
    """

    def __init__(
        self,
        engine: Engine,
        publish: Publish,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self._engine = engine
        self._publish = publish
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._wakeup = Wakeup()

    def wake(self) -> None:
        """Called (from any thread) after a commit that staged events, so they leave at once."""
        self._wakeup.set()

    async def run(self) -> None:
        self._wakeup.bind()
        failures = 0
        while True:
            self._wakeup.clear()
            try:
                sent = await self.publish_pending()
                failures = 0
            except Exception as error:  # broker away, timeouts: keep rows, back off, retry
                failures += 1
                delay = min(self._max_backoff, 0.25 * 2**failures)
                log.warning("outbox publish failed (%s); retry in %.1fs", type(error).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if sent < self._batch_size:
                await self._wakeup.wait(self._poll_seconds)

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        rows = await asyncio.to_thread(self._pending)
        if not rows:
            return 0
        try:
            deliveries = [
                await self._publish(
                    row.topic,
                    row.key.encode(),
                    row.payload,
                    {"content-type": CONTENT_TYPE, "ce_type": row.event_type, "ce_id": row.event_id},
                )
                for row in rows
            ]
            await asyncio.gather(*deliveries)
        except Exception as error:
            await asyncio.to_thread(self._record_failure, [row.id for row in rows], repr(error))
            raise
        await asyncio.to_thread(self._mark_published, [row.id for row in rows])
        for row in rows:
            metrics.EVENTS_PUBLISHED.labels(row.topic, row.event_type).inc()
        return len(rows)

    def _pending(self) -> list[OutboxMessage]:
        with Session(self._engine) as session:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.published_at.is_(None))  # type: ignore[union-attr]
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
                .limit(self._batch_size)
            )
            return list(session.exec(query).all())

    def _mark_published(self, ids: list[int | None]) -> None:
        with Session(self._engine) as session:
            now = utcnow()
            for row in session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):  # type: ignore[union-attr]
                row.published_at = now
                row.attempts += 1
            session.commit()

    def _record_failure(self, ids: list[int | None], error: str) -> None:
        with Session(self._engine) as session:
            for row in session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):  # type: ignore[union-attr]
                row.attempts += 1
                row.last_error = error[:1000]
            session.commit()

    def backlog(self) -> tuple[int, float]:
        """Pending rows and the age in seconds of the oldest (0 when none), for the gauges in
        metrics.OutboxBacklogCollector, which reads them when Prometheus scrapes."""
        with Session(self._engine) as session:
            count, oldest = session.exec(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.published_at.is_(None)  # type: ignore[union-attr]
                )
            ).one()
        if oldest is None:
            return count, 0.0
        if oldest.tzinfo is None:  # SQLite returns naive datetimes; they were written in UTC
            oldest = oldest.replace(tzinfo=UTC)
        return count, max(0.0, (utcnow() - oldest).total_seconds())
