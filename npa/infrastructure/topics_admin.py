"""Idempotent topic creation with kafka-python's admin client, run once at service start."""

import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from npa.contracts import topics
from npa.infrastructure.settings import KafkaSecurity

log = logging.getLogger(__name__)


def platform_topics() -> list[str]:
    return [name for topic in topics.ALL for name in (topic, topics.dead_letter(topic))]


def ensure_topics(
    bootstrap: str,
    partitions: int,
    *,
    wait_seconds: float = 60.0,
    security: KafkaSecurity | None = None,
    replication_factor: int = 1,
) -> None:
    """Create every platform topic that does not exist yet; waits for the broker to come up.

    Only creates: a topic that exists keeps its partition count (raise it with
    `kafka-topics.sh --alter --partitions N`, see deploy/README.md)."""
    config = (security or KafkaSecurity()).kafka_client_config()
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap, client_id="npa-admin", request_timeout_ms=10_000, **config
            )
            break
        except KafkaError as error:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for Kafka at %s (%s)", bootstrap, type(error).__name__)
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [name for name in platform_topics() if name not in existing]
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)])
            except TopicAlreadyExistsError:
                pass  # another service created it in the meantime
        if missing:
            log.info("created topics %s", missing)
    finally:
        admin.close()
