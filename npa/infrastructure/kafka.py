"""aiokafka clients with the platform's settings, and reading partitions up to their end.

Reading "to the end" needs care on the local broker: Tansu 0.6 answers ListOffsets(latest)
with the base offset of the last record batch, short of the records batched with it, so the
high watermark of the first fetch response decides (or the listed offset, if larger).
"""

import asyncio
import ssl
import sys
from collections.abc import AsyncIterator, Iterable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.structs import ConsumerRecord

from npa.infrastructure.settings import KafkaSecurity

PRODUCER_BATCH_BYTES = 512 * 1024  # per partition and request; below every broker's message.max.bytes
MAX_MESSAGE_BYTES = 1024 * 1024  # aiokafka's max_request_size; Kafka's default message.max.bytes


def client_options(security: KafkaSecurity) -> dict[str, object]:
    """aiokafka's keyword arguments for the platform's Kafka security settings (NPA_KAFKA_SECURITY_*)."""
    options: dict[str, object] = {"security_protocol": security.protocol}
    if security.uses_tls:
        options["ssl_context"] = ssl.create_default_context(cafile=security.ssl_cafile or None)
    if security.uses_sasl:
        options.update(sasl_mechanism=security.sasl_mechanism, sasl_plain_username=security.username,
                       sasl_plain_password=security.password)
    return options


def producer(bootstrap: str, client_id: str, security: KafkaSecurity, *, linger_ms: int,
             metadata_max_age_ms: int = 300_000) -> AIOKafkaProducer:
    # acks=all: an event counts as published once every in-sync replica has it. No idempotent
    # producer (the local broker refuses it); the relay's read-back prevents duplicates instead.
    return AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all", linger_ms=linger_ms,
                            max_batch_size=PRODUCER_BATCH_BYTES, max_request_size=MAX_MESSAGE_BYTES,
                            request_timeout_ms=15_000,
                            metadata_max_age_ms=metadata_max_age_ms, **client_options(security))


Message = tuple[str, bytes, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers
_PARTITIONER = DefaultPartitioner()  # the producers' own: a key goes to the partition `send` would choose


async def send_batched(producer: AIOKafkaProducer, messages: Sequence[Message]) -> list[BaseException | None]:
    """Hand `messages` to the producer as record batches, one open batch per partition, in their
    order, then wait for the broker: per message None once acknowledged, or the error. From the
    first message that could not be handed over, every one counts as failed (the relay treats
    them as in doubt and reads back what reached the broker).

    `send` per message made a future, a callback and a partition lookup per record: about twice
    the CPU of appending to a batch (18.5 against 8.5 µs a message, ADR 0009)."""
    outcomes: list[BaseException | None] = [None] * len(messages)
    # A message larger than a request may be is refused before anything is sent, as `send` does;
    # those before it go, it and those after it fail.
    too_large = next((index for index, (_, key, value, headers) in enumerate(messages)
                      if DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers) > MAX_MESSAGE_BYTES),
                     None)
    if too_large is not None:
        error = MessageSizeTooLargeError(f"message {too_large}: larger than a request may be ({MAX_MESSAGE_BYTES} bytes)")
        outcomes[too_large:] = [error] * (len(messages) - too_large)
        messages = messages[:too_large]
    partitions: dict[str, list[int]] = {}
    open_batches: dict[tuple[str, int], tuple[object, list[int]]] = {}
    handed: list[tuple[asyncio.Future, list[int]]] = []
    refused: tuple[int, BaseException] | None = None

    async def hand_over(topic: str, partition: int) -> None:
        batch, indexes = open_batches.pop((topic, partition))
        handed.append((await producer.send_batch(batch, topic, partition=partition), indexes))

    def append(index: int, slot: tuple[str, int]) -> bool:
        if slot not in open_batches:
            open_batches[slot] = (producer.create_batch(), [])
        batch, indexes = open_batches[slot]
        _, key, value, headers = messages[index]
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:  # type: ignore[attr-defined]
            return False
        indexes.append(index)
        return True

    try:
        for index, (topic, key, _value, _headers) in enumerate(messages):
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            slot = (topic, _PARTITIONER(key, partitions[topic], partitions[topic]))
            if not append(index, slot):
                if not open_batches[slot][1]:
                    raise MessageSizeTooLargeError(f"message {index} does not fit in a record batch")
                await hand_over(*slot)  # full: send it, start the partition's next one
                if not append(index, slot):
                    raise MessageSizeTooLargeError(f"message {index} does not fit in a record batch")
        for topic, partition in list(open_batches):
            await hand_over(topic, partition)
    except Exception as error:  # the producer refused (stopped, buffer full, metadata): the rest fails
        handed_indexes = {index for _, indexes in handed for index in indexes}
        first = min((index for index in range(len(messages)) if index not in handed_indexes), default=None)
        if first is not None:
            refused = (first, error)
    results = await asyncio.gather(*(future for future, _ in handed), return_exceptions=True)
    for (_, indexes), result in zip(handed, results, strict=True):
        if isinstance(result, BaseException):
            for index in indexes:
                outcomes[index] = result
    if refused is not None:
        first, error = refused
        for index in range(first, len(messages)):
            outcomes[index] = outcomes[index] or error
    return outcomes


