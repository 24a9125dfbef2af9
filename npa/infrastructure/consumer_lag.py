"""Consumer lag: how far each consumer group is behind the end of the partitions it reads.

lag = end offset − committed offset of the group; where the group has committed nothing yet
(or its offset fell out of retention) it starts at the earliest offset (the services read with
`auto_offset_reset="earliest"`), so lag = end − start. Read with kafka-python's admin client:
OffsetFetch for the groups' committed offsets, ListOffsets for start and end offsets. The same
read gives the size of the dead-letter topics (end − start of `<topic>.dlq`).

Exported at scrape time by `ConsumerLagCollector` (every consuming service, its own group) and
shown for all platform groups on the reports service's ops page (`services/reports/ops.py`).
"""

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import TopicPartition
from kafka.admin import OffsetSpec
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from npa.contracts import topics
from npa.infrastructure.kafka_admin import AdminClient
from npa.infrastructure.metrics import CachedReading
from npa.infrastructure.settings import KafkaSecurity

# Who reads what (each service's handlers.subscriptions(); a test keeps the two equal).
PLATFORM_GROUPS: dict[str, tuple[str, ...]] = {
    "offers": (topics.ACTORS, topics.PARTNER_OFFERS, topics.EDITORS),
    "notifications": (topics.OFFERS, topics.EXAMPLES, topics.ACTORS),
    "reports": (topics.OFFERS, topics.EXAMPLES, topics.ACTORS, topics.NOTIFICATIONS, topics.EDITORS),
}


def partition_lag(committed: int | None, start: int, end: int) -> int:
    """Records the group still has to read on one partition."""
    position = start if committed is None or committed < start else committed
    return max(0, end - position)


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing on this partition
    start: int
    end: int

    @property
    def lag(self) -> int:
        return partition_lag(self.committed, self.start, self.end)


@dataclass(frozen=True)
class LagSnapshot:
    partitions: list[PartitionLag]
    dead_letters: dict[str, int]  # `<topic>.dlq` → records retained (end − start)
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def group_lag(self, group: str) -> int:
        return sum(item.lag for item in self.partitions if item.group == group)


