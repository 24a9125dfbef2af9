"""Tables that grow with traffic are pruned: published outbox rows and inbox rows past their
retention go, pending rows never, and what deduplication needs within the retention stays."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, select

from npa.contracts.envelope import encode, new_event
from npa.infrastructure import inbox, outbox
from npa.infrastructure.backoff import Backoff
from npa.infrastructure.consumer import BatchProcessor, RetryPolicy, bind
from npa.infrastructure.database import make_engine
from npa.infrastructure.inbox import EntityVersion, InboxEvent
from npa.infrastructure.outbox import OutboxMessage, stage_many, utcnow
from npa.infrastructure.periodic import sweep


class Applied(SQLModel, table=True):
    __tablename__ = "test_retention_applied"
    id: int | None = Field(default=None, primary_key=True)
    subject: str


def applied(session: Session, events: list) -> None:
    for event in events:
        session.add(Applied(subject=event.subject))


async def ignore(*_args) -> None:  # noqa: ANN002
    raise AssertionError("nothing is dead-lettered here")


def age(engine, table, column: str, key_column: str, keys: list, hours: float) -> None:  # noqa: ANN001
    with Session(engine) as session:
        session.execute(update(table).where(getattr(table.c, key_column).in_(keys))
                        .values({column: utcnow() - timedelta(hours=hours)}))
        session.commit()


async def test_pruning_keeps_what_deduplication_needs(database_url) -> None:  # noqa: ANN001
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine, tables=[InboxEvent.__table__, EntityVersion.__table__,
                                                 OutboxMessage.__table__, Applied.__table__])
    try:
        consumer = BatchProcessor("svc", engine, bind({"t.changed": applied}), ignore,
                                  RetryPolicy(3, Backoff(0.001, 0.01)))
        old, recent = (new_event(source="/t", type="t.changed", subject=subject, data={"version": 1})
                       for subject in ("old", "recent"))
        unversioned = new_event(source="/t", type="t.changed", subject="counter", data={})
        for event in (old, recent, unversioned):
            assert await consumer.process("t", b"k", encode(event)) == "applied"
        age(engine, InboxEvent.__table__, "processed_at", "event_id", [old.id, unversioned.id], hours=200)

        published = [new_event(source="/t", type="t.changed", subject=f"p{n}", data={}) for n in range(3)]
        with Session(engine) as session:
            stage_many(session, "t", published)
            session.commit()
        with Session(engine) as session:
            rows = {row.event_id: row.id for row in session.exec(select(OutboxMessage))}
        age(engine, OutboxMessage.__table__, "published_at", "event_id", [published[0].id, published[1].id], 48)
        age(engine, OutboxMessage.__table__, "created_at", "event_id", [published[2].id], 48)  # old, still pending

        assert sweep(engine, lambda session: outbox.prune_published(session, timedelta(hours=24), limit=1)) == 2
        assert sweep(engine, lambda session: inbox.prune(session, timedelta(hours=168), limit=1)) == 2
        with Session(engine) as session:
            assert [row.event_id for row in session.exec(select(OutboxMessage))] == [published[2].id]
            assert rows[published[2].id]  # the pending row stays however old it is
            assert [row.event_id for row in session.exec(select(InboxEvent))] == [recent.id]
        # Within the retention a redelivery is a repeat; past it, the entity version still stops it.
        assert await consumer.process("t", b"k", encode(recent)) == "duplicate"
        assert await consumer.process("t", b"k", encode(old)) == "stale"
        with Session(engine) as session:
            assert sorted(row.subject for row in session.exec(select(Applied))) == ["counter", "old", "recent"]
    finally:
        engine.dispose()
