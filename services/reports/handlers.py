"""Bus subscribers of the reports service: keep one read-model row per entity.

Every event carries the entity's full state, so a handler overwrites the row. The shared
consumer already skips duplicates and stale versions per topic and subject; the row's
own `version` check also guards against an event whose subject differs from `data.id`.
"""

from datetime import datetime

from sqlalchemy import case, literal, update
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from npa.contracts.reference import FIELDS
from npa.infrastructure.runtime import Subscriptions
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


def subscriptions() -> Subscriptions:
    return Subscriptions(
        topics=[topics.OFFERS, topics.EXAMPLES, topics.ACTORS, topics.NOTIFICATIONS],
        handlers={
            **dict.fromkeys(offer_events.TYPES, on_offer_changed),
            **dict.fromkeys(example_events.TYPES, on_example_changed),
            **dict.fromkeys(actor_events.TYPES, on_actor_changed),
            notification_events.SENT: on_notification_sent,
            notification_events.FAILED: on_notification_failed,
            notification_events.SUBSCRIPTION_CONFIRMED: on_subscription_changed,
            notification_events.SUBSCRIPTION_CANCELLED: on_subscription_changed,
        },
    )
