"""Read models of the reports service: one row per entity with its current state, and the
counts kept from them (ADR 12), which every report, page and CSV reads.

Fed only from the bus (event-carried state transfer); `version` is the entity's version
that the row reflects. Counted tables are changed by increments in SQL (`x = x + change`),
never by read-modify-write, so replicas on other partitions can count into the same row.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.editor_revocations import EditorRevocation  # noqa: F401  (ended editor sessions, ADR 21)
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
    published_at: datetime | None = Field(default=None, index=True, description="first time seen published")
    updated_at: datetime = Field(default_factory=utcnow, index=True, description="newest event time applied")


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
    updated_at: datetime = Field(default_factory=utcnow, index=True, description="newest event time applied")


class StateTransition(SQLModel, table=True):
    """Every applied offer or example event with the entity's state after it, for audits and
    to rebuild the monthly counts; pruned after NPA_REPORTS_HISTORY_RETENTION_DAYS (the trends
    read `monthly_trends`). Keyed by event id, so a replay adds nothing twice."""

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
    updated_at: datetime = Field(default_factory=utcnow, index=True)


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
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class NotificationCount(SQLModel, table=True):
    """Alerts sent and failed per field of action, counted once per event (the inbox dedupes),
    and the active subscriptions that want the field (one with no field wants every field)."""

    __tablename__ = "notification_counts"

    field: str = Field(primary_key=True, max_length=40)
    sent: int = 0
    failed: int = 0
    active_subscriptions: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class CoverageCount(SQLModel, table=True):
    """Active offers, actors and good examples per area × field (areas and `alle` in
    services/reports/domain/counts.py)."""

    __tablename__ = "coverage_counts"

    area: str = Field(primary_key=True, max_length=40, description="district key, ARL region, Niedersachsen, landesweit, gesamt")
    field: str = Field(primary_key=True, max_length=40, description="field slug or alle")
    active_offers: int = 0
    women_only_offers: int = 0
    childcare_offers: int = 0
    free_offers: int = 0
    actors: int = 0
    multipliers: int = 0
    initiatives: int = 0
    examples: int = 0


class LanguageCount(SQLModel, table=True):
    """Active offers per home area (district or landesweit) × field × language; a language shows
    while its count is above 0, and regions and the state take the union of their districts'."""

    __tablename__ = "coverage_languages"

    area: str = Field(primary_key=True, max_length=40)
    field: str = Field(primary_key=True, max_length=40)
    language: str = Field(primary_key=True, max_length=20)
    active_offers: int = 0


class NewOfferCount(SQLModel, table=True):
    """Active offers per home area (district or landesweit) × field by the UTC day of their first
    publication: the last 30 days' sum plus the boundary day's offers read exactly give "new".
    Days past the window are pruned."""

    __tablename__ = "new_offer_counts"

    area: str = Field(primary_key=True, max_length=40)
    field: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True, index=True)
    active_offers: int = 0


class PublicationCount(SQLModel, table=True):
    """Offers and good examples first published per calendar year (Europe/Berlin)."""

    __tablename__ = "publication_counts"

    kind: str = Field(primary_key=True, max_length=10, description="offer or example")
    year: int = Field(primary_key=True)
    published: int = 0


class ActorContribution(SQLModel, table=True):
    """Per actor: offers (provider) and good examples ever published, and offers active now."""

    __tablename__ = "actor_contributions"

    actor_id: str = Field(primary_key=True, max_length=64)
    offers_published: int = 0
    offers_active: int = 0
    examples_published: int = 0


class MonthlyTrend(SQLModel, table=True):
    """Per kind, month (Europe/Berlin), area (district, ARL region or Niedersachsen with
    state-wide items) and series (field or alle): the change of the active count at the
    month's end, and the offers first published and ended in it."""

    __tablename__ = "monthly_trends"

    kind: str = Field(primary_key=True, max_length=10)
    month: str = Field(primary_key=True, max_length=7, description="2026-03")
    area: str = Field(primary_key=True, max_length=40)
    field: str = Field(primary_key=True, max_length=40)
    active_change: int = 0
    new_offers: int = 0
    ended_offers: int = 0
