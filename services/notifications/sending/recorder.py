"""Recording outcomes as they come in: a group commit beside the sending workers.

Each accepted mail is handed over at once; the recorder lets others join for at most `linger`
seconds, writes whatever has collected in one transaction, and while it writes, the next batch
collects. So a mail is marked sent within tens of milliseconds of the server's acceptance
(ADR 8), and ten thousand mails cost a few hundred transactions, not ten thousand: small
transactions in a worker thread take the interpreter lock from the SMTP connections.

On PostgreSQL two writes may be under way at once: each commit waits ~4 ms for its WAL flush
(synchronous_commit stays on), and with one write at a time the connections waited for room
while it did; two commits in flight share a flush. What bounds the repeats after a crash is
the count of outcomes handed over and not committed, whichever write holds them (ADR 8, 23).
"""

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from npa.infrastructure.backoff import Backoff
from npa.infrastructure.database import is_transient
from services.notifications import metrics
from services.notifications.config import SenderPolicy
from services.notifications.usecases import outcomes
from services.notifications.usecases.outcomes import Outcome

log = logging.getLogger(__name__)

WRITE_BACKOFF = Backoff(base_seconds=0.4, max_seconds=6.4, jitter=0.0)  # the database away: a restart, a failover


class OutcomeRecorder:
    def __init__(self, engine: Engine, policy: SenderPolicy, *, linger: float = 0.02,
                 writers: int | None = None) -> None:
        self._engine = engine
        # SQLite has one write turn: a second writer would only queue for it in another thread.
        self._writers = writers or (2 if engine.dialect.name == "postgresql" else 1)
        self.most_unwritten = 0  # the high-water mark of `_unwritten` (tests hold it to the limit)
        self._policy = policy
        self._postpone = timedelta(seconds=policy.postpone_seconds)
        self._linger = linger
        self._batch_size = policy.batch_size
        self._waiting: list[Outcome] = []
        self._waiting_lease_ends = math.inf  # the earliest lease among them
        self._limit = policy.max_unrecorded
        self._unwritten = 0  # handed over, not yet committed (or given up)
        self._room = asyncio.Event()
        self._room.set()
        self._arrived = asyncio.Event()
        self._group = min(self._batch_size, max(1, self._limit // 2))  # a write this big starts without lingering
        self._grouped = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="mail-outcome-recorder")
        self.written = 0  # outcomes committed, for the caller (a round may last as long as steady traffic)

    def add(self, outcome: Outcome, lease_ends: float) -> None:
        """`lease_ends` (monotonic): until then no other round can take the mail, so until then a
        write that fails is tried again."""
        self._waiting.append(outcome)
        self._waiting_lease_ends = min(self._waiting_lease_ends, lease_ends)
        self._unwritten += 1
        self.most_unwritten = max(self.most_unwritten, self._unwritten)
        if self._unwritten >= self._limit:
            self._room.clear()
        self._arrived.set()
        if len(self._waiting) >= self._group:
            self._grouped.set()

    async def wait_for_room(self) -> None:
        """Before a send: while `max_unrecorded` outcomes wait to be committed, wait. A crash
        sends again what was accepted and not recorded (ADR 8), so this bounds the repeats."""
        while self._unwritten >= self._limit:
            await self._room.wait()

    def _written(self, count: int) -> None:
        self._unwritten -= count
        if self._unwritten < self._limit:
            self._room.set()

    async def close(self) -> int:
        """Write what is left and stop; returns how many outcomes were recorded in this round."""
        self._closing = True
        self._arrived.set()
        self._grouped.set()  # a lingering write starts now
        try:
            await self._task
        except asyncio.CancelledError:  # the service stops while the database is away
            self._task.cancel()
            raise
        return self.written

    async def _run(self) -> None:
        writing: set[asyncio.Task] = set()
        try:
            await self._collect_and_write(writing)
        except asyncio.CancelledError:  # a write retrying while the database is away stops too
            for task in writing:
                task.cancel()
            raise

    async def _collect_and_write(self, writing: set[asyncio.Task]) -> None:
        while True:
            await self._arrived.wait()
            while len(writing) >= self._writers:  # meanwhile the next batch keeps collecting
                done, _ = await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    writing.discard(task)
                    task.result()
            if not self._closing and len(self._waiting) < self._group:
                # Until the group is full, not for the whole linger: while the recorder waits,
                # the unrecorded limit may hold the connections back (ADR 23).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._grouped.wait(), self._linger)
            self._arrived.clear()
            self._grouped.clear()
            batch, self._waiting = self._waiting, []
            lease_ends, self._waiting_lease_ends = self._waiting_lease_ends, math.inf
            if batch:
                writing.add(asyncio.create_task(self._write_counted(batch, lease_ends), name="mail-outcome-write"))
            if self._closing and not self._waiting:
                for task in asyncio.as_completed(writing):
                    await task
                return

    async def _write_counted(self, batch: list[Outcome], lease_ends: float) -> None:
        try:
            await self._write(batch, lease_ends)
        finally:
            self._written(len(batch))

    async def _write(self, batch: list[Outcome], lease_ends: float) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                written = await asyncio.to_thread(self._write_now, batch)
                break
            except Exception as error:
                if not is_transient(error):  # a bug or a row it cannot take: it would fail for the whole lease
                    await self._write_around(batch, lease_ends, error)
                    return
                # The database away: the mails are out, so keep trying while they are ours.
                delay = WRITE_BACKOFF.delay(attempt)
                if time.monotonic() + delay >= lease_ends:
                    # Past its lease another round may take a mail: unrecorded accepts are then
                    # sent once more (ADR 8).
                    metrics.UNRECORDED.inc(len(batch))
                    log.error("cannot record %d mail outcomes before their lease ends (%s); they may be sent again",
                              len(batch), error)
                    return
                if attempt == 1 or attempt % 10 == 0:
                    log.warning("recording %d mail outcomes failed (%s: %s), attempt %d, retrying while leased",
                                len(batch), type(error).__name__, str(error)[:200], attempt)
                await asyncio.sleep(delay)
        for outcome in written:
            if outcome.result == outcomes.FAILED:  # given up for good: operations must be able to say why
                log.warning("gave up delivery %s (%s), tries %d: %s", outcome.mail.delivery.id,
                            outcome.mail.delivery.kind, outcome.tries, outcome.reason[:200])
        # Counted per label set, not per mail: finding a labelled child costs ~10 µs.
        for (kind, result, reason), count in Counter(
                (o.mail.delivery.kind, o.result, o.metric_reason) for o in written).items():
            if result in (outcomes.SKIPPED, outcomes.POSTPONED):
                metrics.WITHHELD.labels(kind, result).inc(count)
            else:
                metrics.MAILS.labels(kind, result, reason).inc(count)
        self.written += len(written)

    async def _write_around(self, batch: list[Outcome], lease_ends: float, error: Exception) -> None:
        """A write that fails the same way each time: its halves are written in turn, down to the
        outcome that fails alone, which is logged and left to its lease (then sent again, as after
        a crash) while every other outcome of the batch is recorded."""
        if len(batch) > 1:
            middle = len(batch) // 2
            await self._write(batch[:middle], lease_ends)
            await self._write(batch[middle:], lease_ends)
            return
        metrics.UNRECORDED.inc()
        log.error("cannot record the outcome of delivery %s (%s: %s); it may be sent again after its lease",
                  batch[0].mail.delivery.id, type(error).__name__, str(error)[:300], exc_info=error)

    def _write_now(self, batch: list[Outcome]) -> list[Outcome]:
        with Session(self._engine) as session:
            written = outcomes.record(session, batch, self._policy.backoff, self._policy.max_attempts, self._postpone)
            session.commit()
        return written
