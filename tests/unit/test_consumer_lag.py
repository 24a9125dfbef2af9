"""Consumer lag arithmetic, the scrape-time cache (ttl, single flight, timeout, log once) and the
ops view; the reads against the real broker are in tests/integration/test_consumer_lag.py."""

import logging
import threading
import time
from dataclasses import replace

import pytest

from npa.contracts import topics
from npa.infrastructure.consumer import topics_of
from npa.infrastructure.consumer_lag import PLATFORM_GROUPS, LagSnapshot, PartitionLag, partition_lag
from npa.infrastructure.metrics import CachedReading
from npa.infrastructure.settings import load_settings
from services.notifications import handlers as notification_handlers
from services.offers import handlers as offer_handlers
from services.reports import handlers as report_handlers
from services.reports.ops import ops_view


@pytest.mark.parametrize(
    ("committed", "start", "end", "lag"),
    [
        (None, 0, 0, 0),  # empty partition, nothing committed
        (None, 0, 7, 7),  # nothing committed: the group starts at the earliest offset
        (4, 0, 7, 3),
        (7, 0, 7, 0),
        (2, 5, 9, 4),  # committed offset fell out of retention: reading resumes at the start
        (9, 0, 7, 0),  # never negative (end read before the commit)
    ],
)
def test_partition_lag(committed, start, end, lag) -> None:  # noqa: ANN001
    assert partition_lag(committed, start, end) == lag


def test_platform_groups_are_what_the_services_subscribe_to() -> None:
    assert set(PLATFORM_GROUPS["offers"]) == set(topics_of(offer_handlers.HANDLERS))
    assert set(PLATFORM_GROUPS["notifications"]) == set(topics_of(notification_handlers.HANDLERS))
    assert set(PLATFORM_GROUPS["reports"]) == set(topics_of(report_handlers.HANDLERS))


class Counting:
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls = 0
        self.delay = delay
        self.fail = fail

    def __call__(self) -> int:
        self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise ConnectionError("broker away")
        return self.calls


def test_cached_reading_reads_at_most_once_per_ttl() -> None:
    read = Counting()
    reading = CachedReading(read, name="t", ttl=0.3, timeout=1.0)
    assert [reading.get() for _ in range(5)] == [1] * 5
    time.sleep(0.35)
    assert reading.get() == 2
    reading.close()


def test_cached_reading_gives_up_after_timeout_and_never_starts_a_second_read() -> None:
    read = Counting(delay=0.6)
    reading = CachedReading(read, name="slow", ttl=5.0, timeout=0.1)
    started = time.monotonic()
    assert reading.get() is None
    assert time.monotonic() - started < 0.4
    assert reading.get() is None  # still running: awaited, not started again
    assert read.calls == 1
    time.sleep(0.6)
    assert reading.get() == 1  # the slow read finished and its value is used
    reading.close()


def test_cached_reading_failure_gives_nothing_and_is_logged_once(caplog) -> None:  # noqa: ANN001
    read = Counting(fail=True)
    reading = CachedReading(read, name="lag[x]", ttl=5.0, timeout=1.0)
    caplog.set_level(logging.DEBUG, logger="npa.infrastructure.metrics")  # also for the worker thread's lines
    assert reading.get() is None
    assert reading.get() is None  # a failure is not cached: the next scrape tries again
    read.fail = False
    assert reading.get() == 3
    assert read.calls == 3
    deadline = time.monotonic() + 2  # the worker thread may write the recovery line just after get() returned
    while not any("readable again" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.getMessage() for r in caplog.records].count("lag[x]: readable again") == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "broker away" in warnings[0].getMessage()
    assert reading.last_error is None
    reading.close()


def test_cached_reading_close_runs_cleanup_after_the_read_in_flight() -> None:
    order: list[str] = []
    release = threading.Event()

    def read() -> int:
        release.wait(2)
        order.append("read")
        return 1

    reading = CachedReading(read, name="c", ttl=5.0, timeout=0.05, cleanup=lambda: order.append("cleanup"))
    assert reading.get() is None
    reading.close()
    release.set()
    deadline = time.monotonic() + 2
    while len(order) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert order == ["read", "cleanup"]
    assert reading.get() is None  # closed: no new reads


def snapshot() -> LagSnapshot:
    rows = [
        PartitionLag("offers", topics.ACTORS, 0, 3, 0, 5),
        PartitionLag("offers", topics.ACTORS, 1, None, 0, 2),
        PartitionLag("offers", topics.PARTNER_OFFERS, 0, 4, 0, 4),
        PartitionLag("reports", topics.OFFERS, 0, 10, 0, 10),
    ]
    return LagSnapshot(rows, {topics.dead_letter(topics.PARTNER_OFFERS): 2, topics.dead_letter(topics.OFFERS): 0})


def test_ops_view_groups_topics_and_partitions() -> None:
    settings = replace(load_settings("reports"), public_base_urls={
        name: f"https://{name}.example.org" for name in ("actors", "offers", "notifications", "reports")})
    view = ops_view(snapshot(), None, settings)
    assert view["available"] is True
    assert [group["group"] for group in view["groups"]] == ["offers", "notifications", "reports"]
    offers = view["groups"][0]
    assert offers["lag"] == 4 and offers["name"] == "Angebote"
    assert [(t["topic"], t["lag"]) for t in offers["topics"]] == [(topics.ACTORS, 4), (topics.PARTNER_OFFERS, 0)]
    assert offers["topics"][0]["partitions"][1] == {"partition": 1, "committed": None, "start": 0, "end": 2, "lag": 2}
    assert view["groups"][1]["topics"] == [] and view["groups"][1]["lag"] == 0
    assert view["dead_letters"] == [
        {"topic": "npa.offers.v1.dlq", "origin_topic": topics.OFFERS, "messages": 0},
        {"topic": "npa.partner.offers.v1.dlq", "origin_topic": topics.PARTNER_OFFERS, "messages": 2},
    ]
    assert view["outbox"][0] == {"service": "actors", "name": "Akteure",
                                 "metrics_url": "https://actors.example.org/metrics"}


def test_ops_view_without_kafka() -> None:
    view = ops_view(None, "no answer within 5 s", load_settings("reports"))
    assert view["available"] is False and view["error"] == "no answer within 5 s"
    assert view["groups"] == [] and len(view["outbox"]) == 4
