"""Ended editor sessions (ADR 21): per editor, the newest moment before which every session
is void. The actors service writes it when an account is disabled or its password changes, in
the same transaction as the change and the `de.npa.editor.sessions_revoked` event; every other
service with editor pages keeps its own copy from `npa.editors.v1`. A session is checked
against the service's own copy on each request: no call, no shared database.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlmodel import Field, Session, SQLModel

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent
from npa.contracts.events import editors as editor_events
from npa.infrastructure import outbox
from npa.infrastructure.consumer import each_valid


class EditorRevocation(SQLModel, table=True):
    __tablename__ = "editor_revocations"

    editor_id: str = Field(primary_key=True, max_length=36)
    revoked_at: datetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def revoked_at(session: Session, editor_id: str) -> datetime | None:
    found = session.execute(select(EditorRevocation.revoked_at)  # type: ignore[call-overload]
                            .where(EditorRevocation.editor_id == editor_id)).scalar()
    return _aware(found) if found is not None else None


def is_revoked(session: Session, editor_id: str, issued_at: datetime) -> bool:
    """A session issued at `issued_at` (whole seconds, as the cookie carries it) is void when it
    was issued at or before the editor's newest revocation."""
    revoked = revoked_at(session, editor_id)
    return revoked is not None and _aware(issued_at) <= revoked


def remember(session: Session, revocations: dict[str, datetime]) -> None:
    """Keep the newest revocation per editor (events may arrive in any order, or twice)."""
    if not revocations:
        return
    table = EditorRevocation.__table__  # type: ignore[attr-defined]
    known = {row.editor_id: _aware(row.revoked_at) for row in session.execute(
        select(table).where(table.c.editor_id.in_(sorted(revocations))))}
    for editor_id, moment in sorted(revocations.items()):
        if editor_id not in known:
            session.execute(insert(table).values(editor_id=editor_id, revoked_at=moment))
        elif moment > known[editor_id]:
            session.execute(update(table).where(table.c.editor_id == editor_id).values(revoked_at=moment))


def on_editor_events(session: Session, events: Sequence[CloudEvent]) -> None:
    """Bus handler of `de.npa.editor.sessions_revoked` (a service's handler table names it)."""
    newest: dict[str, datetime] = {}
    for _event, data in each_valid(events, editor_events.SessionsRevoked):
        moment = _aware(data.revoked_at)
        newest[data.editor_id] = max(moment, newest.get(data.editor_id, moment))
    remember(session, newest)


def revoke_sessions(session: Session, editor_id: str, reason: str, now: datetime | None = None) -> CloudEvent:
    """End every session of the editor issued until now: here at once, in the other services
    when the event has reached them (seconds). Part of the caller's transaction."""
    moment = now or outbox.utcnow()
    remember(session, {editor_id: moment})
    data = editor_events.SessionsRevoked(editor_id=editor_id, revoked_at=moment, reason=reason)  # type: ignore[arg-type]
    return outbox.stage(session, topics.EDITORS, source=editor_events.SOURCE, type=editor_events.SESSIONS_REVOKED,
                        subject=editor_id, data=data.model_dump(mode="json"))
