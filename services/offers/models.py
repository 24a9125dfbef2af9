"""Tables of the offers service."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from npa.contracts.envelope import new_id  # noqa: F401  (ids of partners, keys, offers, examples)
from npa.infrastructure.audit import AuditEntry  # noqa: F401  (editors' changes, ADR 21)
from npa.infrastructure.editor_revocations import EditorRevocation  # noqa: F401  (ended editor sessions, ADR 21)
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


class PartnerSigningKey(SQLModel, table=True):
    """A partner's Ed25519 public key for signing its messages on the bus (ADR 0013). The id is
    derived from the key (npa.contracts.signatures.key_id_of); a revoked key verifies nothing."""

    __tablename__ = "partner_signing_keys"

    id: str = Field(primary_key=True, max_length=32)
    partner_id: str = Field(foreign_key="partners.id", max_length=36, index=True)
    public_key: str = Field(max_length=64)  # 32 raw bytes, base64
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class PartnerRefusal(SQLModel, table=True):
    """A message on the partner topic that was parked on `.dlq`, kept for the partner it names
    (newest 1,000 per partner): `GET /api/v1/partners/{id}/refusals`, `npa-partner status`.
    `authenticated`: the partner's own valid signature; otherwise anyone may have sent it."""

    __tablename__ = "partner_refusals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    partner_id: str = Field(max_length=64, index=True)
    event_id: str | None = Field(default=None, max_length=64, index=True)
    external_id: str | None = Field(default=None, max_length=128)
    event_type: str | None = Field(default=None, max_length=200)
    reason: str = Field(max_length=2000)
    authenticated: bool = False
    parked_at: datetime = Field(default_factory=utcnow, index=True)


# Full text over `search_text` (words and facet tokens, domain.search) plus the status token:
# on SQLite the contentless FTS5 table `offers_fts` (rowid = offers.rowid), on PostgreSQL the
# narrow table `offer_search` (offer id, date, tsvector) with a GIN index; both kept in step by
# triggers. PostgreSQL's counts read every matching row's heap page (GIN answers no count alone),
# so the vector lives in rows of ~600 bytes instead of the offers' ~1,800 (ADR 0011, 2026-11-30).
# SQLAlchemy cannot describe a virtual table or triggers, so revisions 0004 and 0010 run this DDL
# (run the SQLite DDL again after any rebuild of `offers` in a later SQLite migration: a rebuild
# drops the triggers and may renumber rowids).
SEARCH_DOCUMENT = "search_text || ' zzs' || status"
# Revision 0004 stored it in offers.search_vector; 0010 moved it to `offer_search`.
SEARCH_VECTOR = f"strip(to_tsvector('german'::regconfig, {SEARCH_DOCUMENT}))"  # no positions: none are used
SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE offers_fts USING fts5(document, content='', detail=none, columnsize=0,"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER offers_fts_insert AFTER INSERT ON offers BEGIN"
    " INSERT INTO offers_fts(rowid, document) VALUES (new.rowid, new.search_text || ' zzs' || new.status); END",
    "CREATE TRIGGER offers_fts_delete AFTER DELETE ON offers BEGIN"
    " INSERT INTO offers_fts(offers_fts, rowid, document)"
    " VALUES ('delete', old.rowid, old.search_text || ' zzs' || old.status); END",
    "CREATE TRIGGER offers_fts_update AFTER UPDATE OF search_text, status ON offers"
    " WHEN old.search_text IS NOT new.search_text OR old.status IS NOT new.status BEGIN"
    " INSERT INTO offers_fts(offers_fts, rowid, document)"
    " VALUES ('delete', old.rowid, old.search_text || ' zzs' || old.status);"
    " INSERT INTO offers_fts(rowid, document) VALUES (new.rowid, new.search_text || ' zzs' || new.status); END",
    "INSERT INTO offers_fts(rowid, document) SELECT rowid, search_text || ' zzs' || status FROM offers",
)
POSTGRES_SEARCH_DOCUMENT = "strip(to_tsvector('german'::regconfig, {row}.search_text || ' zzs' || {row}.status))"
POSTGRES_SEARCH_DDL = (
    "CREATE TABLE offer_search (offer_id varchar(36) PRIMARY KEY, created_at timestamptz NOT NULL,"
    " document tsvector NOT NULL)",
    # Statement triggers with transition tables: one INSERT … SELECT per statement, so the partner
    # bulk path's multi-row inserts cost one statement here, not one per offer.
    "CREATE FUNCTION offer_search_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO offer_search (offer_id, created_at, document) SELECT a.id, a.created_at, "
    + POSTGRES_SEARCH_DOCUMENT.format(row="a") + " FROM added a; RETURN NULL; END $$",
    "CREATE FUNCTION offer_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " UPDATE offer_search s SET created_at = n.created_at, document = " + POSTGRES_SEARCH_DOCUMENT.format(row="n")
    + " FROM changed n JOIN previous o ON o.id = n.id WHERE s.offer_id = n.id AND (o.search_text IS DISTINCT FROM"
    " n.search_text OR o.status IS DISTINCT FROM n.status OR o.created_at IS DISTINCT FROM n.created_at);"
    " RETURN NULL; END $$",
    "CREATE FUNCTION offer_search_removed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " DELETE FROM offer_search s USING removed r WHERE s.offer_id = r.id; RETURN NULL; END $$",
    "CREATE FUNCTION offer_search_emptied() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " TRUNCATE offer_search; RETURN NULL; END $$",
    "CREATE TRIGGER offer_search_added AFTER INSERT ON offers REFERENCING NEW TABLE AS added"
    " FOR EACH STATEMENT EXECUTE FUNCTION offer_search_added()",
    "CREATE TRIGGER offer_search_changed AFTER UPDATE ON offers REFERENCING OLD TABLE AS previous"
    " NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION offer_search_changed()",
    "CREATE TRIGGER offer_search_removed AFTER DELETE ON offers REFERENCING OLD TABLE AS removed"
    " FOR EACH STATEMENT EXECUTE FUNCTION offer_search_removed()",
    "CREATE TRIGGER offer_search_emptied AFTER TRUNCATE ON offers FOR EACH STATEMENT"
    " EXECUTE FUNCTION offer_search_emptied()",
    "INSERT INTO offer_search (offer_id, created_at, document) SELECT o.id, o.created_at, "
    + POSTGRES_SEARCH_DOCUMENT.format(row="o") + " FROM offers o",
    "CREATE INDEX ix_offer_search_document ON offer_search USING gin (document)",
    "ANALYZE offer_search",
)
POSTGRES_SEARCH_DROP = (
    *(f"DROP TRIGGER IF EXISTS offer_search_{name} ON offers" for name in ("added", "changed", "removed", "emptied")),
    *(f"DROP FUNCTION IF EXISTS offer_search_{name}()" for name in ("added", "changed", "removed", "emptied")),
    "DROP TABLE IF EXISTS offer_search",
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
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = 1
    status: str = Field(max_length=20)  # searched through ix_offers_status_created (revision 0011)
    title: str = Field(max_length=200)
    district: str | None = Field(default=None, max_length=5, index=True)
    ends_on: date | None = Field(default=None, index=True)  # copy of body["ends_on"], for the expiry scheduler
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    partner_id: str | None = Field(default=None, max_length=36)  # searched through uq_offers_partner_external
    external_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Derived from `body` for the search (domain.search.search_columns, on every write): the
    # search tokens of its words, title words and facets (full text, see above).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


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
