"""Changes to the registry: each stores the actor and stages its event in the caller's
transaction (transactional outbox); the caller commits."""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.events import actors as actor_events
from npa.infrastructure.outbox import stage, utcnow
from services.actors import domain, store
from services.actors.models import Actor


class ActorNotFound(LookupError):
    pass


def load_for_update(session: Session, actor_id: str) -> Actor:
    """Locks the row on PostgreSQL, so two concurrent edits cannot both publish version n+1."""
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
