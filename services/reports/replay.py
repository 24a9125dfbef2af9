"""Replaying the consumed topics into a read model: the engine of `npa-reports rebuild`
(services/reports/rebuild.py, the command; services/reports/replay_processes.py, the same
split over several processes).

How it reads: no consumer group (assign + seek to the beginning), so the service's committed
offsets are untouched; it stops at the end offsets taken at its start. Every record goes through
the live consumer's `BatchProcessor` with the service's own handlers, so version checks and
handlers are exactly those of the live consumer; into a fresh target the inbox is decided in
memory with the same outcome and the same rows (services/reports/replay_inbox.py). A message
that cannot be applied (the live consumer parked it on `.dlq`) is counted as `not_applied` and
logged with its reason, never parked twice.
"""

import asyncio
import gc
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func
from sqlmodel import Session, select

from npa.infrastructure import inbox, kafka
from npa.infrastructure.consumer import BatchProcessor, RetryPolicy, bind, topics_of
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.inbox import InboxEvent
from npa.infrastructure.settings import KafkaSecurity
from services.reports import handlers
from services.reports.replay_inbox import ReplayInbox

MIGRATIONS = Path(__file__).parent / "migrations"
FETCH_BYTES = 8 * 1024 * 1024  # per partition and fetch: ~10,000 events, not aiokafka's 1 MiB (~1,300)
BATCH_SIZE = 20_000  # events per transaction; counts and fact rows are written once per batch (ADR 12)
PARALLEL = 2  # batches of different partitions applied at once
PLAINTEXT = KafkaSecurity()  # a local broker
GROUP_LABEL = "reports-rebuild"  # names the replay in logs and metrics; no group joins the broker


class TargetNotFresh(RuntimeError):
    """The target database has already consumed events: a replay into it would prove nothing."""


@dataclass
class RebuildResult:
    end_offsets: dict[str, int] = field(default_factory=dict)  # "topic:partition" → offset reached
    outcomes: Counter = field(default_factory=Counter)  # applied, duplicate, stale, not_applied
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(self.outcomes.values())


