"""Changes to the registry.

`register_actor`, `update_actor` and `deactivate_actor` are what the JSON API and the editor
views call: each opens its own transaction, stores the change, stages its event (transactional
outbox) and, for an editor, writes the audit entry in that same transaction, then commits. The
session-taking steps they are composed of (`register`, `update`, `deactivate`) work in the
caller's transaction and leave the commit to it.
"""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.events import actors as actor_events
from npa.infrastructure import audit
from npa.infrastructure.database import lock_for_write
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import stage, utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.actors import domain, store
from services.actors.models import Actor


class ActorNotFound(LookupError):
    pass


def register_actor(uow: UnitOfWork, body: Mapping[str, Any], *, by: Editor | None = None) -> dict:
    """`by` is the editor named in the audit trail; the JSON API's admin token records none."""
    with uow.transaction() as session:
        state = register(session, body)
        if by is not None:
            audit.record(session, by, "actor.registered", "actor", state["id"], state["name"])
        session.commit()
    return state


def update_actor(uow: UnitOfWork, actor_id: str, proposed: Mapping[str, Any], *, by: Editor | None = None) -> dict:
    """An update that changes nothing publishes nothing and leaves no audit entry."""
    with uow.transaction() as session:
        version = load_for_update(session, actor_id).version
        state = update(session, actor_id, proposed)
        if by is not None and state["version"] != version:
            audit.record(session, by, "actor.updated", "actor", actor_id, state["name"])
        session.commit()
    return state


def deactivate_actor(uow: UnitOfWork, actor_id: str, *, by: Editor | None = None) -> dict:
    """Deactivating an inactive actor changes nothing and leaves no audit entry."""
    with uow.transaction() as session:
        was_active = load_for_update(session, actor_id).active
        state = deactivate(session, actor_id)
        if by is not None and was_active:
            audit.record(session, by, "actor.deactivated", "actor", actor_id, state["name"])
        session.commit()
    return state


def load_for_update(session: Session, actor_id: str) -> Actor:
    """Locked (`lock_for_write`), so two concurrent edits cannot both publish version n+1."""
    lock_for_write(session)
    actor = session.get(Actor, actor_id, with_for_update=True)
    if actor is None:
        raise ActorNotFound(f"actor {actor_id} not found")
    return actor


def register(session: Session, body: Mapping[str, Any]) -> dict:
    actor = Actor()
    store.write_state(session, actor, body)
    return _publish(session, actor, actor_events.REGISTERED)


def update(session: Session, actor_id: str, proposed: Mapping[str, Any]) -> dict:
    """Applies the fields that differ; an update that changes nothing publishes nothing."""
    actor = load_for_update(session, actor_id)
    current = store.read_state(session, actor)
    changed = domain.changed_fields(current, proposed)
    if not changed:
        return current
    store.write_state(session, actor, {name: proposed[name] for name in changed})
    actor.version += 1
    actor.updated_at = utcnow()
    return _publish(session, actor, actor_events.UPDATED)


def deactivate(session: Session, actor_id: str) -> dict:
    actor = load_for_update(session, actor_id)
    if not actor.active:
        return store.read_state(session, actor)
    actor.active = False
    actor.version += 1
    actor.updated_at = utcnow()
    session.add(actor)
    return _publish(session, actor, actor_events.DEACTIVATED)


def _publish(session: Session, actor: Actor, event_type: str) -> dict:
    session.flush()
    state = store.read_state(session, actor)
    stage(session, topics.ACTORS, source=actor_events.SOURCE, type=event_type, subject=actor.id, data=state)
    return state
