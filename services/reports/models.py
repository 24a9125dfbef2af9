"""Read models of the reports service: one row per entity with its current state.

Fed only from the bus (event-carried state transfer); `version` is the entity's version
that the row reflects.
"""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401


class OfferFact(SQLModel, table=True):
    __tablename__ = "offer_facts"

    id: str = Field(primary_key=True, max_length=64)
    version: int
    status: str = Field(max_length=20, index=True)
    title: str = Field(default="", max_length=200)
    district: str | None = Field(default=None, max_length=5, index=True, description="null = state-wide")
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    women_only: bool = False
    childcare: bool = False
    costs: str | None = Field(default=None, max_length=200)
    free: bool = False
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    provider_actor_id: str | None = Field(default=None, max_length=64)
    published_at: datetime | None = Field(default=None, description="first time seen published")
    updated_at: datetime = Field(default_factory=utcnow, description="time of the event applied last")


class ExampleFact(SQLModel, table=True):
    __tablename__ = "example_facts"

    id: str = Field(primary_key=True, max_length=64)
    version: int
    status: str = Field(max_length=20, index=True)
    title: str = Field(default="", max_length=200)
    district: str | None = Field(default=None, max_length=5, index=True)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actor_id: str | None = Field(default=None, max_length=64)
    page_url: str | None = Field(default=None, max_length=500, description="the example's public page")
    published_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class StateTransition(SQLModel, table=True):
    """Every applied offer or example event with the entity's state after it: the history
    behind the monthly trends. Keyed by event id, so a replay adds nothing twice."""

    __tablename__ = "state_transitions"

    event_id: str = Field(primary_key=True, max_length=64)
    entity_kind: str = Field(max_length=10, description="offer or example")
    entity_id: str = Field(max_length=64, index=True)
    version: int
    event_type: str = Field(max_length=100)
    status: str = Field(max_length=20)
    district: str | None = Field(default=None, max_length=5)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = Field(index=True, description="the event's time")


class ActorFact(SQLModel, table=True):
    __tablename__ = "actor_facts"

    id: str = Field(primary_key=True, max_length=64)
    version: int
    name: str = Field(default="", max_length=200)
    kind: str = Field(default="", max_length=100)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_multiplier: bool = False
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class SubscriptionFact(SQLModel, table=True):
    """A confirmed subscription's interests; never an e-mail address (none is on the bus)."""

    __tablename__ = "subscription_facts"

    id: str = Field(primary_key=True, max_length=64)
    version: int
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    frequency: str = Field(default="", max_length=20)
    language: str = Field(default="", max_length=10)
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class NotificationCount(SQLModel, table=True):
    """Alerts sent and failed per field of action, counted once per event (the inbox dedupes)."""

    __tablename__ = "notification_counts"

    field: str = Field(primary_key=True, max_length=40)
    sent: int = 0
    failed: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
