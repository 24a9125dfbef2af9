"""Applying a batch of records of one topic: decode, admit, apply, commit — or isolate.

The whole batch is applied in one database transaction: the inbox admits it in bulk (repeats
and stale versions dropped), the handlers get runs of consecutive events, each partition's in
its order, and the caller commits the partitions' offsets only after this returns (ADR 0002,
ADR 0009).

When the batch fails:
- a handler names the event it rejects → that event is parked on `<topic>.dlq` with the
  reason and the rest of the batch is applied again without it;
- a rejection or validation error that names no event → the batch is bisected, halves in
  order, until the culprit stands alone;
- anything else is transient (database away, deadlock, a replica's concurrent commit) →
  the batch is retried with backoff; after the last attempt a larger batch is bisected and
  a single event is parked — unless the database is unreachable, then it waits for it, and
  unless the error is one the database's state may cause (`database.is_transient`: disk
  full, a lock held too long, a table not migrated yet), then that event waits too: the
  state is no fault of the event, and parking it would park every event after it as well.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent, MalformedEvent, decode, describe_validation_error
from npa.infrastructure import metrics
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.consumer.handlers import BoundHandler, RejectedEvent
from npa.infrastructure.database import is_transient, ping
from npa.infrastructure import inbox, outbox

log = logging.getLogger(__name__)

DEAD_LETTERED, NOT_APPLIED = "dead_lettered", "not_applied"  # outcomes of a record that cannot be applied
PublishDeadLetter = Callable[[str, bytes | None, bytes, dict[str, str]], Awaitable[object]]


class Record(Protocol):
    """What the processor needs of a Kafka record (aiokafka's ConsumerRecord has it)."""

    key: bytes | None
    value: bytes
    offset: int


class Admission(Protocol):
    """How a batch is sorted into fresh, repeated and stale events and then recorded:
    `npa.infrastructure.inbox`, or an equivalent that knows more (a replay into a fresh
    database, services/reports/replay_inbox.py)."""

    def admit(self, session: Session, topic: str, events: Sequence[CloudEvent]) -> inbox.Admitted: ...

    def record(self, session: Session, admitted: inbox.Admitted) -> None: ...


@dataclass(frozen=True)
class RawRecord:
    key: bytes | None
    value: bytes
    offset: int = -1


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff: Backoff = Backoff(base_seconds=0.2, max_seconds=10.0)


@dataclass(frozen=True)
class _Item:
    record: Record
    event: CloudEvent
    handler: BoundHandler


class _Deterministic(Exception):
    """A failure that repeats however often the same events are tried."""

    def __init__(self, reason: str, event_id: str | None) -> None:
        super().__init__(reason)
        self.reason, self.event_id = reason, event_id


class BatchProcessor:
    def __init__(
        self,
        group_id: str,
        engine: Engine,
        handlers: dict[str, BoundHandler],
        publish_dead_letter: PublishDeadLetter | None,
        retry: RetryPolicy,
        after_commit: Callable[[bool], None] = lambda _staged: None,
        admission: Admission = inbox,  # a module with admit and record
    ) -> None:
        self.group_id = group_id
        self._engine = engine
        self._handlers = handlers
        self._publish_dead_letter = publish_dead_letter
        self._retry = retry
        self._after_commit = after_commit
        self._admission = admission

    async def process(self, topic: str, key: bytes | None, body: bytes, partition: int = -1, offset: int = -1) -> str:
        """One record as a batch of one; returns its outcome."""
        outcomes = await self.process_batch(topic, partition, [RawRecord(key, body, offset)])
        return next(iter(outcomes))

    async def process_batch(self, topic: str, partition: int, records: Sequence[Record]) -> Counter:
        """Apply (or park) every record; returns outcome counts. Only a cancellation escapes,
        and then nothing of the batch may be acknowledged."""
        outcomes: Counter = Counter()
        items: list[_Item] = []
        for record in records:
            try:
                event = decode(record.value)
                handler = self._handlers.get(event.type)
                if handler is None:
                    raise RejectedEvent(f"type: {event.type!r} is not a known type on {topic}")
            except (MalformedEvent, RejectedEvent) as error:
                outcomes[await self._park(topic, partition, record, str(error), "unknown", attempts=1)] += 1
                continue
            items.append(_Item(record, event, handler))
        if items:
            await self._apply(topic, partition, items, outcomes)
        return outcomes

    async def _apply(self, topic: str, partition: int, items: list[_Item], outcomes: Counter) -> None:
        attempt = 0
        while items:
            attempt += 1
            try:
                counts = await asyncio.to_thread(self._transaction, topic, items)
            except _Deterministic as failure:
                culprit = next((item for item in items if item.event.id == failure.event_id), None)
                if culprit is None and len(items) == 1:
                    culprit = items[0]
                if culprit is not None:
                    outcomes[await self._park(topic, partition, culprit.record, failure.reason, culprit.event.type,
                                              attempt)] += 1
                    items = [item for item in items if item is not culprit]
                    attempt = 0
                    continue
                await self._bisect(topic, partition, items, outcomes)
                return
            except Exception as error:  # database away, deadlock, a replica's commit first
                if attempt < self._retry.max_attempts:
                    metrics.CONSUMER_RETRIES.labels(topic).inc()
                    delay = self._retry.backoff.delay(attempt)
                    log.warning("applying %d events from %s:%s failed (%s), attempt %d, retry in %.2fs",
                                len(items), topic, partition, type(error).__name__, attempt, delay)
                    await asyncio.sleep(delay)
                    continue
                # attempts used up: a batch is split; a single event is parked for its own error, and waits
                # out an outage or the database's own state, which are no fault of the event
                if not await self._database_reachable():
                    log.warning("database unreachable; %s:%s waits for it", topic, partition)
                elif len(items) > 1:
                    await self._bisect(topic, partition, items, outcomes)
                    return
                elif not is_transient(error):
                    reason = f"gave up after {attempt} attempts: {type(error).__name__}: {error}"
                    outcomes[await self._park(topic, partition, items[0].record, reason, items[0].event.type,
                                              attempt)] += 1
                    return
                else:
                    log.warning("%s from %s:%s keeps failing with %s: %s; a database error that may pass, so "
                                "it waits (it is not parked)", items[0].event.type, topic, partition,
                                type(error).__name__, error)
                await asyncio.sleep(self._retry.backoff.max_seconds)
                attempt -= 1
                continue
            for (event_type, outcome), count in counts.items():
                outcomes[outcome] += count
                metrics.EVENTS_CONSUMED.labels(topic, event_type, outcome).inc(count)
            return

    async def _bisect(self, topic: str, partition: int, items: list[_Item], outcomes: Counter) -> None:
        middle = len(items) // 2
        await self._apply(topic, partition, items[:middle], outcomes)
        await self._apply(topic, partition, items[middle:], outcomes)

    def _transaction(self, topic: str, items: list[_Item]) -> Counter:
        with Session(self._engine, expire_on_commit=False) as session:
            admitted = self._admission.admit(session, topic, [item.event for item in items])
            fresh = {id(event) for event in admitted.fresh}  # by object: a repeat in the batch shares the event id
            run: list[CloudEvent] = []
            run_handler: BoundHandler | None = None
            try:
                with metrics.BATCH_SECONDS.labels(topic).time():
                    for item in items:
                        if id(item.event) not in fresh:
                            continue
                        if item.handler is not run_handler and run:
                            run_handler(session, run)  # type: ignore[misc]
                            run = []
                        run_handler = item.handler
                        run.append(item.event)
                    if run:
                        run_handler(session, run)  # type: ignore[misc]
            except RejectedEvent as error:
                raise _Deterministic(str(error), error.event_id) from error
            except ValidationError as error:  # a handler validated data without naming the event
                raise _Deterministic(describe_validation_error(error, prefix="data."), None) from error
            self._admission.record(session, admitted)
            session.commit()
            staged = outbox.staged_in(session)
        self._after_commit(staged)
        counts: Counter = Counter()
        for outcome, events in (("applied", admitted.fresh), ("duplicate", admitted.duplicates),
                                ("stale", admitted.stale)):
            counts.update((event.type, outcome) for event in events)
        return counts

    async def _database_reachable(self) -> bool:
        try:
            await asyncio.to_thread(ping, self._engine)
            return True
        except Exception:
            return False

    async def _park(self, topic: str, partition: int, record: Record, reason: str, event_type: str,
                    attempts: int) -> str:
        """Parks the record on `<topic>.dlq` with its reason; returns the outcome to count. Without
        a dead-letter publisher (a replay of what a live consumer has consumed, which parked such
        records already) the record is only reported as not applied."""
        partition = getattr(record, "partition", partition)  # a batch may hold several partitions' records
        if self._publish_dead_letter is None:
            log.warning("not applied %s from %s:%s@%s (a live consumer parks it on %s): %s", event_type, topic,
                        partition, record.offset, topics.dead_letter(topic), reason[:300])
            return NOT_APPLIED
        headers = {
            "npa-dlq-reason": reason[:2000],
            "npa-dlq-origin-topic": topic,
            "npa-dlq-origin-partition": str(partition),
            "npa-dlq-origin-offset": str(record.offset),
            "npa-dlq-consumer-group": self.group_id,
            "npa-dlq-attempts": str(attempts),
        }
        await self._publish_dead_letter(topics.dead_letter(topic), record.key, record.value, headers)
        metrics.DLQ_MESSAGES.labels(topic).inc()
        metrics.EVENTS_CONSUMED.labels(topic, event_type, DEAD_LETTERED).inc()
        log.warning("dead-lettered %s from %s:%s@%s: %s", event_type, topic, partition, record.offset, reason[:300])
        return DEAD_LETTERED
