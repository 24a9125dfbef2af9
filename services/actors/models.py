"""Tables of the actors service."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from npa.infrastructure.inbox import EntityVersion, InboxEvent  # noqa: F401  (migrated here too)
from npa.infrastructure.outbox import OutboxMessage, utcnow  # noqa: F401


class Actor(SQLModel, table=True):
    __tablename__ = "actors"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    version: int = 1
    name: str = Field(max_length=200, index=True)
    kind: str = Field(max_length=40, index=True)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = Field(default="", max_length=5000)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    website: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=5)
    is_multiplier: bool = False
    active: bool = Field(default=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
