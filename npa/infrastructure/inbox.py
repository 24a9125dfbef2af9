"""Idempotent consumption: an event's id and its entity's version are recorded in the
same transaction as the event's effect, so a redelivery or a stale update does nothing."""

from datetime import datetime

from sqlmodel import Field, Session, SQLModel

from npa.contracts.envelope import CloudEvent
from npa.infrastructure.outbox import utcnow


class InboxEvent(SQLModel, table=True):
    __tablename__ = "inbox"

    event_id: str = Field(primary_key=True, max_length=64)
    topic: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    processed_at: datetime = Field(default_factory=utcnow)


class EntityVersion(SQLModel, table=True):
    __tablename__ = "entity_versions"

    entity: str = Field(primary_key=True, max_length=300)
    version: int


def record_first_delivery(session: Session, topic: str, event: CloudEvent) -> bool:
    """True the first time this event id is seen; the primary key makes it race-proof."""
    if session.get(InboxEvent, event.id) is not None:
        return False
    session.add(InboxEvent(event_id=event.id, topic=topic, event_type=event.type))
    return True


def advance_version(session: Session, entity: str, version: int) -> bool:
    """True when `version` is newer than what was applied for `entity`, and records it."""
    current = session.get(EntityVersion, entity)
    if current is None:
        session.add(EntityVersion(entity=entity, version=version))
        return True
    if version <= current.version:
        return False
    current.version = version
    session.add(current)
    return True
