"""This service's copy of the actor registry (from `npa.actors.v1`), to check providers and
name them. The bus handler and the checks take the caller's session; the two readers taking a
`uow` serve pages and editor forms."""

import functools

from sqlalchemy import Dialect, insert, select, update
from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.infrastructure.consumer import each_valid
from npa.infrastructure.lookup import Lookup
from npa.infrastructure.unit_of_work import UnitOfWork
from services.offers.domain.search import search_name
from services.offers.models import KnownActor

UNKNOWN_ACTOR = "unknown or inactive actor {!r} (a newly registered actor appears here within seconds)"


def active_actors(session: Session) -> list[KnownActor]:
    """Actors to choose from (this service's copy of the registry), by name."""
    query = select(KnownActor).where(KnownActor.active).order_by(KnownActor.name)  # type: ignore[arg-type]
    return list(session.scalars(query).all())


def actors_to_choose(uow: UnitOfWork) -> list[KnownActor]:
    """For an editor form's choice list."""
    with uow.reading() as session:
        return active_actors(session)


def actor_name(session: Session, actor_id: str | None) -> str | None:
    actor = session.get(KnownActor, actor_id) if actor_id else None
    return actor.name if actor else None


def known_actor_name(uow: UnitOfWork, actor_id: str | None) -> str | None:
    """The name a page shows for an actor (inactive ones too); None when this service does not know it."""
    with uow.reading() as session:
        return actor_name(session, actor_id)


def is_known_and_active(session: Session, actor_id: str) -> bool:
    actor = session.get(KnownActor, actor_id)
    return actor is not None and actor.active


_KNOWN = KnownActor.__table__  # type: ignore[attr-defined]


@functools.cache
def _active_among(dialect: Dialect) -> Lookup:  # on the driver's cursor (lookup.py): it runs per batch
    return Lookup.of(_KNOWN, ("id",), "id", dialect, true=("active",))


def active_among(session: Session, actor_ids: set[str]) -> set[str]:
    """Which of these actors are known and active, in one query."""
    return {actor_id for (actor_id,) in _active_among(session.get_bind().dialect).rows(session, actor_ids)}


def on_actor_events(session: Session, events: list[CloudEvent]) -> None:
    """Keep the latest name and state of each actor; the batch's last event per actor wins."""
    latest: dict[str, dict] = {}
    for event, state in each_valid(events, actor_events.ActorState):
        latest[state.id] = {"id": state.id, "name": state.name, "search_name": search_name(state.name),
                            "active": state.active and event.type != actor_events.DEACTIVATED}
    if not latest:
        return
    known = set(session.execute(select(KnownActor.id).where(KnownActor.id.in_(sorted(latest)))).scalars())  # type: ignore[attr-defined]
    table = KnownActor.__table__  # type: ignore[attr-defined]
    if known:
        session.execute(update(KnownActor), [latest[actor_id] for actor_id in sorted(known)])
    fresh = [row for actor_id, row in latest.items() if actor_id not in known]
    if fresh:
        session.execute(insert(table), fresh)
