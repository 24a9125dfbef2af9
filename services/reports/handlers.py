"""Bus subscribers of the reports service: keep one read-model row per entity.

Every event carries the entity's full state, so a handler overwrites the row. The shared
consumer already skips duplicates and stale versions per topic and subject; the row's
own `version` check also guards against an event whose subject differs from `data.id`.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import case, literal, update
from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from npa.contracts.reference import FIELDS
from npa.infrastructure.consumer import HandlerTable
from services.reports import domain
from services.reports.models import (
    ActorFact,
    ExampleFact,
    NotificationCount,
    OfferFact,
    StateTransition,
    SubscriptionFact,
)


def _is_newer(row: object | None, version: int) -> bool:
    return row is None or version > row.version  # type: ignore[attr-defined]


def _first_published(current: datetime | None, status: str, at: datetime) -> datetime | None:
    return current or (at if domain.is_active(status) else None)


def _record_transition(session: Session, event: CloudEvent, kind: str, entity_id: str, version: int,
                       status: str, district: str | None, fields: list[str]) -> None:
    if session.get(StateTransition, event.id) is None:
        session.add(StateTransition(
            event_id=event.id, entity_kind=kind, entity_id=entity_id, version=version, event_type=event.type[:100],
            status=status, district=district, fields=fields, occurred_at=event.time,
        ))


def on_offer_changed(session: Session, event: CloudEvent) -> None:
    state = offer_events.OfferState.model_validate(event.data)
    fact = session.get(OfferFact, state.id)
    if not _is_newer(fact, state.version):
        return
    status = domain.offer_status(event.type, state.status)
    fact = fact or OfferFact(id=state.id, version=state.version, status=status)
    fact.version = state.version
    fact.status = status
    fact.title = state.title[:200]
    fact.district = state.district
    fact.fields = sorted(set(state.fields))
    fact.women_only = state.women_only
    fact.childcare = state.childcare
    fact.costs = state.costs[:200] if state.costs else state.costs
    fact.free = domain.is_free(state.costs)
    fact.languages = sorted(set(state.languages))
    fact.provider_actor_id = state.provider_actor_id
    fact.published_at = _first_published(fact.published_at, status, event.time)
    fact.updated_at = event.time
    session.add(fact)
    _record_transition(session, event, domain.OFFER, state.id, state.version, status, state.district, fact.fields)


def on_example_changed(session: Session, event: CloudEvent) -> None:
    state = example_events.ExampleState.model_validate(event.data)
    fact = session.get(ExampleFact, state.id)
    if not _is_newer(fact, state.version):
        return
    status = "withdrawn" if event.type == example_events.WITHDRAWN else state.status
    fact = fact or ExampleFact(id=state.id, version=state.version, status=status)
    fact.version = state.version
    fact.status = status
    fact.title = state.title[:200]
    fact.district = state.district
    fact.fields = sorted(set(state.fields))
    fact.actor_id = state.actor_id
    fact.page_url = state.page_url[:500] if state.page_url else None
    fact.published_at = _first_published(fact.published_at, status, event.time)
    fact.updated_at = event.time
    session.add(fact)
    _record_transition(session, event, domain.EXAMPLE, state.id, state.version, status, state.district, fact.fields)


def on_actor_changed(session: Session, event: CloudEvent) -> None:
    state = actor_events.ActorState.model_validate(event.data)
    fact = session.get(ActorFact, state.id)
    if not _is_newer(fact, state.version):
        return
    fact = fact or ActorFact(id=state.id, version=state.version)
    fact.version = state.version
    fact.name = state.name[:200]
    fact.kind = state.kind[:100]
    fact.districts = sorted(set(state.districts))
    fact.fields = sorted(set(state.fields))
    fact.is_multiplier = state.is_multiplier
    fact.active = state.active and event.type != actor_events.DEACTIVATED
    fact.updated_at = event.time
    session.add(fact)


def _count_notification(session: Session, event: CloudEvent, column: str) -> None:
    outcome = notification_events.DeliveryOutcome.model_validate(event.data)
    counter = getattr(NotificationCount, column)
    # The newest event time, not the last applied: a replay reads partitions in another
    # interleaving, and the rebuilt row must carry the same time.
    at = literal(event.time, NotificationCount.__table__.c.updated_at.type)
    newest = case((NotificationCount.updated_at < at, at), else_=NotificationCount.updated_at)
    for slug in sorted(set(outcome.fields) & set(FIELDS)):  # unknown slugs would grow the table unbounded
        # In SQL, not read-modify-write: replicas on other partitions may count the same field at once.
        # Two replicas inserting the same new row collide on the key; the consumer retries the loser.
        result = session.exec(
            update(NotificationCount)
            .where(NotificationCount.field == slug)  # type: ignore[arg-type]
            .values({column: counter + 1, "updated_at": newest})
        )
        if result.rowcount == 0:
            session.add(NotificationCount(field=slug, updated_at=event.time, **{column: 1}))


def on_notification_sent(session: Session, event: CloudEvent) -> None:
    _count_notification(session, event, "sent")


def on_notification_failed(session: Session, event: CloudEvent) -> None:
    _count_notification(session, event, "failed")


def on_subscription_changed(session: Session, event: CloudEvent) -> None:
    state = notification_events.SubscriptionChange.model_validate(event.data)
    fact = session.get(SubscriptionFact, state.id)
    if not _is_newer(fact, state.version):
        return
    fact = fact or SubscriptionFact(id=state.id, version=state.version)
    fact.version = state.version
    fact.fields = sorted(set(state.fields))
    fact.regions = sorted(set(state.regions))
    fact.frequency = state.frequency[:20]
    fact.language = state.language[:10]
    fact.active = event.type != notification_events.SUBSCRIPTION_CANCELLED
    fact.updated_at = event.time
    session.add(fact)


def _each(apply: Callable[[Session, CloudEvent], None]) -> Callable[[Session, list[CloudEvent]], None]:
    def apply_all(session: Session, events: list[CloudEvent]) -> None:
        for event in events:
            apply(session, event)
    apply_all.__name__ = apply_all.__qualname__ = f"{apply.__name__}_batch"
    return apply_all


on_offer_events = _each(on_offer_changed)
on_example_events = _each(on_example_changed)
on_actor_events = _each(on_actor_changed)
on_notification_sent_events = _each(on_notification_sent)
on_notification_failed_events = _each(on_notification_failed)
on_subscription_events = _each(on_subscription_changed)

HANDLERS: HandlerTable = {
    offer_events.PUBLISHED: on_offer_events,
    offer_events.UPDATED: on_offer_events,
    offer_events.WITHDRAWN: on_offer_events,
    offer_events.EXPIRED: on_offer_events,
    example_events.PUBLISHED: on_example_events,
    example_events.UPDATED: on_example_events,
    example_events.WITHDRAWN: on_example_events,
    actor_events.REGISTERED: on_actor_events,
    actor_events.UPDATED: on_actor_events,
    actor_events.DEACTIVATED: on_actor_events,
    notification_events.SENT: on_notification_sent_events,
    notification_events.FAILED: on_notification_failed_events,
    notification_events.SUBSCRIPTION_CONFIRMED: on_subscription_events,
    notification_events.SUBSCRIPTION_CANCELLED: on_subscription_events,
}
