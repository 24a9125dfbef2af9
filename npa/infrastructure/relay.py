"""The outbox relay: publishes pending outbox rows to Kafka, oldest first, in large batches.

Exactly one relay of a service publishes at a time: it holds the service's lease
(npa.infrastructure.lease); the other replicas' relays wait and take over within seconds
when the holder dies. A batch's rows are all handed to the producer without waiting, then
awaited together, then marked published in one statement; the next batch starts only after
that, so one entity's events keep their order.

No duplicates after a crash: a relay that has just taken the lease — or whose last batch
ended in doubt (some sends failed) — first reads the tail of the topics it is about to
publish to and marks the pending rows it finds there (by the `ce_id` header) as published.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Update
from sqlmodel import Session

from npa.contracts.envelope import CONTENT_TYPE
from npa.infrastructure import metrics
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.lease import Lease, ProcessLease
from npa.infrastructure.outbox import OutboxMessage, backlog, utcnow
from npa.infrastructure.wakeup import Wakeup

log = logging.getLogger(__name__)

Publish = Callable[[list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]], Awaitable[list[BaseException | None]]]
"""Hands (topic, key, value, headers) messages to the producer in their order and waits for the
broker: per message None once acknowledged, or its error (`kafka.send_batched`)."""

ReadBack = Callable[[set[str], int], Awaitable[set[str]]]
"""The event ids (`ce_id` headers) among the last `n` records of each partition of the topics."""


@dataclass(frozen=True)
class Pending:
    id: int
    event_id: str
    topic: str
    key: str
    event_type: str
    payload: bytes


@dataclass(frozen=True)
class RelaySettings:
    batch_size: int = 2000
    poll_seconds: float = 1.0
    lease_retry_seconds: float = 2.0
    backoff: Backoff = Backoff(0.25, 10.0)


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_IDS = _OUTBOX.c.id.in_(bindparam("ids", expanding=True))
# Built once, as every statement that runs per round (see npa/infrastructure/inbox.py).
_MARK_PUBLISHED = update(_OUTBOX).where(_IDS).values(attempts=_OUTBOX.c.attempts + 1,
                                                     published_at=bindparam("published_at"))
_RECORD_FAILURE = update(_OUTBOX).where(_IDS).values(attempts=_OUTBOX.c.attempts + 1, last_error=bindparam("last_error"))


class OutboxRelay:
    def __init__(self, engine: Engine, publish: Publish, *, settings: RelaySettings = RelaySettings(),
                 lease: Lease | None = None, read_back: ReadBack | None = None) -> None:
        self._engine = engine
        self._publish = publish
        self._settings = settings
        self._lease = lease or ProcessLease()
        self._read_back = read_back
        self._wakeup = Wakeup()
        self._in_doubt = True  # until the first read-back: a predecessor may have died mid-batch
        self.holds_lease = False
        self._pending_query = (
            select(_OUTBOX.c.id, _OUTBOX.c.event_id, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.event_type,
                   _OUTBOX.c.payload)
            .where(_OUTBOX.c.published_at.is_(None)).order_by(_OUTBOX.c.id).limit(settings.batch_size))

    def wake(self) -> None:
        """Called (from any thread) after a commit that staged events, so they leave at once."""
        self._wakeup.set()

    async def run(self) -> None:
        self._wakeup.bind()
        failures = 0
        try:
            while True:
                self._wakeup.clear()
                try:
                    if not await self._hold_lease():
                        await asyncio.sleep(self._settings.lease_retry_seconds)
                        continue
                    sent = await self.publish_pending()
                    failures = 0
                except Exception as error:  # broker or database away: rows stay pending; back off
                    failures += 1
                    delay = self._settings.backoff.delay(failures)
                    log.warning("outbox publish failed (%s: %s); retry in %.1fs", type(error).__name__,
                                str(error)[:200], delay)
                    await asyncio.sleep(delay)
                    continue
                if sent < self._settings.batch_size:
                    await self._wakeup.wait(self._settings.poll_seconds)
        finally:
            await asyncio.to_thread(self._lease.release)
            self.holds_lease = False

    async def _hold_lease(self) -> bool:
        held = await asyncio.to_thread(self._lease.still_held if self.holds_lease else self._lease.try_acquire)
        if held and not self.holds_lease:
            log.info("outbox relay holds the lease")
            self._in_doubt = True
        elif self.holds_lease and not held:
            log.warning("outbox relay lost the lease")
        self.holds_lease = held
        return held

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        rows = await asyncio.to_thread(self._pending)
        if rows and self._in_doubt:
            rows = await self._skip_already_published(rows)
        self._in_doubt = False
        if not rows:
            return 0
        messages = [(row.topic, row.key.encode(), row.payload,
                     [("content-type", CONTENT_TYPE.encode()), ("ce_type", row.event_type.encode()),
                      ("ce_id", row.event_id.encode())]) for row in rows]
        outcomes = await self._publish(messages)
        failed = next((index for index, outcome in enumerate(outcomes) if outcome is not None), None)
        if failed is not None:
            # Rows before the first failure are on the broker; those after it may be: in doubt.
            self._in_doubt = True
            await asyncio.to_thread(self._mark_published, [row.id for row in rows[:failed]])
            error = outcomes[failed]
            await asyncio.to_thread(self._record_failure, [row.id for row in rows[failed:]], repr(error))
            raise error if isinstance(error, Exception) else RuntimeError(repr(error))
        await asyncio.to_thread(self._mark_published, [row.id for row in rows])
        for (topic, event_type), count in Counter((row.topic, row.event_type) for row in rows).items():
            metrics.EVENTS_PUBLISHED.labels(topic, event_type).inc(count)
        return len(rows)

    async def _skip_already_published(self, rows: list[Pending]) -> list[Pending]:
        if self._read_back is None:
            return rows
        found = await self._read_back({row.topic for row in rows}, self._settings.batch_size * 2)
        done = [row for row in rows if row.event_id in found]
        if done:
            log.warning("%d outbox rows were already on Kafka (a relay stopped mid-batch); marked published",
                        len(done))
            await asyncio.to_thread(self._mark_published, [row.id for row in done])
        return [row for row in rows if row.event_id not in found]

    def _pending(self) -> list[Pending]:
        with self._engine.connect() as connection:
            return [Pending(*row) for row in connection.execute(self._pending_query)]

    def _mark_published(self, ids: list[int]) -> None:
        self._update(_MARK_PUBLISHED, ids, {"published_at": utcnow()})

    def _record_failure(self, ids: list[int], error: str) -> None:
        self._update(_RECORD_FAILURE, ids, {"last_error": error[:1000]})

    def _update(self, statement: Update, ids: list[int], values: dict[str, object]) -> None:
        if not ids:
            return
        with Session(self._engine) as session:
            for start in range(0, len(ids), 500):
                session.connection().execute(statement, {"ids": ids[start:start + 500], **values})
            session.commit()

    def backlog(self) -> tuple[int, float]:
        return backlog(self._engine)
