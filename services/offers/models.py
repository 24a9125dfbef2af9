"""Tables of the offers service."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from npa.contracts.envelope import new_id  # noqa: F401  (ids of partners, keys, offers, examples)
from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401


class Partner(SQLModel, table=True):
    __tablename__ = "partners"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    actor_id: str = Field(max_length=36)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class PartnerKey(SQLModel, table=True):
    """A partner's API key, stored only as its SHA-256. Rotation adds a key and gives the old
    ones an expiry, so a partner's systems can switch over without downtime."""

    __tablename__ = "partner_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    partner_id: str = Field(foreign_key="partners.id", max_length=36, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class Offer(SQLModel, table=True):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("partner_id", "external_id", name="uq_offers_partner_external"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = 1
    status: str = Field(max_length=20, index=True)
    title: str = Field(max_length=200)
    district: str | None = Field(default=None, max_length=5, index=True)
    ends_on: date | None = Field(default=None, index=True)  # copy of body["ends_on"], for the expiry scheduler
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    partner_id: str | None = Field(default=None, max_length=36, index=True)
    external_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Example(SQLModel, table=True):
    """A good example ("Gutes Beispiel"), curated by editors: draft → published → withdrawn."""

    __tablename__ = "examples"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = 1
    status: str = Field(max_length=20, index=True)
    title: str = Field(max_length=200)
    district: str | None = Field(default=None, max_length=5, index=True)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class KnownActor(SQLModel, table=True):
    """This service's copy of the actor registry, from `npa.actors.v1`, to check providers."""

    __tablename__ = "known_actors"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    active: bool = True
