"""Between table rows and an actor's state, the `data` of its events.

The only place that writes an actor's district and field rows and its folded columns, so
they never disagree with its name, description, districts and fields.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from npa.contracts.events.actors import ActorState
from services.actors import domain
from services.actors.models import Actor, ActorDistrict, ActorField

COLUMNS = tuple(name for name in domain.STATE_FIELDS if name not in ("districts", "fields"))


def write_state(session: Session, actor: Actor, values: Mapping[str, Any]) -> None:
    """Store the given state fields (all of a new actor's, or a patch's) with their derived rows."""
    for name in COLUMNS:
        if name in values:
            setattr(actor, name, values[name])
    actor.sort_name = domain.sort_name(actor.name)
    actor.search_text = domain.search_text(actor.name, actor.description)
    session.add(actor)
    session.flush()  # the actor row must exist before rows that reference it
    if "districts" in values:
        _replace(session, ActorDistrict, "district", actor.id, values["districts"])
    if "fields" in values:
        _replace(session, ActorField, "field", actor.id, values["fields"])


def _replace(session: Session, table: type[ActorDistrict | ActorField], column: str, actor_id: str,
             values: Sequence[str]) -> None:
    # Core statements, not ORM objects: no identity-map clash when a value is removed and re-added.
    session.exec(delete(table).where(table.actor_id == actor_id))
    if values:
        session.exec(insert(table), params=[{"actor_id": actor_id, column: value} for value in values])


def read_states(session: Session, actors: Sequence[Actor]) -> list[dict]:
    """The full states of the given actors, in their order: two queries whatever their number."""
    ids = [actor.id for actor in actors]
    districts: dict[str, list[str]] = defaultdict(list)
    fields: dict[str, list[str]] = defaultdict(list)
    if ids:
        rows = select(ActorDistrict.actor_id, ActorDistrict.district).where(ActorDistrict.actor_id.in_(ids))
        for actor_id, district in session.exec(rows.order_by(ActorDistrict.actor_id, ActorDistrict.district)):
            districts[actor_id].append(district)
        rows = select(ActorField.actor_id, ActorField.field).where(ActorField.actor_id.in_(ids))
        for actor_id, field in session.exec(rows.order_by(ActorField.actor_id, ActorField.field)):
            fields[actor_id].append(field)
    return [state_of(actor, districts[actor.id], fields[actor.id]) for actor in actors]


def read_state(session: Session, actor: Actor) -> dict:
    return read_states(session, [actor])[0]


def state_of(actor: Actor, districts: list[str], fields: list[str]) -> dict:
    return ActorState.model_validate(
        {**actor.model_dump(), "districts": districts, "fields": fields}
    ).model_dump(mode="json")
