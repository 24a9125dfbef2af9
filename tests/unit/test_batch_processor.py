"""The batch processor on a real SQLite database: a batch is applied in one transaction, each
event once, stale versions dropped, order kept, and a poison message parked while the rest of
its batch is applied."""

import asyncio

import pytest
from pydantic import BaseModel
from sqlmodel import Field, Session, SQLModel, select

from npa.contracts.envelope import encode, new_event
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.consumer import BatchProcessor, RawRecord, RejectedEvent, RetryPolicy, bind, each_valid
from npa.infrastructure.database import make_engine
from npa.infrastructure.inbox import EntityVersion, InboxEvent
from npa.infrastructure.outbox import OutboxMessage, stage_many


class Effect(SQLModel, table=True):
    __tablename__ = "test_batch_effects"
    id: int | None = Field(default=None, primary_key=True)
    subject: str
    version: int
    run: int  # which handler call wrote it


class Change(BaseModel):
    version: int
    title: str


@pytest.fixture
def engine(tmp_path):  # noqa: ANN001, ANN201
    engine = make_engine(f"sqlite:///{tmp_path}/batch.db")
    SQLModel.metadata.create_all(engine, tables=[InboxEvent.__table__, EntityVersion.__table__, Effect.__table__])
    yield engine
    engine.dispose()


class DeadLetters(list):
    async def __call__(self, topic, key, body, headers):  # noqa: ANN001, ANN204
        self.append((topic, key, body, headers))


