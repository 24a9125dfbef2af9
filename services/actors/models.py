"""Tables of the actors service.

An actor's districts and fields live in their own tables (one row per pair) so the directory
filters in SQL with indexes; `sort_name` and `search_text` are folded copies of the name and
description for ordering and case-insensitive search on SQLite and PostgreSQL alike. All of
them are written only by `store.write_state`.
"""

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.audit import AuditEntry  # noqa: F401  (migrated here too)
from npa.infrastructure.editor_revocations import EditorRevocation  # noqa: F401  (ended editor sessions, ADR 21)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401
from npa.infrastructure.throttle import ThrottleCount  # noqa: F401  (sign-in attempts)


class Actor(SQLModel, table=True):
    __tablename__ = "actors"
    # Directory order, for active actors (the usual listing) and for all of them.
    __table_args__ = (
        Index("ix_actors_active_sort_name_id", "active", "sort_name", "id"),
        Index("ix_actors_sort_name_id", "sort_name", "id"),
    )

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    version: int = 1
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40, index=True)
    description: str = Field(default="", max_length=5000)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    website: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=5)
    is_multiplier: bool = False
    active: bool = True
    sort_name: str = Field(default="", max_length=400)
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ActorDistrict(SQLModel, table=True):
    """A district an actor serves; an actor without rows here works state-wide."""

    __tablename__ = "actor_districts"
    __table_args__ = (Index("ix_actor_districts_district_actor_id", "district", "actor_id"),)

    actor_id: str = Field(foreign_key="actors.id", primary_key=True, max_length=36)
    district: str = Field(primary_key=True, max_length=5)


class ActorField(SQLModel, table=True):
    __tablename__ = "actor_fields"
    __table_args__ = (Index("ix_actor_fields_field_actor_id", "field", "actor_id"),)

    actor_id: str = Field(foreign_key="actors.id", primary_key=True, max_length=36)
    field: str = Field(primary_key=True, max_length=20)


class EditorAccount(SQLModel, table=True):
    """An editor of the alliance office (ADR 21): created with `npa-editors create`, signs in on
    this service's sign-in page; the password only as its argon2id hash."""

    __tablename__ = "editor_accounts"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    login: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=150)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None