@contextmanager
def _without_cyclic_collection() -> Iterator[None]:
    """Python's cyclic garbage collector off during the replay.

    A batch's decoded events outlive the young generations, so the collector ran full
    collections every few thousand events, each walking every object of the imported
    frameworks and every record read ahead: 40 % of the replay's CPU in the profile (ADR 12).
    Collecting after each batch instead still walked the records read ahead (18 %). A replay
    leaves little cyclic garbage (measured: at most 2,000 objects a batch of 20,000 events;
    the rest is freed by reference counting as before), so it leaves that garbage to the
    collector's own schedule once it is back on: a full collection at the end walked some
    390,000 live objects to free 4,700 (0.78 s at load average 8: a twentieth of the bench replay)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Lanes:
    """Each partition's batches applied in their order, one after the other; up to `parallel`
    batches of different partitions at a time, so one partition's events are decoded and
    folded while another's transaction runs in the database (its driver releases the GIL).
    At most `parallel + 2` batches are held (applied or waiting), so reading runs ahead of
    applying by little."""

    def __init__(self, replay: BatchProcessor, result: RebuildResult, parallel: int) -> None:
        self._replay, self._result = replay, result
        self._turns = asyncio.Semaphore(parallel)
        self._waiting = parallel + 1
        self._last: dict[TopicPartition, asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()

    async def add(self, tp: TopicPartition, records: list) -> None:
        while len(self._tasks) > self._waiting:
            done, self._tasks = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                finished.result()  # a batch that failed stops the replay, as `finish` would
        task = asyncio.create_task(self._apply(tp, records, self._last.get(tp)))
        self._last[tp] = task
        self._tasks.add(task)

    async def _apply(self, tp: TopicPartition, records: list, previous: asyncio.Task | None) -> None:
        if previous is not None:
            await previous  # order per partition, and so per key
        async with self._turns:
            self._result.outcomes.update(await self._replay.process_batch(tp.topic, tp.partition, records))

    async def finish(self) -> None:
        await asyncio.gather(*self._tasks)

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()


async def _replay(consumer: AIOKafkaConsumer, replay: BatchProcessor, partitions: list[TopicPartition],
                  result: RebuildResult, batch_size: int, parallel: int) -> dict[TopicPartition, int]:
    """Applies every record from the beginning up to the end offsets, each partition's in
    batches of up to `batch_size` (a fetch brings ~10,000 at most: they are gathered first;
    larger batches write each touched row and count fewer times); returns the offsets reached."""
    reached: dict[TopicPartition, int] = {}
    gathered: dict[TopicPartition, list] = defaultdict(list)
    lanes = _Lanes(replay, result, parallel)
    try:
        with _without_cyclic_collection():
            async for tp, records in kafka.read_to_end(consumer, partitions, max_records=batch_size):
                gathered[tp].extend(records)
                reached[tp] = records[-1].offset + 1
                while len(gathered[tp]) >= batch_size:
                    await lanes.add(tp, gathered[tp][:batch_size])
                    gathered[tp] = gathered[tp][batch_size:]
            for tp, records in gathered.items():
                if records:
                    await lanes.add(tp, records)
            await lanes.finish()
    except BaseException:
        lanes.cancel()
        raise
    for tp in partitions:
        reached.setdefault(tp, await consumer.position(tp))
    return reached


def prepare(database_url: str, *, resume: bool) -> bool:
    """Migrates the target and says whether it is fresh (has consumed no event yet). A target that
    is not fresh is refused unless `resume`: a second replay into it would prove nothing."""
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            seen = session.exec(select(func.count()).select_from(InboxEvent)).one()
    finally:
        engine.dispose()
    if seen and not resume:
        raise TargetNotFresh(f"the target already holds {seen} consumed events; give a new database "
                             "or --resume to continue an interrupted rebuild")
    return not seen


def _reader(bootstrap: str, security: KafkaSecurity, batch_size: int) -> AIOKafkaConsumer:
    return kafka.reader(bootstrap, "npa-reports-rebuild", security, max_poll_records=batch_size,
                        max_partition_fetch_bytes=FETCH_BYTES)


async def partition_sizes(bootstrap: str, security: KafkaSecurity = PLAINTEXT) -> dict[TopicPartition, int]:
    """Every consumed partition and the records a replay reads from it (end minus beginning
    offset as now: on a compacted topic an upper bound)."""
    consumer = _reader(bootstrap, security, BATCH_SIZE)
    try:
        await consumer.start()
        partitions = await kafka.partitions_of(consumer, topics_of(handlers.HANDLERS))
        if not partitions:
            return {}
        beginnings, ends = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
        return {tp: ends[tp] - beginnings[tp] for tp in partitions}
    finally:
        await consumer.stop()


async def replay_share(database_url: str, bootstrap: str, *, fresh: bool,
                       partitions: Sequence[TopicPartition] | None = None, retry: RetryPolicy | None = None,
                       security: KafkaSecurity = PLAINTEXT, batch_size: int = BATCH_SIZE,
                       parallel: int = PARALLEL) -> RebuildResult:
    """Replays the given partitions (by default every consumed one) into a migrated target; the
    shares of one replay must be disjoint and together cover every partition
    (services/reports/replay_processes.py). `fresh` (from `prepare`): the inbox is decided in
    memory; otherwise as live. `result.seconds` is left to the caller."""
    engine = make_engine(database_url)
    try:
        replay = BatchProcessor(GROUP_LABEL, engine, bind(handlers.HANDLERS), None,
                                retry or RetryPolicy(), admission=ReplayInbox() if fresh else inbox)
        consumer = _reader(bootstrap, security, batch_size)
        result = RebuildResult()
        try:
            await consumer.start()
            if partitions is None:
                partitions = await kafka.partitions_of(consumer, topics_of(handlers.HANDLERS))
            partitions = list(partitions)
            if partitions:
                consumer.assign(partitions)
                await consumer.seek_to_beginning(*partitions)
            ends = await _replay(consumer, replay, partitions, result, batch_size, parallel)
            result.end_offsets = {f"{tp.topic}:{tp.partition}": end for tp, end in sorted(ends.items())}
        finally:
            await consumer.stop()
        return result
    finally:
        engine.dispose()
