"""Idempotent topic creation with kafka-python's admin client: at service start, and again
whenever the broker has lost topics (a memory broker after its restart)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from npa.contracts import topics
from npa.infrastructure.kafka_admin import AdminClient
from npa.infrastructure.settings import KafkaSecurity, Settings

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
            # Each attempt bootstraps for at most the time left: kafka-python's own default is 30 s.
            admin = AdminClient(
                bootstrap_servers=bootstrap, client_id="npa-admin", request_timeout_ms=10_000,
                bootstrap_timeout_ms=max(500, int((deadline - time.monotonic()) * 1000)), **config
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


class TopicKeeper:
    """Every `topic_check_seconds` compares the broker's topics with the platform's and creates
    what is missing. On Apache Kafka topics survive restarts and this finds nothing to do; the
    local memory broker starts empty, and without this the consumers would wait on topics that
    only a producer's first send (with the broker's default partition count) brings back."""

    def __init__(self, settings: Settings, topics_on_broker: Callable[[], Awaitable[set[str]]]) -> None:
        self._settings = settings
        self._topics_on_broker = topics_on_broker

    async def check(self) -> list[str]:
        """The topics it had to create (none while all exist)."""
        missing = sorted(set(platform_topics()) - await self._topics_on_broker())
        if missing:
            log.warning("topics missing on the broker, creating them: %s", ", ".join(missing))
            settings = self._settings
            await asyncio.to_thread(ensure_topics, settings.kafka_bootstrap, settings.kafka_partitions,
                                    wait_seconds=5.0, security=settings.kafka_security,
                                    replication_factor=settings.kafka_replication_factor)
        return missing

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._settings.topic_check_seconds)
            try:
                await self.check()
            except Exception as error:  # broker away: the next check tries again
                log.info("topic check failed (%s)", type(error).__name__)
