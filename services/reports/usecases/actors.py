"""Actors: their fact rows and what they add to the counts, once per batch."""

from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.infrastructure.consumer import each_valid
from services.reports import domain, store
from services.reports.models import ActorFact
from services.reports.usecases.states import ActorFigures


def on_actor_events(session: Session, events: list[CloudEvent]) -> None:
    valid = list(each_valid(events, ActorFigures))
    stored = store.read_rows(session, ActorFact, [state.id for _event, state in valid])
    rows, changed, tally = dict(stored), {}, domain.Tally()
    for event, state in valid:
        before = rows.get(state.id)
        if before is not None and state.version <= before["version"]:
            continue
        after = {
            "id": state.id, "version": state.version, "name": state.name[:200], "kind": state.kind[:100],
            "districts": sorted(set(state.districts)), "fields": sorted(set(state.fields)),
            "is_multiplier": state.is_multiplier, "active": state.active and event.type != actor_events.DEACTIVATED,
            "updated_at": max(before["updated_at"], event.time) if before is not None else event.time,
        }
        rows[state.id] = changed[state.id] = after
    domain.count_changes(tally, domain.count_actor, stored, changed)
    store.write_rows(session, ActorFact, changed, set(stored))
    store.write_tally(session, tally)
