"""`kafka.send_batched` on the real broker: every message once, each on the partition `send`
would choose, in order per key, across full batches; a message that cannot be handed over fails
with every one after it, while those before it are acknowledged."""

import asyncio
from collections import defaultdict

from aiokafka.partitioner import DefaultPartitioner
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from npa.infrastructure import kafka
from npa.infrastructure.kafka_admin import AdminClient
from npa.infrastructure.settings import KafkaSecurity
from tests.support.services import read_topic

TOPIC = "npa.sendbatched.v1"


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


async def test_every_message_once_on_its_key_partition_in_order(kafka_bootstrap):  # noqa: ANN001
    await asyncio.to_thread(create_topic, kafka_bootstrap, TOPIC, 4)
    producer = kafka.producer(kafka_bootstrap, "send-batched-test", KafkaSecurity(), linger_ms=2)
    await producer.start()
    try:
        # ~2.4 MB over four partitions: more than one 512 KB record batch per partition
        messages = [(TOPIC, f"offer-{number % 50}".encode(), f"{number:06d}".encode() + b"x" * 1200,
                     [("ce_id", f"id-{number}".encode())]) for number in range(2000)]
        outcomes = await kafka.send_batched(producer, messages)
        assert outcomes == [None] * len(messages)
    finally:
        await producer.stop()
    records = await read_topic(kafka_bootstrap, TOPIC, expected=2000)
    assert sorted(int(record.value[:6]) for record in records) == list(range(2000))
    partitions = [0, 1, 2, 3]
    assert {record.partition for record in records} == set(partitions)
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda record: (record.partition, record.offset)):
        by_key[record.key].append(int(record.value[:6]))
        assert record.partition == DefaultPartitioner()(record.key, partitions, partitions)
        assert dict(record.headers)["ce_id"] == f"id-{int(record.value[:6])}".encode()
    assert all(numbers == sorted(numbers) for numbers in by_key.values())


async def test_a_message_that_cannot_be_handed_over_fails_with_every_later_one(kafka_bootstrap):  # noqa: ANN001
    await asyncio.to_thread(create_topic, kafka_bootstrap, TOPIC, 4)
    producer = kafka.producer(kafka_bootstrap, "send-batched-test", KafkaSecurity(), linger_ms=2)
    await producer.start()
    try:
        small = [(TOPIC, f"k{number}".encode(), b"small", []) for number in range(3)]
        too_large = (TOPIC, b"k9", b"x" * (kafka.MAX_MESSAGE_BYTES + 1024), [])
        outcomes = await kafka.send_batched(producer, [*small, too_large, *small])
        assert outcomes[:3] == [None, None, None]
        assert all(isinstance(outcome, Exception) for outcome in outcomes[3:]), outcomes
    finally:
        await producer.stop()
    stopped = await kafka.send_batched(producer, small)
    assert all(isinstance(outcome, Exception) for outcome in stopped), stopped
