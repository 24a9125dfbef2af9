"""The consumer group loop: fetch, hand each partition's records to its own worker, commit
each partition's offset after its batch's transaction.

One fetch loop serves every assigned partition; each partition has a worker that takes all
records queued for it (up to the batch size) as one batch, so batches grow with the backlog
and shrink when idle — no linger is added to a quiet partition's latency. A worker also takes
what waits in the topic's other partitions whose workers are idle, into the same transaction:
at steady traffic a fetch brings a record or two per partition, and one transaction for all of
them costs a quarter of four (ADR 0009). Workers run side by side: a partition whose batch is
slow holds up only the partitions in that batch, never one that joins later. A partition whose
queue is long is paused at the broker until its worker catches up.

On a rebalance the revoked partitions' queues are dropped (those records were not committed,
so their new owner gets them) and their running batches finish and commit first. On stop,
fetching ends and the running batches finish. Both wait at most `graceful_seconds`, then
cancel: aiokafka waits for the rebalance callback before it rejoins or leaves the group, so
one stuck batch would otherwise hold up the whole group and the process's stop for good.
What was not committed is delivered again and is a repeat for the inbox.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from npa.infrastructure import metrics
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.consumer.processor import BatchProcessor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchSettings:
    max_batch: int = 500  # records applied in one transaction, at most
    batch_seconds: float = 0.2  # aim for transactions about this long (see BatchSizer)
    fetch_max_wait_ms: int = 50
    session_timeout_ms: int = 2000
    heartbeat_interval_ms: int = 500
    metadata_max_age_ms: int = 300_000
    graceful_seconds: float = 10.0
    linger_seconds: float = 0.0  # how long a batch smaller than its budget waits to fill (see _work)


class BatchSizer:
    """How many records a topic's next batch takes: as many as fit in `seconds` at the pace its
    recent batches took per record, between 1 and `max_batch`.

    A batch is one transaction; on SQLite it holds the database's single write lock from its
    first write to its commit, so an HTTP request that writes waits for it. Cheap events (a
    partner upsert, ~0.3 ms) still go 500 at a time; expensive ones (an offer that queues
    thousands of alerts) go a few at a time, and nobody waits seconds."""

    def __init__(self, max_batch: int, seconds: float) -> None:
        self._max, self._seconds = max_batch, seconds
        self._per_record: dict[str, float] = {}

    def size(self, topic: str) -> int:
        pace = self._per_record.get(topic)
        if not pace:
            return self._max
        return max(1, min(self._max, int(self._seconds / pace)))

    def observe(self, topic: str, records: int, seconds: float) -> None:
        pace = seconds / records
        previous = self._per_record.get(topic)
        self._per_record[topic] = pace if previous is None else 0.7 * previous + 0.3 * pace


class _PartitionWorker:
    def __init__(self, tp: TopicPartition) -> None:
        self.tp = tp
        self.queue: deque = deque()
        self.ready = asyncio.Event()
        self.task: asyncio.Task | None = None
        # Whether a batch (its own, or a peer's that took its records) is being applied and
        # committed; `idle` is set when not. Plain state, not a lock: a peer is taken only when
        # free, without waiting, so two workers never wait for each other.
        self.in_batch = False
        self.idle = asyncio.Event()
        self.idle.set()

    def claim(self) -> None:
        self.in_batch = True
        self.idle.clear()

    def release(self) -> None:
        self.in_batch = False
        self.idle.set()

    def take(self, count: int, batch: list, offsets: dict[TopicPartition, int]) -> None:
        """Move up to `count` queued records into `batch`, noting the offset to commit after it."""
        taken = [self.queue.popleft() for _ in range(min(len(self.queue), count))]
        if not self.queue:
            self.ready.clear()
        if taken:
            batch.extend(taken)
            offsets[self.tp] = taken[-1].offset + 1


class PartitionedConsumer(ConsumerRebalanceListener):
    def __init__(self, processor: BatchProcessor, topics: Sequence[str], *, group_id: str, bootstrap: str,
                 settings: FetchSettings, client_options: dict[str, object] | None = None,
                 backoff: Backoff = Backoff(0.2, 10.0)) -> None:
        self._processor = processor
        self._topics = list(topics)
        self._settings = settings
        self._backoff = backoff
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group_id,
            client_id=f"npa-{group_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            metadata_max_age_ms=settings.metadata_max_age_ms,
            max_poll_records=settings.max_batch * 4,
            **(client_options or {}),
        )
        self._workers: dict[TopicPartition, _PartitionWorker] = {}
        self._sizer = BatchSizer(settings.max_batch, settings.batch_seconds)
        self._fetch_task: asyncio.Task | None = None
        self._assigned = asyncio.Event()

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.subscribe(self._topics, listener=self)
        self._fetch_task = asyncio.create_task(self._fetch_loop(), name="consumer-fetch")

    async def wait_assigned(self, timeout: float) -> None:
        """Until the group gave this member its partitions (tests, start-up readiness)."""
        await asyncio.wait_for(self._assigned.wait(), timeout)

    async def stop(self) -> None:
        if self._fetch_task is not None:
            self._fetch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetch_task
        await self._finish(list(self._workers.values()))
        self._workers.clear()
        await self._consumer.stop()

    # ConsumerRebalanceListener: aiokafka awaits these between leaving and rejoining the group.
    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # The workers stay in `_workers` until they are finished, so that a stop meanwhile
        # cancels them too: aiokafka's stop waits for this callback.
        await self._finish([self._workers[tp] for tp in revoked if tp in self._workers])
        for tp in revoked:
            self._workers.pop(tp, None)

    async def _finish(self, workers: list[_PartitionWorker]) -> None:
        """Let the batches these workers are applying commit, for up to `graceful_seconds`, then
        cancel the workers. A batch cut short commits nothing: its records come again (inbox)."""
        for worker in workers:
            worker.queue.clear()
        try:
            await asyncio.wait_for(self._drain(workers), self._settings.graceful_seconds)
        except TimeoutError:
            cut_short = [worker.tp for worker in workers if worker.in_batch]
            log.warning("batches of %s not committed within %.0fs; cancelled, to be delivered again",
                        ", ".join(f"{tp.topic}[{tp.partition}]" for tp in cut_short), self._settings.graceful_seconds)
            for tp in cut_short:
                metrics.BATCHES_CUT_SHORT.labels(tp.topic).inc()
        for worker in workers:
            if worker.task is not None:
                worker.task.cancel()
        await asyncio.gather(*(w.task for w in workers if w.task is not None), return_exceptions=True)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("assigned %s", ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(assigned)) or "nothing")
        self._assigned.set()

    async def _drain(self, workers: list[_PartitionWorker]) -> None:
        """Wait for the batches these workers are applying to be committed."""
        for worker in workers:
            await worker.idle.wait()

    async def _fetch_loop(self) -> None:
        failures = 0
        while True:
            try:
                fetched = await self._consumer.getmany(timeout_ms=1000, max_records=self._settings.max_batch * 4)
                failures = 0
            except KafkaError as error:
                failures += 1
                delay = self._backoff.delay(failures)
                log.warning("fetch failed (%s); retry in %.1fs", type(error).__name__, delay)
                await asyncio.sleep(delay)
                continue
            for tp, records in fetched.items():
                worker = self._workers.get(tp)
                if worker is None:
                    worker = self._workers[tp] = _PartitionWorker(tp)
                    worker.task = asyncio.create_task(self._work(worker), name=f"consume-{tp.topic}-{tp.partition}")
                worker.queue.extend(records)
                worker.ready.set()
                if len(worker.queue) >= self._settings.max_batch * 4:
                    self._consumer.pause(tp)  # resumed when its worker has caught up

    async def _work(self, worker: _PartitionWorker) -> None:
        tp = worker.tp
        loop = asyncio.get_running_loop()
        filled_by: float | None = None  # when a lingering batch is taken as it is
        while True:
            await worker.ready.wait()
            if worker.in_batch:  # a peer's batch holds its records: wait for its commit
                await worker.idle.wait()
                continue
            # A consumer nobody waits on (reports) lingers: at steady traffic a fetch brings a few
            # records, and a batch costs about the same whatever it holds (ADR 9, 2026-11-30 evening).
            # A backlog fills the budget at once and never waits.
            if self._settings.linger_seconds and self._queued(tp.topic) < self._sizer.size(tp.topic):
                filled_by = filled_by or loop.time() + self._settings.linger_seconds
                if (remaining := filled_by - loop.time()) > 0:
                    await asyncio.sleep(remaining)
                    if not worker.queue:  # a peer's batch took them: the next records linger anew
                        filled_by = None
                    continue
            filled_by = None
            members = [worker]
            worker.claim()
            try:
                budget = self._sizer.size(tp.topic)
                batch: list = []
                offsets: dict[TopicPartition, int] = {}
                worker.take(budget, batch, offsets)
                for peer in list(self._workers.values()):
                    if len(batch) >= budget:
                        break
                    if peer.tp.topic == tp.topic and not peer.in_batch and peer.queue:
                        peer.claim()
                        members.append(peer)
                        peer.take(budget - len(batch), batch, offsets)
                if batch:
                    await self._apply_and_commit(tp, batch, offsets)
            finally:
                for member in members:
                    member.release()
            for member in members:
                if len(member.queue) < self._settings.max_batch and member.tp in self._consumer.paused():
                    with contextlib.suppress(IllegalStateError):
                        self._consumer.resume(member.tp)

    def _queued(self, topic: str) -> int:
        """Records a batch of this topic could take now: its free workers' queues."""
        return sum(len(peer.queue) for peer in self._workers.values() if peer.tp.topic == topic and not peer.in_batch)

    async def _apply_and_commit(self, tp: TopicPartition, batch: list, offsets: dict[TopicPartition, int]) -> None:
        metrics.BATCH_EVENTS.labels(tp.topic).observe(len(batch))
        failures = 0
        while True:
            try:
                started = time.monotonic()
                await self._processor.process_batch(tp.topic, tp.partition, batch)
                self._sizer.observe(tp.topic, len(batch), time.monotonic() - started)
                break
            except Exception as error:  # the dead-letter topic unreachable: nothing acknowledged; again
                failures += 1
                delay = self._backoff.delay(failures)
                log.warning("batch from %s[%s] not finished (%s); again in %.1fs",
                            tp.topic, tp.partition, type(error).__name__, delay)
                await asyncio.sleep(delay)
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            # A partition moved to another member meanwhile: it gets these records again, and its
            # inbox knows them.
            log.info("offset commit for %s refused (%s)", ", ".join(f"{tp.topic}[{tp.partition}]" for tp in offsets),
                     type(error).__name__)
