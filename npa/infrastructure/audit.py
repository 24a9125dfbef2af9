"""The audit trail of editors' changes: who, what, when (ADR 21).

A service records an entry in the same transaction as the change it describes, so a change
is never without its entry and an entry never without its change. Entries name the editor
(id, login, display name) and the entity, with a short summary; never contact data.
"""

from datetime import datetime

from sqlalchemy import desc, select
from sqlmodel import Field, Session, SQLModel

from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.unit_of_work import UnitOfWork


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    editor_id: str = Field(max_length=36, index=True)
    editor: str = Field(max_length=220)  # "Display Name (login)" as it was then
    action: str = Field(max_length=60)  # e.g. actor.registered, example.published, partner.key_rotated
    entity_kind: str = Field(max_length=20)
    entity_id: str = Field(max_length=64, index=True)
    summary: str = Field(default="", max_length=500)


def record(session: Session, editor: Editor, action: str, entity_kind: str, entity_id: str, summary: str = "",
           now: datetime | None = None) -> None:
    session.add(AuditEntry(at=now or utcnow(), editor_id=editor.id, editor=editor.label[:220], action=action,
                           entity_kind=entity_kind, entity_id=entity_id, summary=summary[:500]))


def recent(session: Session, limit: int = 100, entity_id: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(desc(AuditEntry.at), desc(AuditEntry.id)).limit(limit)  # type: ignore[arg-type]
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)  # type: ignore[arg-type]
    return list(session.execute(query).scalars())


def recent_entries(uow: UnitOfWork, limit: int = 100, entity_id: str | None = None) -> list[AuditEntry]:
    """For the editors' audit pages, which hold no session (ADR 25): detached entries."""
    with uow.reading() as session:
        return recent(session, limit, entity_id)