class Recorder:
    """A batch handler that validates every event and refuses titles starting with 'poison'."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, session: Session, events: list) -> None:
        self.calls.append([event.id for event in events])
        for event, change in each_valid(events, Change):
            if change.title.startswith("poison"):
                raise RejectedEvent(f"data.title: {change.title!r} is refused", event)
            session.add(Effect(subject=event.subject, version=change.version, run=len(self.calls)))


def record(subject: str, version: int, title: str = "ok", offset: int = 0, event=None):  # noqa: ANN001, ANN201
    event = event or new_event(source="/t", type="t.changed", subject=subject, data={"version": version, "title": title})
    return RawRecord(subject.encode(), encode(event), offset), event


def processor(engine, dead_letters, handler, attempts: int = 3) -> BatchProcessor:  # noqa: ANN001
    return BatchProcessor("test", engine, bind({"t.changed": handler}), dead_letters,
                          RetryPolicy(max_attempts=attempts, backoff=Backoff(0.001, 0.01)))


def effects(engine) -> list[tuple[str, int]]:  # noqa: ANN001
    with Session(engine) as session:
        return [(row.subject, row.version) for row in session.exec(select(Effect).order_by(Effect.id))]


async def test_a_batch_with_a_repeat_a_stale_version_and_a_poison_message_in_the_middle(engine) -> None:  # noqa: ANN001
    dead_letters, handler = DeadLetters(), Recorder()
    consumer = processor(engine, dead_letters, handler)
    earlier, earlier_event = record("a", 5, offset=0)
    assert await consumer.process_batch("topic", 3, [earlier]) == {"applied": 1}

    batch = [
        record("a", 6, offset=1)[0],
        record("b", 1, offset=2)[0],
        RawRecord(b"a", earlier.value, 3),  # the same event again (redelivered)
        record("a", 4, offset=4)[0],  # older than what was applied: stale
        record("c", 1, "poison pill", offset=5)[0],
        RawRecord(b"x", b"{not json", 6),
        record("b", 2, offset=7)[0],
    ]
    batch.insert(3, RawRecord(batch[1].key, batch[1].value, 3))  # b v1 twice in the same batch
    outcomes = await consumer.process_batch("topic", 3, batch)

    assert outcomes == {"applied": 3, "duplicate": 2, "stale": 1, "dead_lettered": 2}
    assert effects(engine) == [("a", 5), ("a", 6), ("b", 1), ("b", 2)]  # each once, in partition order
    reasons = {headers["npa-dlq-origin-offset"]: headers["npa-dlq-reason"] for *_, headers in dead_letters}
    assert reasons["5"] == "data.title: 'poison pill' is refused"
    assert "body is not JSON" in reasons["6"]
    assert {topic for topic, *_ in dead_letters} == {"topic.dlq"}
    with Session(engine) as session:  # the parked event left nothing behind; its neighbours are recorded
        assert session.get(EntityVersion, "topic:c") is None
        assert session.get(EntityVersion, "topic:a").version == 6
        assert session.get(EntityVersion, "topic:b").version == 2
    # The good events of the batch were applied together, without the poison message.
    assert len(handler.calls[-1]) == 3


async def test_without_a_dead_letter_publisher_a_poison_message_is_reported_as_not_applied(engine, caplog) -> None:  # noqa: ANN001
    """A replay of what a live consumer consumed: that consumer parked the message already."""
    consumer = processor(engine, None, Recorder())
    batch = [record("a", 1, offset=0)[0], record("c", 1, "poison pill", offset=1)[0], RawRecord(b"x", b"{", 2)]
    with caplog.at_level("WARNING", logger="npa.infrastructure.consumer.processor"):
        assert await consumer.process_batch("topic", 3, batch) == {"applied": 1, "not_applied": 2}
    assert effects(engine) == [("a", 1)]
    said = [entry.getMessage() for entry in caplog.records]
    assert said[0].startswith("not applied unknown from topic:3@2 (a live consumer parks it on topic.dlq): ")
    assert said[1] == "not applied t.changed from topic:3@1 (a live consumer parks it on topic.dlq): " \
                      "data.title: 'poison pill' is refused"
    assert not any("dead-lettered" in line for line in said)


async def test_a_failure_that_names_no_event_is_found_by_bisecting(engine) -> None:  # noqa: ANN001
    def strict(session: Session, events: list) -> None:
        for event in events:
            Change.model_validate(event.data)  # raises a ValidationError naming no event
            session.add(Effect(subject=event.subject, version=event.data["version"], run=0))

    dead_letters = DeadLetters()
    consumer = processor(engine, dead_letters, strict)
    batch = [record(f"s{n}", 1, offset=n)[0] for n in range(8)]
    bad = new_event(source="/t", type="t.changed", subject="s5", data={"version": "five", "title": "x"})
    batch[5] = RawRecord(b"s5", encode(bad), 5)
    assert await consumer.process_batch("topic", 0, batch) == {"applied": 7, "dead_lettered": 1}
    assert [subject for subject, _ in effects(engine)] == ["s0", "s1", "s2", "s3", "s4", "s6", "s7"]
    assert dead_letters[0][3]["npa-dlq-reason"].startswith("data.version:")


async def test_a_transient_failure_retries_the_whole_batch(engine) -> None:  # noqa: ANN001
    attempts = []

    def flaky(session: Session, events: list) -> None:
        attempts.append(len(events))
        if len(attempts) < 3:
            raise ConnectionError("database went away")
        for event in events:
            session.add(Effect(subject=event.subject, version=event.data["version"], run=len(attempts)))

    consumer = processor(engine, DeadLetters(), flaky, attempts=5)
    assert await consumer.process_batch("topic", 0, [record(f"t{n}", 1)[0] for n in range(4)]) == {"applied": 4}
    assert attempts == [4, 4, 4]
    with Session(engine) as session:  # the failed attempts left no inbox rows behind
        assert len(session.exec(select(InboxEvent)).all()) == 4


async def test_an_unreachable_database_is_waited_for_not_given_up(engine, monkeypatch) -> None:  # noqa: ANN001
    calls = []

    def always_failing(session: Session, events: list) -> None:
        calls.append(1)
        raise RuntimeError("fails whatever the database's state")

    reachable = [False, False, True]

    async def database_reachable() -> bool:
        return reachable.pop(0)

    dead_letters = DeadLetters()
    consumer = BatchProcessor("test", engine, bind({"t.changed": always_failing}), dead_letters,
                              RetryPolicy(max_attempts=2, backoff=Backoff(0.001, 0.001)))
    monkeypatch.setattr(consumer, "_database_reachable", database_reachable)
    outcome = await asyncio.wait_for(consumer.process("topic", b"k", record("k", 1)[0].value), 5)
    # Two outages kept it waiting; once the database answered, the event was given up as a bug.
    assert outcome == "dead_lettered" and len(calls) == 4 and reachable == []
    assert "gave up after 2 attempts" in dead_letters[0][3]["npa-dlq-reason"]


async def test_a_database_error_that_may_pass_keeps_the_event_waiting_not_parked(tmp_path, caplog) -> None:  # noqa: ANN001
    """A table not migrated yet (as disk full or a lock held too long: an OperationalError from a
    database that answers) is no fault of the event: parking it would park every event behind
    it too. The batch is bisected, the first event waits, and all are applied once the table is there."""
    engine = make_engine(f"sqlite:///{tmp_path}/unmigrated.db")
    SQLModel.metadata.create_all(engine, tables=[InboxEvent.__table__, EntityVersion.__table__])
    calls = []

    def writing(session: Session, events: list) -> None:
        calls.append(len(events))
        for event in events:
            session.add(Effect(subject=event.subject, version=event.data["version"], run=len(calls)))

    dead_letters = DeadLetters()
    consumer = processor(engine, dead_letters, writing, attempts=2)
    applying = asyncio.create_task(consumer.process_batch("topic", 0, [record(f"m{n}", 1, offset=n)[0] for n in range(3)]))
    while len(calls) < 8:
        await asyncio.sleep(0.005)
    assert not applying.done() and dead_letters == []
    await asyncio.to_thread(SQLModel.metadata.create_all, engine, tables=[Effect.__table__])
    assert await asyncio.wait_for(applying, 10) == {"applied": 3}
    assert dead_letters == [] and sorted(subject for subject, _ in effects(engine)) == ["m0", "m1", "m2"]
    assert calls[:2] == [3, 3] and calls[2] == 1, calls  # two tries of the batch, then bisected
    assert "t.changed from topic:0 keeps failing with OperationalError" in caplog.text
    assert "no such table: test_batch_effects" in caplog.text
    engine.dispose()


def test_batches_are_sized_to_the_time_a_transaction_should_take() -> None:
    from npa.infrastructure.consumer.loop import BatchSizer

    sizer = BatchSizer(max_batch=500, seconds=0.2)
    assert sizer.size("cheap") == 500  # nothing known yet: as many as allowed
    sizer.observe("cheap", 500, 0.1)  # 0.2 ms a record
    assert sizer.size("cheap") == 500
    sizer.observe("costly", 10, 1.0)  # 100 ms a record: two per transaction
    assert sizer.size("costly") == 2
    for _ in range(20):
        sizer.observe("costly", 2, 2.0)  # one second a record: one at a time, never none
    assert sizer.size("costly") == 1
    for _ in range(20):
        sizer.observe("costly", 1, 0.002)  # cheaper again: it grows back
    assert sizer.size("costly") > 50


async def test_the_caller_learns_after_each_commit_whether_events_were_staged(tmp_path) -> None:  # noqa: ANN001
    """The runtime wakes the outbox relay only after a transaction that staged events."""
    engine = make_engine(f"sqlite:///{tmp_path}/staged.db")
    SQLModel.metadata.create_all(engine, tables=[InboxEvent.__table__, EntityVersion.__table__,
                                                 OutboxMessage.__table__])
    commits: list[bool] = []

    def announce_some(session: Session, events: list) -> None:
        stage_many(session, "npa.out.v1", [new_event(source="/t", type="t.said", subject=event.subject, data={})
                                           for event in events if event.data["title"] == "announce"])

    consumer = BatchProcessor("test", engine, bind({"t.changed": announce_some}), DeadLetters(),
                              RetryPolicy(max_attempts=1, backoff=Backoff(0.001, 0.01)), after_commit=commits.append)
    await consumer.process_batch("topic", 0, [record("a", 1, "quiet")[0]])
    await consumer.process_batch("topic", 0, [record("b", 1, "announce")[0], record("c", 1, "quiet")[0]])
    await consumer.process_batch("topic", 0, [record("d", 1, "quiet")[0]])
    assert commits == [False, True, False]
    engine.dispose()
