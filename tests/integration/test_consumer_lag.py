"""Consumer lag read from the real broker: committed offsets against end offsets, the gauge a
consuming service exports at scrape time, the reports service's ops page, and what a scrape
does when Kafka is away or does not answer."""

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from npa.contracts import topics
from npa.infrastructure.consumer_lag import ConsumerLagCollector, LagReader
from npa.infrastructure.topics_admin import ensure_topics
from tests.support.processes import free_port, silent_broker
from tests.support.services import eventually, produce, running_service, service_settings


async def produce_many(bootstrap: str, topic: str, count: int) -> dict[int, int]:
    """Sends `count` keyed records; returns how many landed on each partition."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    per_partition: dict[int, int] = {}
    try:
        for number in range(count):
            meta = await producer.send_and_wait(topic, b"{}", key=f"entity-{number}".encode())
            per_partition[meta.partition] = per_partition.get(meta.partition, 0) + 1
    finally:
        await producer.stop()
    return per_partition


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def test_lag_is_end_minus_committed_and_everything_for_a_group_that_committed_nothing(kafka_bootstrap) -> None:  # noqa: ANN001
    await asyncio.to_thread(ensure_topics, kafka_bootstrap, 2)
    sent = await produce_many(kafka_bootstrap, topics.OFFERS, 12)
    assert set(sent) == {0, 1}
    await produce_many(kafka_bootstrap, topics.dead_letter(topics.OFFERS), 3)
    await commit(kafka_bootstrap, "reports", {TopicPartition(topics.OFFERS, 0): 2})

    reader = LagReader(kafka_bootstrap)
    try:
        snapshot = await asyncio.to_thread(reader.read, {"reports": [topics.OFFERS], "notifications": [topics.OFFERS, topics.EXAMPLES]})
    finally:
        reader.close()
    lag = {(row.group, row.topic, row.partition): (row.committed, row.end, row.lag) for row in snapshot.partitions}
    assert lag[("reports", topics.OFFERS, 0)] == (2, sent[0], sent[0] - 2)
    assert lag[("reports", topics.OFFERS, 1)] == (None, sent[1], sent[1])
    assert lag[("notifications", topics.OFFERS, 0)] == (None, sent[0], sent[0])
    assert lag[("notifications", topics.EXAMPLES, 1)] == (None, 0, 0)
    assert len(lag) == 2 + 4
    assert snapshot.group_lag("reports") == 12 - 2 and snapshot.group_lag("notifications") == 12
    assert snapshot.dead_letters == {"npa.offers.v1.dlq": 3, "npa.examples.v1.dlq": 0}


def metric_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


async def test_a_consuming_service_exports_its_group_lag_and_reports_shows_every_group(kafka_bootstrap, sqlite_url) -> None:  # noqa: ANN001
    settings = service_settings("reports", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    async with running_service(settings) as client:
        await produce(kafka_bootstrap, topics.OFFERS, b"not json", key=b"offer-x")  # dead-lettered, then committed

        async def caught_up() -> list:
            samples = metric_samples((await client.get("/metrics")).text)
            lag = [(labels, value) for name, labels, value in samples if name == "npa_consumer_lag"]
            dlq = {labels["topic"]: value for name, labels, value in samples if name == "npa_dlq_topic_messages"}
            up = [(labels, value) for name, labels, value in samples if name == "npa_consumer_lag_up"]
            assert up == [({"group": "reports"}, 1.0)]
            assert dlq.get("npa.offers.v1.dlq") == 1.0, dlq
            assert lag and all(value == 0 for _labels, value in lag), lag
            return lag

        lag = await eventually(caught_up, timeout=30, interval=0.5)
        assert {labels["group"] for labels, _ in lag} == {"reports"}  # a service exports its own group only
        assert {labels["topic"] for labels, _ in lag} == {topics.OFFERS, topics.EXAMPLES, topics.ACTORS,
                                                          topics.NOTIFICATIONS, topics.EDITORS}
        assert len(lag) == 5 * settings.kafka_partitions

        answer = await client.get("/api/v1/ops/lag")
        assert answer.status_code == 200, answer.text
        view = answer.json()
        groups = {group["group"]: group for group in view["groups"]}
        assert set(groups) == {"offers", "notifications", "reports"}
        assert groups["reports"]["lag"] == 0
        assert groups["notifications"]["lag"] == 1  # nobody runs notifications here: the record waits for it
        assert groups["offers"]["lag"] == 0
        assert {"topic": "npa.offers.v1.dlq", "origin_topic": topics.OFFERS, "messages": 1} in view["dead_letters"]
        assert [item["service"] for item in view["outbox"]] == ["actors", "offers", "notifications", "reports"]

        page = await client.get("/ops")
        assert page.status_code == 200
        assert "Verzug je Verbrauchergruppe" in page.text and "npa.offers.v1.dlq" in page.text
        assert f"{settings.public_base_urls['offers']}/metrics" in page.text


def scrape(registry: CollectorRegistry) -> tuple[list, float]:
    started = time.monotonic()
    samples = [(s.name, s.labels, s.value) for family in registry.collect() for s in family.samples]
    return samples, time.monotonic() - started


def test_an_unreachable_broker_leaves_the_lag_out_and_is_logged_once(caplog) -> None:  # noqa: ANN001
    collector, registry = ConsumerLagCollector(), CollectorRegistry()
    registry.register(collector)
    collector.track("svc", "reports", [topics.OFFERS], f"127.0.0.1:{free_port()}", timeout=1.0)
    try:
        with caplog.at_level(logging.DEBUG, logger="npa.infrastructure.metrics"):
            for _ in range(3):
                samples, seconds = scrape(registry)
                assert samples == [("npa_consumer_lag_up", {"group": "reports"}, 0.0)]
                assert seconds < 2.5
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name == "npa.infrastructure.metrics"]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
    finally:
        collector.untrack("svc")


def test_a_broker_that_never_answers_does_not_hang_the_scrape() -> None:
    collector, registry = ConsumerLagCollector(), CollectorRegistry()
    registry.register(collector)
    with silent_broker() as bootstrap:
        collector.track("svc", "offers", [topics.ACTORS], bootstrap, timeout=1.0)
        try:
            for _ in range(2):
                samples, seconds = scrape(registry)
                assert samples == [("npa_consumer_lag_up", {"group": "offers"}, 0.0)]
                assert seconds < 1.5
        finally:
            collector.untrack("svc")
