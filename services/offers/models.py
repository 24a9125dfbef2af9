"""Tables of the offers service."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
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


# PostgreSQL's full-text index over the search tokens (below, in Offer). SQLite instead has the
# FTS5 table `offers_fts` over `offers.search_text`, kept in step by triggers; SQLAlchemy cannot
# describe a virtual table, so revision 0004 runs this DDL (again after any rebuild of `offers`).
SEARCH_VECTOR = "to_tsvector('german', search_text)"
SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE offers_fts USING fts5(search_text, content='offers', detail=none,"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER offers_fts_insert AFTER INSERT ON offers BEGIN"
    " INSERT INTO offers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER offers_fts_delete AFTER DELETE ON offers BEGIN"
    " INSERT INTO offers_fts(offers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER offers_fts_update AFTER UPDATE OF search_text ON offers"
    " WHEN old.search_text IS NOT new.search_text BEGIN"
    " INSERT INTO offers_fts(offers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);"
    " INSERT INTO offers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "INSERT INTO offers_fts(offers_fts) VALUES ('rebuild')",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS offers_fts_update",
    "DROP TRIGGER IF EXISTS offers_fts_delete",
    "DROP TRIGGER IF EXISTS offers_fts_insert",
    "DROP TABLE IF EXISTS offers_fts",
)


class Offer(SQLModel, table=True):
    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("partner_id", "external_id", name="uq_offers_partner_external"),
        Index("ix_offers_status_created", "status", "created_at", "id"),
        Index("ix_offers_search_vector", text(SEARCH_VECTOR), postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

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
    # Derived from `body` for the search (domain.search.search_columns; usecases.search fills them
    # on every write): normalised tokens, lists as " a b " for LIKE '% a %', flags, place.
    search_title: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    search_fields: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    search_languages: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    search_target_groups: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    city_key: str | None = Field(default=None, max_length=100, index=True)
    postcode: str | None = Field(default=None, max_length=5, index=True)
    provider_actor_id: str | None = Field(default=None, max_length=64, index=True)
    women_only: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    childcare: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    free: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


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
    search_name: str = Field(default="", max_length=400, sa_column_kwargs={"server_default": ""})  # " tokens "
