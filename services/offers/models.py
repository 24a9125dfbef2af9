"""Tables of the offers service."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401


def new_id() -> str:
    return str(uuid.uuid4())


class Partner(SQLModel, table=True):
    __tablename__ = "partners"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    actor_id: str = Field(max_length=36)
    api_key_hash: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Offer(SQLModel, table=True):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("partner_id", "external_id", name="uq_offers_partner_external"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = 1
    status: str = Field(max_length=20, index=True)
    title: str = Field(max_length=200)
    district: str | None = Field(default=None, max_length=5, index=True)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    partner_id: str | None = Field(default=None, max_length=36, index=True)
    external_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class KnownActor(SQLModel, table=True):
    """This service's copy of the actor registry, from `npa.actors.v1`, to check providers."""

    __tablename__ = "known_actors"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    active: bool = True
