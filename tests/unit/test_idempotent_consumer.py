"""The consumer wrapper: one effect per event id, stale versions dropped, bad input parked."""

import pytest
from sqlmodel import Field, Session, SQLModel, select

from npa.contracts.envelope import encode, new_event
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.consumer import BatchProcessor, RejectedEvent, RetryPolicy, bind
from npa.infrastructure.database import make_engine
from npa.infrastructure.inbox import EntityVersion, InboxEvent


class AppliedEffect(SQLModel, table=True):
    __tablename__ = "test_applied_effects"
    id: int | None = Field(default=None, primary_key=True)
    subject: str
    version: int


@pytest.fixture
def engine(tmp_path):  # noqa: ANN001, ANN201
    engine = make_engine(f"sqlite:///{tmp_path}/consumer.db")
    tables = [InboxEvent.__table__, EntityVersion.__table__, AppliedEffect.__table__]
    SQLModel.metadata.create_all(engine, tables=tables)
    return engine


class DeadLetters(list):
    async def __call__(self, topic, key, body, headers):  # noqa: ANN001, ANN204
        self.append((topic, key, body, headers))


def make_consumer(engine, dead_letters, handler=None, attempts=3):  # noqa: ANN001, ANN201
    def record(session: Session, events) -> None:  # noqa: ANN001
        for event in events:
            if event.data.get("reject"):
                raise RejectedEvent("data.reject: refused on purpose", event)
            session.add(AppliedEffect(subject=event.subject, version=event.data["version"]))

    return BatchProcessor("test", engine, bind({"t.changed": handler or record}), dead_letters,
                          RetryPolicy(max_attempts=attempts, backoff=Backoff(0.001, 0.01)))


def effects(engine) -> list[tuple[str, int]]:  # noqa: ANN001
    with Session(engine) as session:
        return [(row.subject, row.version) for row in session.exec(select(AppliedEffect))]


def event(subject="e-1", version=1, **data):  # noqa: ANN001, ANN201
    return encode(new_event(source="/t", type="t.changed", subject=subject, data={"version": version, **data}))


async def test_same_event_three_times_has_one_effect(engine):
    consumer = make_consumer(engine, DeadLetters())
    body = event()
    outcomes = [await consumer.process("topic", b"e-1", body) for _ in range(3)]
    assert outcomes == ["applied", "duplicate", "duplicate"]
    assert effects(engine) == [("e-1", 1)]


async def test_stale_update_is_dropped(engine):
    consumer = make_consumer(engine, DeadLetters())
    assert await consumer.process("topic", b"e-1", event(version=2)) == "applied"
    assert await consumer.process("topic", b"e-1", event(version=1)) == "stale"
    assert await consumer.process("topic", b"e-1", event(version=3)) == "applied"
    assert await consumer.process("topic", b"e-2", event(subject="e-2", version=1)) == "applied"
    assert effects(engine) == [("e-1", 2), ("e-1", 3), ("e-2", 1)]


async def test_malformed_unknown_and_rejected_go_to_the_dlq_with_a_reason(engine):
    dead_letters = DeadLetters()
    consumer = make_consumer(engine, dead_letters)
    assert await consumer.process("topic", b"k", b"{oops", 2, 17) == "dead_lettered"
    unknown = encode(new_event(source="/t", type="t.other", subject="x", data={}))
    assert await consumer.process("topic", b"k", unknown) == "dead_lettered"
    assert await consumer.process("topic", b"k", event(reject=True)) == "dead_lettered"
    reasons = [headers["npa-dlq-reason"] for *_, headers in dead_letters]
    assert "body is not JSON" in reasons[0]
    assert "not a known type" in reasons[1]
    assert reasons[2] == "data.reject: refused on purpose"
    first_topic, first_key, first_body, first_headers = dead_letters[0]
    assert (first_topic, first_key, first_body) == ("topic.dlq", b"k", b"{oops")
    assert first_headers["npa-dlq-origin-partition"] == "2"
    assert first_headers["npa-dlq-origin-offset"] == "17"
    assert effects(engine) == []
    # rejected events are not recorded as processed, so nothing half-applied remains
    with Session(engine) as session:
        assert session.exec(select(InboxEvent)).all() == []


async def test_transient_failures_are_retried_then_dead_lettered(engine):
    calls = []

    def flaky(session, events):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("database away")
        session.add(AppliedEffect(subject=events[0].subject, version=1))

    consumer = make_consumer(engine, DeadLetters(), handler=flaky, attempts=5)
    assert await consumer.process("topic", b"k", event()) == "applied"
    assert len(calls) == 3

    def broken(session, events):  # noqa: ANN001, ANN202
        raise RuntimeError("a bug in the handler")  # a database error that may pass is waited out

    dead_letters = DeadLetters()
    consumer = make_consumer(engine, dead_letters, handler=broken, attempts=2)
    assert await consumer.process("topic", b"k", event(subject="e-9")) == "dead_lettered"
    assert dead_letters[0][3]["npa-dlq-attempts"] == "2"
    assert "gave up after 2 attempts" in dead_letters[0][3]["npa-dlq-reason"]
