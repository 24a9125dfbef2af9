"""Tables of the notifications service. E-mail addresses live here and nowhere else."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401
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
    confirmation_requested_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None

    def preferences(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in domain.PREFERENCE_NAMES}


class ItemSnapshot(SQLModel, table=True):
    """An announced item (offer, example) as its event carried it, rendered into every
    delivery for that event; kept for every published item so digests can use it later."""

    __tablename__ = "item_snapshots"

    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    item_id: str = Field(max_length=64, index=True)
    item_version: int | None = None
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One mail to one subscriber about one event (or one confirmation request).

    The unique (subscription_id, event_id) pair is the last guard of "one e-mail per
    subscriber and event", behind the inbox. `next_attempt_at` is both the retry time and
    the lease a sender takes while it sends, so replicas never send the same row twice.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscriptions.id", max_length=36, index=True)
    kind: str = Field(default=domain.ALERT, max_length=20)
    event_id: str = Field(max_length=64, index=True)
    event_type: str = Field(max_length=200)
    item_id: str = Field(max_length=64)
    status: str = Field(default=domain.DELIVERY_PENDING, max_length=10)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
