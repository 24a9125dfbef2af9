"""Transactional outbox: an event is stored in the same transaction as the state change that
it announces; the relay (npa.infrastructure.relay) publishes pending rows to Kafka in order.

`stage` and `stage_many` are the only ways a service writes an event.
"""

import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Dialect, Index, LargeBinary, delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from npa.contracts.envelope import CloudEvent, encode, new_event
from npa.infrastructure.prepared import Prepared


def utcnow() -> datetime:
    return datetime.now(UTC)


PENDING = "published_at IS NULL"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    # The relay's `published_at IS NULL ORDER BY id LIMIT n`: the pending rows in id order from
    # an index of only those. Without it PostgreSQL walked the primary key through every row
    # published within the retention, or sorted the whole backlog, on each round (revision
    # "outbox pending index" of every service, ADR 9 section of 2026-12-02).
    __table_args__ = (Index("ix_outbox_pending", "id", postgresql_where=text(PENDING), sqlite_where=text(PENDING)),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=300)
    event_type: str = Field(max_length=200)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)


@functools.cache
def _insert(dialect: Dialect) -> Prepared:
    """Through Prepared (npa/infrastructure/prepared.py): SQLAlchemy's per-row parameter
    processing of the outbox rows was 7 % of the offers process at batch 500 (ADR 9)."""
    return Prepared.of(insert(OutboxMessage.__table__), dialect,  # type: ignore[attr-defined]
                       columns=("event_id", "topic", "key", "event_type", "payload", "created_at", "attempts"))


def _row(topic: str, event: CloudEvent, now: datetime) -> dict:
    return {"event_id": event.id, "topic": topic, "key": event.subject, "event_type": event.type,
            "payload": encode(event), "created_at": now, "attempts": 0}


def stage(session: Session, topic: str, *, source: str, type: str, subject: str, data: dict) -> CloudEvent:
    """Stage a new event about `subject`; it is published only if the caller's transaction commits."""
    event = new_event(source=source, type=type, subject=subject, data=data)
    stage_many(session, topic, [event])
    return event


STAGED = "npa_staged_events"  # in Session.info: this transaction staged events (the relay has work after it)


def stage_many(session: Session, topic: str, events: Iterable[CloudEvent]) -> int:
    """Stage built events in one multi-row insert; they leave in the order given."""
    now = utcnow()
    rows = [_row(topic, event, now) for event in events]
    if rows:
        _insert(session.get_bind().dialect).run(session, rows)
        session.info[STAGED] = True
    return len(rows)


def staged_in(session: Session) -> bool:
    """Whether the session's transaction staged events; asked once, after its commit."""
    return bool(session.info.pop(STAGED, False))


def prune_published(session: Session, older_than: timedelta, limit: int = 5000) -> int:
    """Delete up to `limit` rows published longer ago than the retention; returns how many."""
    cutoff = utcnow() - older_than
    oldest = (select(OutboxMessage.id).where(OutboxMessage.published_at < cutoff)  # type: ignore[operator]
              .order_by(OutboxMessage.id).limit(limit))
    result = session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(oldest.scalar_subquery())))  # type: ignore[union-attr]
    return result.rowcount or 0


def backlog(engine: Engine) -> tuple[int, float]:
    """Pending rows and the age in seconds of the oldest (0 when none), for the gauges in
    metrics.OutboxBacklogCollector, which reads them when Prometheus scrapes."""
    with Session(engine) as session:
        count, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.published_at.is_(None)  # type: ignore[union-attr]
            )
        ).one()
    if oldest is None:
        return count, 0.0
    if oldest.tzinfo is None:  # SQLite returns naive datetimes; they were written in UTC
        oldest = oldest.replace(tzinfo=UTC)
    return count, max(0.0, (utcnow() - oldest).total_seconds())
