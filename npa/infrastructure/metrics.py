"""Prometheus metrics every service exports (process metrics come from the default registry).

Counters and histograms are updated where things happen. Gauges about state that lives
elsewhere (the outbox table, Kafka offsets) are read when Prometheus scrapes, through
`CachedReading`, so they are right even when nothing happens in the process, and a slow
database or broker costs a scrape at most `timeout` seconds instead of hanging it.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter(
    "npa_events_published_total", "Events published to Kafka from the outbox", ["topic", "type"]
)
EVENTS_CONSUMED = Counter(
    "npa_events_consumed_total",
    "Events taken from Kafka, by outcome (applied, duplicate, stale, dead_lettered)",
    ["topic", "type", "outcome"],
)
DLQ_MESSAGES = Counter("npa_dlq_messages_total", "Messages sent to a dead-letter topic", ["topic"])
CONSUMER_RETRIES = Counter("npa_consumer_retries_total", "Handler attempts that failed and were retried", ["topic"])
BATCHES_CUT_SHORT = Counter(
    "npa_consumer_batches_cut_short_total",
    "Batches cancelled because they were not committed within the grace period of a rebalance or stop "
    "(their records are delivered again)",
    ["topic"],
)
BATCH_SECONDS = Histogram(
    "npa_consumer_batch_duration_seconds",
    "Time to apply one batch of a partition's events, database commit included",
    ["topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BATCH_EVENTS = Histogram(
    "npa_consumer_batch_events",
    "Records taken from one partition as one batch",
    ["topic"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
HTTP_SECONDS = Histogram(
    "npa_http_request_duration_seconds",
    "HTTP request duration by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PENDING = "npa_outbox_pending"
OUTBOX_OLDEST_AGE = "npa_outbox_pending_oldest_age_seconds"


def initialise_consumer_series(topics: list[str]) -> None:
    """Create the per-topic counters at 0, so the first dead letter after a start is an
    increase Prometheus can see (a series that appears at 1 has no increase)."""
    for topic in topics:
        DLQ_MESSAGES.labels(topic)
        CONSUMER_RETRIES.labels(topic)
        BATCHES_CUT_SHORT.labels(topic)


T = TypeVar("T")


class CachedReading(Generic[T]):
    """Runs `read` in one worker thread, at most once per `ttl` seconds, and waits at most
    `timeout` seconds for it. A failure or a timeout gives None and is logged once until the
    next success; a read still running is awaited by the next caller, never started twice."""

    def __init__(self, read: Callable[[], T], *, name: str, ttl: float = 5.0, timeout: float = 3.0,
                 cleanup: Callable[[], None] | None = None) -> None:
        self._read = read
        self._cleanup = cleanup
        self._name = name
        self._ttl = ttl
        self._timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._lock = threading.RLock()  # a read that finished at once calls _store under get's lock
        self._future: Future[T] | None = None
        self._value: T | None = None
        self._read_at = float("-inf")
        self._failing = False
        self._closed = False
        self.last_error: str | None = None

    def get(self) -> T | None:
        with self._lock:
            if self._closed:
                return None
            if self._value is not None and time.monotonic() - self._read_at < self._ttl:
                return self._value
            if self._future is None or self._future.done():
                try:
                    self._future = self._executor.submit(self._read)
                except RuntimeError:  # closed while a scrape was running
                    return None
                self._future.add_done_callback(self._store)
            future = self._future
        try:
            value = future.result(timeout=self._timeout)
        except FutureTimeout:
            self._failed(f"no answer within {self._timeout:g} s")
        except Exception as error:  # noqa: BLE001 - a scrape must not fail; the value is left out
            self._failed(_describe(error))
        else:
            self._succeeded(value)
            return value
        return None

    def _store(self, future: "Future[T]") -> None:
        """Keeps every finished read, also one that came in after its caller stopped waiting."""
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self._failed(_describe(error))
        else:
            self._succeeded(future.result())

    def _succeeded(self, value: T) -> None:
        with self._lock:  # the caller and the done-callback both land here; one of them logs
            self._value, self._read_at = value, time.monotonic()
            recovered, self._failing, self.last_error = self._failing, False, None
        if recovered:
            log.info("%s: readable again", self._name)

    def _failed(self, reason: str) -> None:
        with self._lock:
            self._value = None
            first = not self._failing
            self._failing, self.last_error = True, reason
        log.log(logging.WARNING if first else logging.DEBUG, "%s: cannot read (%s); left out of /metrics", self._name, reason)

    def close(self) -> None:
        """Stop; `cleanup` runs in the worker thread after a read still in flight, not beside it."""
        with self._lock:
            self._closed, self._value = True, None
            if self._cleanup is not None:
                self._executor.submit(self._cleanup)
                self._cleanup = None
            self._executor.shutdown(wait=False)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


class OutboxBacklogCollector(Collector):
    """`npa_outbox_pending` and `npa_outbox_pending_oldest_age_seconds`, read from the outbox
    table at scrape time: the age keeps growing while the relay is stuck or the broker is away.

    One process runs one service; tests run several in one process, so every running relay
    is a source and the gauges are their sum (pending) and maximum (age)."""

    def __init__(self) -> None:
        self._sources: dict[object, CachedReading[tuple[int, float]]] = {}
        self._lock = threading.Lock()

    def track(self, key: object, read: Callable[[], tuple[int, float]]) -> None:
        with self._lock:
            self._sources[key] = CachedReading(read, name="outbox-backlog", ttl=1.0, timeout=2.0)

    def untrack(self, key: object) -> None:
        with self._lock:
            reading = self._sources.pop(key, None)
        if reading is not None:
            reading.close()

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no database query when the collector is registered

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            sources = list(self._sources.values())
        readings = [value for value in (source.get() for source in sources) if value is not None]
        if not readings:
            return
        yield GaugeMetricFamily(OUTBOX_PENDING, "Outbox rows not yet published",
                                value=sum(count for count, _age in readings))
        yield GaugeMetricFamily(OUTBOX_OLDEST_AGE, "Age of the oldest unpublished outbox row (0 when none)",
                                value=max(age for _count, age in readings))


OUTBOX_BACKLOG = OutboxBacklogCollector()
REGISTRY.register(OUTBOX_BACKLOG)
