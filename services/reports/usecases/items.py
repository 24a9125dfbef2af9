"""Offers and good examples: their fact rows, the counts they contribute to, the monthly trends
and the recent history, each row read once and written once per batch.

Every event carries the entity's full state, so a newer version overwrites the row. The shared
consumer already skipped repeated ids and stale versions per topic and subject; the row's own
`version` check also guards against an event whose subject differs from `data.id`.
"""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import examples as example_events
from npa.infrastructure.consumer import each_valid
from services.reports import domain, store
from services.reports.models import ExampleFact, OfferFact, StateTransition
from services.reports.usecases.states import ExampleFigures, OfferFigures


def _trend_state(row: dict | None) -> tuple[str, str | None, tuple[str, ...]] | None:
    return (row["status"], row["district"], tuple(row["fields"])) if row is not None else None


def _transition(event: CloudEvent, kind: str, row: dict) -> dict:
    return {"event_id": event.id, "entity_kind": kind, "entity_id": row["id"], "version": row["version"],
            "event_type": event.type[:100], "status": row["status"], "district": row["district"],
            "fields": row["fields"], "occurred_at": event.time}


def _newest(before: dict | None, time: datetime) -> datetime:
    return max(before["updated_at"], time) if before is not None else time


def _fold(session: Session, valid: list, model: type, kind: str, count: Callable[[domain.Tally, dict, int], None],
          status_of: Callable[[CloudEvent, object], str], facts_of: Callable[[object], dict]) -> None:
    """One batch of an entity kind: each touched fact row read once and written once; its trend
    and history move per event, its counts once from the stored row to the last one."""
    stored = store.read_rows(session, model, [state.id for _event, state in valid])
    rows, changed, history, tally = dict(stored), {}, [], domain.Tally()
    for event, state in valid:
        before = rows.get(state.id)
        if before is not None and state.version <= before["version"]:
            continue
        status = status_of(event, state)
        first_published = before["published_at"] if before is not None else None
        after = {
            "id": state.id, "version": state.version, "status": status, "title": state.title[:200],
            "district": state.district, "fields": sorted(set(state.fields)), **facts_of(state),
            "published_at": first_published or (event.time if domain.is_active(status) else None),
            "updated_at": _newest(before, event.time),
        }
        domain.count_state_change(tally, kind, after["updated_at"], _trend_state(before), _trend_state(after),
                                  ever_active_before=first_published is not None)
        history.append(_transition(event, kind, after))
        rows[state.id] = changed[state.id] = after
    domain.count_changes(tally, count, stored, changed)
    store.write_rows(session, model, changed, set(stored))
    store.insert_new(session, StateTransition, history)
    store.write_tally(session, tally)


def _offer_facts(state: OfferFigures) -> dict:
    return {"women_only": state.women_only, "childcare": state.childcare,
            "costs": state.costs[:200] if state.costs else state.costs, "free": domain.is_free(state.costs),
            "languages": sorted(set(state.languages or ())), "provider_actor_id": state.provider_actor_id}


def _example_facts(state: ExampleFigures) -> dict:
    return {"actor_id": state.actor_id, "page_url": state.page_url[:500] if state.page_url else None}


def on_offer_events(session: Session, events: list[CloudEvent]) -> None:
    _fold(session, list(each_valid(events, OfferFigures)), OfferFact, domain.OFFER, domain.count_offer,
          lambda event, state: domain.offer_status(event.type, state.status), _offer_facts)


def on_example_events(session: Session, events: list[CloudEvent]) -> None:
    _fold(session, list(each_valid(events, ExampleFigures)), ExampleFact, domain.EXAMPLE, domain.count_example,
          lambda event, state: "withdrawn" if event.type == example_events.WITHDRAWN else state.status,
          _example_facts)
