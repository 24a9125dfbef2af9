"""This service's copy of the actor registry (from `npa.actors.v1`)."""

from sqlmodel import Session

from services.offers.models import KnownActor

UNKNOWN_ACTOR = "unknown or inactive actor {!r} (a newly registered actor appears here within seconds)"


def is_known_and_active(session: Session, actor_id: str) -> bool:
    actor = session.get(KnownActor, actor_id)
    return actor is not None and actor.active