def reader(bootstrap: str, client_id: str, security: KafkaSecurity, **options: object) -> AIOKafkaConsumer:
    """A consumer outside any group (assign and seek), for read-back and replay."""
    return AIOKafkaConsumer(bootstrap_servers=bootstrap, client_id=client_id, group_id=None,
                            enable_auto_commit=False, fetch_max_wait_ms=50, **{**client_options(security), **options})


async def partitions_of(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - a fresh client knows no topics yet
    return [TopicPartition(topic, number) for topic in sorted(topics)
            for number in sorted(consumer.partitions_for_topic(topic) or ())]


class EndOffsets:
    """The offset to stop at per partition: the end as the reading starts (see module doc)."""

    def __init__(self, listed: dict[TopicPartition, int]) -> None:
        self._listed = listed
        self.known: dict[TopicPartition, int] = {}

    def learn(self, consumer: AIOKafkaConsumer) -> None:
        for tp, listed in self._listed.items():
            if tp not in self.known and (highwater := consumer.highwater(tp)) is not None:
                self.known[tp] = max(listed, highwater)


async def read_to_end(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], *, max_records: int = 2000,
                      ) -> AsyncIterator[tuple[TopicPartition, list[ConsumerRecord]]]:
    """Each assigned partition's records from its current position up to its end at the start,
    in order, as (partition, records) chunks; records that arrive later are left out."""
    if not partitions:
        return
    ends = EndOffsets(await consumer.end_offsets(partitions))
    reached = {tp: await consumer.position(tp) for tp in partitions}
    pending = set(partitions)
    while pending:
        fetched = await consumer.getmany(*pending, timeout_ms=500, max_records=max_records)
        ends.learn(consumer)  # a fetch response sets the high watermark before its records come out
        for tp, records in fetched.items():
            end = ends.known.get(tp, sys.maxsize)
            kept = [record for record in records if record.offset < end]
            if kept:
                reached[tp] = kept[-1].offset + 1
                yield tp, kept
        for tp in list(pending):
            if tp not in ends.known:
                continue
            # Nothing buffered for tp: its position is exact and skips offsets without a record.
            if reached[tp] >= ends.known[tp] or (tp not in fetched and await consumer.position(tp) >= ends.known[tp]):
                pending.discard(tp)


async def recent_event_ids(bootstrap: str, security: KafkaSecurity, topics: set[str], per_partition: int,
                           *, timeout: float = 20.0) -> set[str]:
    """The `ce_id` headers of the last `per_partition` records of every partition of `topics`."""
    consumer = reader(bootstrap, "npa-outbox-read-back", security)
    found: set[str] = set()

    async def read() -> None:
        partitions = await partitions_of(consumer, topics)
        if not partitions:
            return
        consumer.assign(partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(starts[tp], ends[tp] - per_partition))
        async for _tp, records in read_to_end(consumer, partitions):
            for record in records:
                found.update(value.decode() for name, value in record.headers or () if name == "ce_id")

    await consumer.start()
    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        await consumer.stop()
    return found
