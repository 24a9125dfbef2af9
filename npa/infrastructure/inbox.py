"""Idempotent consumption: an event's id and its entity's version are recorded in the same
transaction as the event's effect, so a redelivery or a stale update does nothing.

Checked for a whole batch at once: one query for the ids already seen, one for the versions
already applied, one multi-row insert for each.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Dialect, Table, delete, insert, select
from sqlmodel import Field, Session, SQLModel

from npa.contracts.envelope import CloudEvent
from npa.infrastructure.lookup import Lookup
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.prepared import Prepared

class InboxEvent(SQLModel, table=True):
    __tablename__ = "inbox"

    event_id: str = Field(primary_key=True, max_length=64)
    topic: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    processed_at: datetime = Field(default_factory=utcnow, index=True)


class EntityVersion(SQLModel, table=True):
    __tablename__ = "entity_versions"

    entity: str = Field(primary_key=True, max_length=300)
    version: int


@dataclass
class Admitted:
    """A batch sorted by the inbox: what to apply, and how many were repeats or stale; and
    what `record` writes once the batch was applied."""

    fresh: list[CloudEvent] = field(default_factory=list)
    duplicates: list[CloudEvent] = field(default_factory=list)
    stale: list[CloudEvent] = field(default_factory=list)
    inbox_rows: list[dict] = field(default_factory=list)
    new_versions: list[dict] = field(default_factory=list)
    raised_versions: list[dict] = field(default_factory=list)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def entity_key(topic: str, event: CloudEvent) -> str:
    return f"{topic}:{event.subject}"


_INBOX, _VERSIONS = _table(InboxEvent), _table(EntityVersion)


# Read on the driver's cursor (npa/infrastructure/lookup.py): every batch of every consumer runs
# both, and through SQLAlchemy each cost ~190 µs on the small batches of steady traffic.
@functools.cache
def _seen(dialect: Dialect) -> Lookup:
    return Lookup.of(_INBOX, ("event_id",), "event_id", dialect)


@functools.cache
def _applied(dialect: Dialect) -> Lookup:
    return Lookup.of(_VERSIONS, ("entity", "version"), "entity", dialect)


# Written through Prepared (npa/infrastructure/prepared.py): SQLAlchemy's per-row parameter
# processing of these rows was a fifth of the consumer's SQL time (ADR 9, 2026-11-30 evening).
@functools.cache
def _record_events(dialect: Dialect) -> Prepared:
    return Prepared.of(insert(_INBOX), dialect, columns=("event_id", "topic", "event_type", "processed_at"))


@functools.cache
def _record_versions(dialect: Dialect) -> Prepared:
    return Prepared.of(insert(_VERSIONS), dialect, columns=("entity", "version"))


@functools.cache
def _raise_versions(dialect: Dialect) -> Prepared:
    return Prepared.update_by_key(_VERSIONS, "entity", ("version",), dialect)


def admit(session: Session, topic: str, events: Sequence[CloudEvent]) -> Admitted:
    """Sort a batch (in partition order) into fresh, repeated and stale events; reads only.

    `record` then writes the ids and versions of all but the repeats in the same transaction,
    after the handlers: on SQLite a transaction holds the one write lock from its first write,
    so the reads and the handlers' own reads run beside other partitions' transactions.
    A stale event's id is recorded too, so its next copy is skipped without a version lookup.
    Two replicas applying the same event collide on the inbox's primary key: the loser's
    transaction fails and its retry sees a repeat.
    """
    keys = sorted({entity_key(topic, event) for event in events if event.version is not None})
    return sort(topic, events, seen_ids(session, [event.id for event in events]), stored_versions(session, keys))


def seen_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Which of these event ids the inbox holds."""
    return {event_id for (event_id,) in _seen(session.get_bind().dialect).rows(session, ids)}


def stored_versions(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """The newest applied version of each of these entity keys that has one."""
    return dict(_applied(session.get_bind().dialect).rows(session, keys))


def sort(topic: str, events: Sequence[CloudEvent], seen: set[str], applied: dict[str, int]) -> Admitted:
    """The batch sorted against the ids already `seen` and the versions already `applied`
    (both as stored; the batch's own repeats and older versions are found here)."""
    admitted = Admitted()
    known, seen, applied = set(applied), set(seen), dict(applied)
    now = utcnow()
    inbox_rows, newest = admitted.inbox_rows, {}
    for event in events:
        if event.id in seen:
            admitted.duplicates.append(event)
            continue
        seen.add(event.id)
        inbox_rows.append({"event_id": event.id, "topic": topic, "event_type": event.type, "processed_at": now})
        version = event.version
        if version is not None:
            key = entity_key(topic, event)
            if key in applied and version <= applied[key]:
                admitted.stale.append(event)
                continue
            applied[key] = newest[key] = version
        admitted.fresh.append(event)
    admitted.new_versions = [{"entity": key, "version": version} for key, version in newest.items() if key not in known]
    admitted.raised_versions = [{"key": key, "new_version": version} for key, version in newest.items() if key in known]
    return admitted


def record(session: Session, admitted: Admitted) -> None:
    """Write what `admit` decided: the batch's event ids and its entities' newest versions."""
    dialect = session.get_bind().dialect
    _record_events(dialect).run(session, admitted.inbox_rows)
    _record_versions(dialect).run(session, admitted.new_versions)
    _raise_versions(dialect).run(session, [{"entity": row["key"], "version": row["new_version"]}
                                           for row in admitted.raised_versions])


def prune(session: Session, older_than: timedelta, limit: int = 5000) -> int:
    """Delete up to `limit` inbox rows older than the retention; returns how many.

    An event redelivered after its row is gone is still caught by its version, if it has one.
    """
    cutoff = utcnow() - older_than
    oldest = select(InboxEvent.event_id).where(InboxEvent.processed_at < cutoff).limit(limit)
    result = session.execute(delete(InboxEvent).where(InboxEvent.event_id.in_(oldest.scalar_subquery())))
    return result.rowcount or 0
