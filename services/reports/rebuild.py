"""`npa-reports rebuild --database-url URL`: replay every consumed topic from the beginning
into a fresh read model (also `python -m services.reports.rebuild --database-url URL`).

Why a new database and not drop-and-recreate in place: the live read model keeps serving
(and stays as the fallback) while the new one fills; replaying thousands of events in one
transaction would hold locks against the running consumer for minutes (SQLite has one
writer); and the new model can be compared with the live one before anyone switches.

How it reads: no consumer group (assign + seek to the beginning), so the service's
committed offsets are untouched; it stops at the end offsets taken at its start. Every
record goes through `EventConsumer.process` with the service's own handlers, so inbox,
version checks and handlers are exactly those of the live consumer. A message that the
live consumer dead-lettered is counted and skipped here, never parked on `.dlq` twice.

Cut-over: stop the reports service, run the rebuild (or run it while the service is up
and again, with `--resume`, after stopping it: the second pass only adds what arrived
meanwhile), point NPA_REPORTS_DATABASE_URL at the new database and start the service.
Its consumer group resumes from its own offsets; events the rebuild already applied are
duplicates for the new inbox and change nothing.
"""

import argparse
import asyncio
import logging
import os
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from npa.infrastructure.consumer import EventConsumer, RetryPolicy
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.inbox import InboxEvent
from npa.infrastructure.settings import KafkaSecurity, load_kafka_security
from services.reports import handlers

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"  # as in npa.infrastructure.settings
GROUP_LABEL = "reports-rebuild"  # names the replay in logs and metrics; no group joins the broker

log = logging.getLogger(__name__)


class TargetNotFresh(RuntimeError):
    """The target database has already consumed events: a replay into it would prove nothing."""


@dataclass
class RebuildResult:
    end_offsets: dict[str, int] = field(default_factory=dict)  # "topic:partition" → offset reached
    outcomes: Counter = field(default_factory=Counter)  # applied, duplicate, stale, dead_lettered
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(self.outcomes.values())


async def _skip_dead_letter(topic: str, key: bytes | None, body: bytes, headers: dict[str, str]) -> None:
    log.info("skipped a message the live consumer parks on %s: %s", topic, headers.get("npa-dlq-reason", "")[:200])


async def _assign_from_beginning(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - a fresh client knows no topics yet
    partitions = [TopicPartition(topic, number) for topic in topics
                  for number in sorted(consumer.partitions_for_topic(topic) or ())]
    if partitions:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
    return partitions


class EndOffsets:
    """The offset to stop at per partition: the end as the replay starts.

    ListOffsets(latest) gives it on Apache Kafka, but the local broker (Tansu 0.6) answers
    with the base offset of the last record batch, short of the records batched with it.
    So the high watermark of the first fetch response for a partition decides, or the
    listed offset if that is larger. Until that response, a partition's end is unknown.
    """

    def __init__(self, listed: dict[TopicPartition, int]) -> None:
        self._listed = listed
        self.known: dict[TopicPartition, int] = {}

    def learn(self, consumer: AIOKafkaConsumer) -> None:
        for tp, listed in self._listed.items():
            if tp not in self.known and (highwater := consumer.highwater(tp)) is not None:
                self.known[tp] = max(listed, highwater)


def aiokafka_security(security: KafkaSecurity) -> dict[str, object]:
    """aiokafka's keyword arguments for the platform's Kafka security settings (NPA_KAFKA_SECURITY_*)."""
    options: dict[str, object] = {"security_protocol": security.protocol}
    if security.uses_tls:
        options["ssl_context"] = ssl.create_default_context(cafile=security.ssl_cafile or None)
    if security.uses_sasl:
        options.update(sasl_mechanism=security.sasl_mechanism, sasl_plain_username=security.username,
                       sasl_plain_password=security.password)
    return options


async def _replay(consumer: AIOKafkaConsumer, replay: EventConsumer, partitions: list[TopicPartition],
                  result: RebuildResult) -> dict[TopicPartition, int]:
    """Processes every record from the beginning up to the end offsets; returns those ends."""
    ends = EndOffsets(await consumer.end_offsets(partitions) if partitions else {})
    # Our own count of what was processed: the consumer's position runs ahead of the records
    # getmany has handed out while a fetched batch is still buffered.
    reached = await consumer.beginning_offsets(partitions) if partitions else {}
    pending = set(partitions)
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=500)
        ends.learn(consumer)  # a fetch response sets the high watermark before its records come out
        for tp, records in batch.items():
            for record in records:
                if record.offset >= ends.known.get(tp, sys.maxsize):
                    break  # arrived after the start: the live consumer's business
                outcome = await replay.process(tp.topic, record.key, record.value, tp.partition, record.offset)
                result.outcomes[outcome] += 1
                reached[tp] = record.offset + 1
        for tp in list(pending):
            if tp not in ends.known:
                continue
            # Nothing buffered for tp: its position is exact and skips offsets without a record.
            if reached[tp] >= ends.known[tp] or (tp not in batch and await consumer.position(tp) >= ends.known[tp]):
                pending.discard(tp)
    return ends.known


