"""Tables of the notifications service. E-mail addresses live here and nowhere else.

The guarantees "one mail per (subscription, event)" and "one digest per (subscription,
period), every item in exactly one digest" are unique constraints here, not only code.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401
from npa.infrastructure.throttle import ThrottleCount  # noqa: F401  (migrated here too)
from services.notifications import domain


def new_id() -> str:
    return str(uuid.uuid4())


_LIVE = text("status != 'cancelled'")


class Subscription(SQLModel, table=True):
    """One mailbox's alert preferences.

    Uniqueness: at most one *live* (pending or active) subscription per normalised
    address, enforced by a partial unique index, so a repeated subscribe request can
    never create a second row, while a cancelled subscription stays as history and the
    same person may subscribe again later (a new row, a new id, so old unsubscribe
    links keep pointing at the cancelled one).

    `requested` holds the preferences of the latest subscribe request until its
    confirmation link is followed: a stranger who types someone else's address can
    neither activate nor change that person's subscription.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("uq_subscriptions_live_email", "email_key", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = 0  # how many states were published; the first `confirmed` carries 1
    email: str = Field(max_length=254)
    email_key: str = Field(max_length=254)
    status: str = Field(default=domain.PENDING, max_length=20, index=True)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    frequency: str = Field(default="immediate", max_length=10, index=True)
    language: str = Field(default="de", max_length=2)
    examples: bool = False
    new_actors: bool = False
    requested: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    request_received_at: datetime | None = None  # of the request whose preferences `requested` holds
    request_consent_version: str | None = Field(default=None, max_length=40)
    confirmation_requested_at: datetime | None = None  # last confirmation mail queued
    cadence_since: datetime | None = None  # the current frequency applies from here: first digest slot after it
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None

    def preferences(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in domain.PREFERENCE_NAMES}


class SubscriptionTarget(SQLModel, table=True):
    """Where an active subscription is filed for matching: one row per (audience, field, area).

    Kept in step with the subscription in the same transaction (confirm, change, cancel,
    erase; usecases.audience.refile), so "who wants an item of fields F in district D?" is one
    range scan of the primary key per (field, frequency, area) (domain.matching), and alerts
    (immediate) and digest items (daily, weekly) are queued straight from the index.
    """

    __tablename__ = "subscription_targets"

    audience: str = Field(primary_key=True, max_length=10)  # offer | example | actor
    field: str = Field(primary_key=True, max_length=20)
    frequency: str = Field(primary_key=True, max_length=10)
    # district key, ARL region, "*" (all of Lower Saxony), and for every subscription also
    # "state-wide items" (domain.STATE_WIDE_ITEMS: the rows an item without a district reads)
    area: str = Field(primary_key=True, max_length=20)
    subscription_id: str = Field(primary_key=True, foreign_key="subscriptions.id", max_length=36, index=True)


class Consent(SQLModel, table=True):
    """What a subscriber agreed to and when: one row per confirmation or change of scope."""

    __tablename__ = "consents"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscriptions.id", max_length=36, index=True)
    scope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    text_version: str = Field(max_length=40)
    requested_at: datetime
    confirmed_at: datetime
    via: str = Field(max_length=20)  # double_opt_in | manage_page


class ItemSnapshot(SQLModel, table=True):
    """Every offer, example and actor event as it arrived: mails are rendered from it, and a
    digest finds an item's newest state here."""

    __tablename__ = "item_snapshots"
    __table_args__ = (Index("ix_item_snapshots_kind_item_version", "item_kind", "item_id", "item_version"),)

    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    item_kind: str | None = Field(default=None, max_length=10)
    item_id: str = Field(max_length=64, index=True)
    item_version: int | None = None
    event_time: datetime | None = None
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    live: bool = True  # domain.is_live of `data`: whether the item still runs in this state (for retention)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class Delivery(SQLModel, table=True):
    """One mail to one subscriber about one event, digest or confirmation request.

    Fan-out writes tens of thousands of these per event, so the table carries only the indexes
    its readers need (the unique pair also serves lookups by subscription) and no foreign key:
    its per-row check took 40 % of the insert time on PostgreSQL (ADR 10).

    The unique (subscription_id, event_id) pair is the last guard of "one e-mail per
    subscriber and event", behind the inbox. `next_attempt_at` is both the retry time and
    the lease a sender takes while it sends; `claim_token` names the round holding it, so a
    round gives back only rows it still holds.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
        Index("ix_deliveries_due", "status", "next_attempt_at", "created_at"),  # the claim's order, no sort
        Index("ix_deliveries_item", "item_id"),  # one key per fan-out on PostgreSQL (deduplicated), ADR 10
        Index("ix_deliveries_created_at", "created_at", postgresql_using="brin"),  # append-only order: a tiny BRIN
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(max_length=36)  # no foreign key, see ADR 10; erasure removes these rows first
    kind: str = Field(default=domain.ALERT, max_length=20)
    event_id: str = Field(max_length=64, index=True)
    event_type: str = Field(max_length=200)
    item_id: str = Field(max_length=64)
    status: str = Field(default=domain.DELIVERY_PENDING, max_length=10)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=1000)
    event_time: datetime | None = None  # of the bus event it answers: start of the event→accept latency
    claim_token: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class Digest(SQLModel, table=True):
    """One daily or weekly digest of one subscription; `entries` is what its mail lists.

    Unique per (subscription, period): building the same period twice, on one replica or
    two, finds the row and builds nothing. An empty digest keeps its row (status `empty`)
    and sends nothing."""

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_key", name="uq_digests_subscription_period"),
        Index("ix_digests_created_at", "created_at", postgresql_using="brin"),  # for retention
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscriptions.id", max_length=36, index=True)
    frequency: str = Field(max_length=10)
    period_key: str = Field(max_length=40)
    status: str = Field(max_length=10)  # queued | empty
    entries: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class DigestItem(SQLModel, table=True):
    """An event a digest subscriber will read about. Unique per (subscription, event), and
    `digest_id` is set exactly once, by the statement that builds the digest: an item
    committed after that statement waits for the next digest."""

    __tablename__ = "digest_items"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_digest_items_subscription_event"),
        Index("ix_digest_items_item", "item_id"),
        Index("ix_digest_items_created_at", "created_at", postgresql_using="brin"),  # for retention
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(max_length=36)  # no foreign key, see ADR 10
    event_id: str = Field(max_length=64)
    item_kind: str = Field(max_length=10)
    item_id: str = Field(max_length=64)
    item_version: int = 0
    change: str = Field(max_length=10)  # new | changed | withdrawn
    changed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    digest_id: str | None = Field(default=None, foreign_key="digests.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow)


class AnonymousCount(SQLModel, table=True):
    """What is left of erased and purged subscriptions: counters, nothing about a person."""

    __tablename__ = "anonymous_counts"

    name: str = Field(primary_key=True, max_length=60)
    value: int = 0
