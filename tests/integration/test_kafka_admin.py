"""kafka-python's admin client against a broker it cannot reach (a closed port, a port that
accepts and never answers) and against the real one: a failed start leaves no IO thread (and so
no selector and connections it would keep) behind, in the client itself and in the two places
that open one while Kafka may be down (the consumer-lag read, `ensure_topics`).

Open sockets are not counted: pytest's log capture keeps kafka-python's error records, whose
tracebacks hold the sockets of failed connects until the test ends (with the capture off and the
fix in, none was left after a garbage collection)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kafka.errors import KafkaError

from npa.contracts import topics
from npa.infrastructure.consumer_lag import LagReader
from npa.infrastructure.kafka_admin import AdminClient
from npa.infrastructure.topics_admin import ensure_topics
from tests.support.processes import free_port, silent_broker


def kafka_io_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name.startswith("kafka-io-")}


def settled(check, seconds: float = 5.0) -> bool:  # noqa: ANN001
    """A thread being joined may take a moment to end."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextmanager
def nothing_left_behind() -> Iterator[None]:
    threads = kafka_io_threads()
    yield
    assert settled(lambda: kafka_io_threads() <= threads), sorted(t.name for t in kafka_io_threads() - threads)


def test_an_admin_client_that_cannot_reach_the_broker_leaves_nothing_running() -> None:
    with nothing_left_behind():
        for _ in range(3):
            with pytest.raises(KafkaError):
                AdminClient(bootstrap_servers=f"127.0.0.1:{free_port()}", client_id="npa-test-closed-port",
                            request_timeout_ms=500, bootstrap_timeout_ms=500)


def test_an_admin_client_whose_broker_never_answers_leaves_nothing_running() -> None:
    with silent_broker() as bootstrap, nothing_left_behind():
        for _ in range(2):
            with pytest.raises(KafkaError):
                AdminClient(bootstrap_servers=bootstrap, client_id="npa-test-silent",
                            request_timeout_ms=500, bootstrap_timeout_ms=500)


def test_lag_reads_while_kafka_is_down_leave_nothing_running() -> None:
    # Each read behind a scrape opens a client afresh after a failure (as after a broker restart).
    reader = LagReader(f"127.0.0.1:{free_port()}", request_timeout_ms=500)
    with nothing_left_behind():
        for _ in range(3):
            with pytest.raises(KafkaError):
                reader.read({"reports": [topics.OFFERS]})
    reader.close()


def test_ensure_topics_waiting_for_a_broker_that_does_not_come_leaves_nothing_running() -> None:
    started = time.monotonic()
    with nothing_left_behind():
        with pytest.raises(KafkaError):
            ensure_topics(f"127.0.0.1:{free_port()}", 1, wait_seconds=1.0)
    assert time.monotonic() - started < 10  # kafka-python alone would bootstrap for 30 s


def test_an_admin_client_of_the_real_broker_works_and_its_close_stops_its_thread(kafka_bootstrap) -> None:  # noqa: ANN001
    with nothing_left_behind():
        admin = AdminClient(bootstrap_servers=kafka_bootstrap, client_id="npa-test-admin")
        try:
            assert any(thread.name == "kafka-io-npa-test-admin" for thread in kafka_io_threads())
            assert isinstance(admin.list_topics(), list)
        finally:
            admin.close()
