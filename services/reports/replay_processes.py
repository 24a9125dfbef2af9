"""`npa-reports rebuild --processes N`: one replay split over N processes by partition.

Why: a replay is bound by one interpreter. Its process spends as much CPU as wall time, and
two lanes in one process add GIL contention, not speed (ADR 12, 2026-12-02: on two cores, two
processes replayed the benchmark's history 1.5–2 times as fast as one on SQLite, 1.2–1.4
times on PostgreSQL).

How: the parent migrates the target and decides once whether it is fresh
(`replay.prepare`), reads how many records each consumed partition holds
(`replay.partition_sizes`) and shares the partitions out by that (`balanced_shares`), then
starts a process for each share that is not empty; each replays its partitions
(`replay.replay_share`), one batch at a time. Shares by size, not every N-th partition: the
topics differ by orders of magnitude (offers against actors) and keys are not spread evenly,
and the replay takes as long as its largest share. Each partition, and with it each
entity (the outbox keys every event by its subject), is replayed by exactly one process, in
order. Each process has its own connections, its own consumer (no group) and its own
in-memory inbox; what they share is the target, and it keeps them right:
- counts are added by upserts (`x = x + excluded.x`), so the order of the commits of two
  processes does not matter;
- fact rows keep their own version check, and entity versions the higher one;
- an event id on two partitions is inserted by both; the inbox's primary key fails one
  transaction, and its retry finds the other's row: a duplicate, as between two lanes.
On SQLite the processes take turns for the write lock (SQLite's busy timeout); on PostgreSQL
they write side by side.

A process that fails stops the others and fails the command. The target is then left as
after an interrupted replay: run again with `--resume`.
"""

import asyncio
import logging
import multiprocessing
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection, wait

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from npa.infrastructure.settings import KafkaSecurity
from services.reports.replay import BATCH_SIZE, PLAINTEXT, RebuildResult, partition_sizes, prepare, replay_share

log = logging.getLogger(__name__)


class ReplayProcessFailed(RuntimeError):
    """One of the replaying processes failed; the others were stopped."""


def rebuild_in_processes(database_url: str, bootstrap: str, *, processes: int, resume: bool = False,
                         security: KafkaSecurity = PLAINTEXT, batch_size: int = BATCH_SIZE,
                         start_method: str | None = None) -> RebuildResult:
    """Blocks until every process has finished; the merged outcomes and end offsets.

    `start_method`: by default `fork`, which starts in milliseconds with everything imported,
    when this process runs no other thread (the command); otherwise `spawn`, since a fork copies
    the locks other threads may hold."""
    fresh = prepare(database_url, resume=resume)
    started = time.monotonic()
    shares = [share for share in balanced_shares(asyncio.run(partition_sizes(bootstrap, security)), processes) if share]
    # asyncio.run has joined its resolver threads: a fork copies no lock another thread holds
    context = multiprocessing.get_context(start_method or ("fork" if threading.active_count() == 1 else "spawn"))
    workers: dict[Connection, multiprocessing.Process] = {}
    try:
        for index, share in enumerate(shares):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_replay_share, name=f"npa-reports-rebuild-{index + 1}-of-{len(shares)}",
                                      args=(sending, database_url, bootstrap, fresh, share, security, batch_size),
                                      daemon=True)
            process.start()
            sending.close()
            workers[receiving] = process
        result = RebuildResult()
        while workers:
            for ready in wait(list(workers)):
                process = workers.pop(ready)  # type: ignore[arg-type]
                share = _receive(ready, process)
                result.outcomes.update(share.outcomes)
                result.end_offsets.update(share.end_offsets)
        result.end_offsets = dict(sorted(result.end_offsets.items()))
        result.seconds = time.monotonic() - started
        return result
    finally:
        for process in workers.values():
            process.terminate()
        for process in workers.values():
            process.join()


def balanced_shares(sizes: Mapping[TopicPartition, int], count: int) -> list[list[TopicPartition]]:
    """`count` disjoint shares of the partitions that together hold them all, as even in records
    as a greedy split makes them: the largest partition first, each to the share holding the
    fewest records so far (then the fewest partitions, then the first). The same sizes give
    the same shares; each share in topic and partition order."""
    shares: list[list[TopicPartition]] = [[] for _ in range(count)]
    records = [0] * count
    for tp in sorted(sizes, key=lambda tp: (-sizes[tp], tp.topic, tp.partition)):
        lightest = min(range(count), key=lambda index: (records[index], len(shares[index]), index))
        shares[lightest].append(tp)
        records[lightest] += sizes[tp]
    return [sorted(share) for share in shares]


def _receive(connection: Connection, process: multiprocessing.Process) -> RebuildResult:
    try:
        outcome, detail = connection.recv()
    except EOFError:  # ended without a word: killed, or crashed in the interpreter
        process.join(5)
        raise ReplayProcessFailed(f"{process.name} ended with exit code {process.exitcode}") from None
    finally:
        connection.close()
    process.join()
    if outcome != "done":
        raise ReplayProcessFailed(f"{process.name}: {detail}")
    return detail


def _replay_share(connection: Connection, database_url: str, bootstrap: str, fresh: bool,
                  partitions: list[TopicPartition], security: KafkaSecurity, batch_size: int) -> None:
    try:
        result = asyncio.run(replay_share(database_url, bootstrap, fresh=fresh, partitions=partitions,
                                          security=security, batch_size=batch_size, parallel=1))
        connection.send(("done", result))
    except BaseException as error:  # the parent stops the others and reports this one
        if not isinstance(error, KafkaError | KeyboardInterrupt):
            log.exception("%s failed", multiprocessing.current_process().name)
        said = str(error)
        connection.send(("failed", said if said.startswith(type(error).__name__) else f"{type(error).__name__}: {said}"))
        sys.exit(1)
    finally:
        connection.close()