class LagReader:
    """One kafka-python admin client, opened on first use and reopened after an error."""

    def __init__(self, bootstrap: str, security: KafkaSecurity | None = None, *,
                 request_timeout_ms: int = 3000, client_id: str = "npa-consumer-lag") -> None:
        self._config = {
            "bootstrap_servers": bootstrap,
            "client_id": client_id,
            "request_timeout_ms": request_timeout_ms,
            "bootstrap_timeout_ms": request_timeout_ms,
            **(security or KafkaSecurity()).kafka_client_config(),
        }
        self._admin: AdminClient | None = None
        self._lock = threading.Lock()

    def read(self, groups: Mapping[str, Sequence[str]]) -> LagSnapshot:
        with self._lock:
            try:
                return self._read(self._connect(), groups)
            except Exception:
                self._close()  # a broker restart or a moved coordinator: start afresh next time
                raise

    def close(self) -> None:
        with self._lock:
            self._close()

    def _connect(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(**self._config)
        return self._admin

    def _close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception:  # noqa: BLE001 - closing a broken client
                pass

    @staticmethod
    def _read(admin: AdminClient, groups: Mapping[str, Sequence[str]]) -> LagSnapshot:
        consumed = sorted({topic for names in groups.values() for topic in names})
        wanted = consumed + [topics.dead_letter(topic) for topic in consumed]
        partitions = {
            description["name"]: sorted(p["partition_index"] for p in description["partitions"])
            for description in admin.describe_topics(wanted)
            if description["error_code"] == 0  # a topic not created yet has nothing to read
        }
        all_partitions = [TopicPartition(topic, p) for topic, indexes in partitions.items() for p in indexes]
        ends, starts = {}, {}
        if all_partitions:
            ends = admin.list_partition_offsets(dict.fromkeys(all_partitions, OffsetSpec.LATEST))
            starts = admin.list_partition_offsets(dict.fromkeys(all_partitions, OffsetSpec.EARLIEST))
        committed = admin.list_group_offsets(list(groups)) if groups else {}
        lags = []
        for group, names in sorted(groups.items()):
            offsets = committed.get(group, {})
            for topic in sorted(names):
                for index in partitions.get(topic, []):
                    tp = TopicPartition(topic, index)
                    mark = offsets.get(tp)
                    lags.append(PartitionLag(group, topic, index,
                                             mark.offset if mark is not None and mark.offset >= 0 else None,
                                             starts[tp].offset, ends[tp].offset))
        dead_letters = {
            name: sum(ends[TopicPartition(name, p)].offset - starts[TopicPartition(name, p)].offset
                      for p in partitions[name])
            for name in (topics.dead_letter(topic) for topic in consumed) if name in partitions
        }
        return LagSnapshot(lags, dead_letters)


def cached_lag(bootstrap: str, security: KafkaSecurity | None, groups: Mapping[str, Sequence[str]], *,
               ttl: float = 5.0, timeout: float = 3.0) -> CachedReading[LagSnapshot]:
    """A lag read for `groups` that a scrape or a page can call often: cached for `ttl`, bounded by `timeout`."""
    reader = LagReader(bootstrap, security, request_timeout_ms=int(timeout * 1000))
    frozen = {group: tuple(names) for group, names in groups.items()}
    return CachedReading(lambda: reader.read(frozen), name=f"consumer-lag[{','.join(frozen)}]",
                         ttl=ttl, timeout=timeout, cleanup=reader.close)


class ConsumerLagCollector(Collector):
    """`npa_consumer_lag{group,topic,partition}`, `npa_dlq_topic_messages{topic}` and
    `npa_consumer_lag_up{group}` (0 when Kafka could not be asked; the lag is then left out).

    A service process tracks its own group; tests run several services in one process."""

    def __init__(self) -> None:
        self._sources: dict[object, tuple[str, CachedReading[LagSnapshot]]] = {}
        self._lock = threading.Lock()

    def track(self, key: object, group: str, group_topics: Sequence[str], bootstrap: str,
              security: KafkaSecurity | None = None, *, ttl: float = 5.0, timeout: float = 3.0) -> None:
        reading = cached_lag(bootstrap, security, {group: group_topics}, ttl=ttl, timeout=timeout)
        with self._lock:
            previous = self._sources.get(key)
            self._sources[key] = (group, reading)
        if previous is not None:
            previous[1].close()

    def untrack(self, key: object) -> None:
        with self._lock:
            source = self._sources.pop(key, None)
        if source is not None:
            source[1].close()

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing is asked of Kafka when the collector is registered

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            sources = list(self._sources.values())
        if not sources:
            return
        up = GaugeMetricFamily("npa_consumer_lag_up", "1 if the last consumer lag read from Kafka succeeded",
                               labels=["group"])
        lag = GaugeMetricFamily("npa_consumer_lag", "Records a consumer group has yet to read, per partition",
                                labels=["group", "topic", "partition"])
        dead = GaugeMetricFamily("npa_dlq_topic_messages", "Records retained on a dead-letter topic",
                                 labels=["topic"])
        dead_letters: dict[str, int] = {}
        for group, reading in sources:
            snapshot = reading.get()
            up.add_metric([group], 0 if snapshot is None else 1)
            if snapshot is None:
                continue
            for item in snapshot.partitions:
                lag.add_metric([item.group, item.topic, str(item.partition)], item.lag)
            dead_letters.update(snapshot.dead_letters)
        for topic, count in sorted(dead_letters.items()):
            dead.add_metric([topic], count)
        yield up
        if lag.samples:
            yield lag
        if dead.samples:
            yield dead


CONSUMER_LAG = ConsumerLagCollector()
REGISTRY.register(CONSUMER_LAG)