async def rebuild(database_url: str, bootstrap: str, *, resume: bool = False, retry: RetryPolicy | None = None,
                  kafka_options: dict[str, object] | None = None) -> RebuildResult:
    """`kafka_options`: extra aiokafka arguments, e.g. `aiokafka_security(...)` for a managed cluster."""
    run_migrations(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    started = time.monotonic()
    try:
        with Session(engine) as session:
            seen = session.exec(select(func.count()).select_from(InboxEvent)).one()
        if seen and not resume:
            raise TargetNotFresh(f"the target already holds {seen} consumed events; give a new database "
                                 "or --resume to continue an interrupted rebuild")
        subscriptions = handlers.subscriptions()
        replay = EventConsumer(GROUP_LABEL, engine, subscriptions.handlers, _skip_dead_letter, retry or RetryPolicy())
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                    client_id="npa-reports-rebuild", fetch_max_wait_ms=50, max_poll_records=500,
                                    **(kafka_options or {}))
        result = RebuildResult()
        try:
            await consumer.start()
            partitions = await _assign_from_beginning(consumer, subscriptions.topics)
            ends = await _replay(consumer, replay, partitions, result)
            result.end_offsets = {f"{tp.topic}:{tp.partition}": end for tp, end in sorted(ends.items())}
        finally:
            await consumer.stop()
        result.seconds = time.monotonic() - started
        return result
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["rebuild"]:  # `npa-reports rebuild …`; rebuild is its only command so far
        arguments = arguments[1:]
    parser = argparse.ArgumentParser(
        prog="npa-reports rebuild",
        description="Replay every topic the reports service consumes, from the beginning, into a fresh read model.",
    )
    parser.add_argument("--database-url", required=True,
                        help="SQLAlchemy URL of the NEW read model (migrated here), e.g. sqlite:///var/reports-new.db")
    parser.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers (default: NPA_KAFKA_BOOTSTRAP)")
    parser.add_argument("--resume", action="store_true",
                        help="continue into a target that already consumed events (replays are idempotent)")
    options = parser.parse_args(arguments)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Not load_settings(): it would generate secrets into var/ that a replay does not need.
    bootstrap = options.bootstrap or os.environ.get("NPA_KAFKA_BOOTSTRAP", "").strip() or DEFAULT_BOOTSTRAP
    target = make_url(options.database_url).render_as_string(hide_password=True)
    try:
        result = asyncio.run(rebuild(options.database_url, bootstrap, resume=options.resume,
                                     kafka_options=aiokafka_security(load_kafka_security())))
    except TargetNotFresh as error:
        print(f"npa-reports rebuild: {error}", file=sys.stderr)
        return 2
    except KafkaError as error:
        print(f"npa-reports rebuild: cannot read from Kafka at {bootstrap}: {error}", file=sys.stderr)
        return 1
    # dead_lettered: counted only; the live consumer parked those messages on .dlq already.
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items())) or "no events"
    print(f"rebuilt {target} from {bootstrap}: {result.records} records ({outcomes}) "
          f"over {len(result.end_offsets)} partitions in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
