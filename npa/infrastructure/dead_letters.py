"""Reading dead-lettered messages back from the `<topic>.dlq` topics, with their reasons, for
the editors' page (ADR 2 says what the headers carry). A reader outside any consumer group:
nothing is committed, nothing is taken away from the topic."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from npa.contracts import topics
from npa.infrastructure.kafka import partitions_of, read_to_end, reader
from npa.infrastructure.settings import KafkaSecurity

PREVIEW = 600


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    time: datetime
    key: str
    reason: str
    origin: str  # topic/partition@offset
    consumer_group: str
    attempts: str
    event_type: str
    preview: str  # the message's start, as text


def _header(headers: dict[str, str], name: str) -> str:
    return headers.get(name, "")


async def recent(bootstrap: str, security: KafkaSecurity, *, per_partition: int = 50,
                 timeout: float = 10.0) -> list[DeadLetter]:
    """The last `per_partition` records of every partition of every platform `.dlq` topic, newest first."""
    consumer = reader(bootstrap, "npa-dead-letter-reader", security)
    found: list[DeadLetter] = []
    wanted = {topics.dead_letter(topic) for topic in topics.ALL}

    async def read() -> None:
        partitions = await partitions_of(consumer, wanted & set(await consumer.topics()))
        if not partitions:
            return
        consumer.assign(partitions)
        starts, ends = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(starts[tp], ends[tp] - per_partition))
        async for tp, records in read_to_end(consumer, partitions):
            for record in records:
                headers = {name: value.decode("utf-8", "replace") for name, value in record.headers or ()}
                found.append(DeadLetter(
                    topic=tp.topic, partition=tp.partition, offset=record.offset,
                    time=datetime.fromtimestamp(record.timestamp / 1000, UTC),
                    key=(record.key or b"").decode("utf-8", "replace")[:300],
                    reason=_header(headers, "npa-dlq-reason"),
                    origin=f"{_header(headers, 'npa-dlq-origin-topic')}/{_header(headers, 'npa-dlq-origin-partition')}"
                           f"@{_header(headers, 'npa-dlq-origin-offset')}",
                    consumer_group=_header(headers, "npa-dlq-consumer-group"),
                    attempts=_header(headers, "npa-dlq-attempts"),
                    event_type=_header(headers, "ce_type"),
                    preview=(record.value or b"")[:PREVIEW].decode("utf-8", "replace"),
                ))

    await consumer.start()
    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        await consumer.stop()
    return sorted(found, key=lambda letter: (letter.time, letter.topic, letter.offset), reverse=True)
