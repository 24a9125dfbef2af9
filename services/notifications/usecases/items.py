"""What an offer, example or actor event means for subscribers: alerts, notices, digest items.

Bus handlers call these inside the consumer's transaction; nothing here touches the network.
Immediate subscribers get a delivery row, digest subscribers a digest item; both are
written in bulk, since one offer may match tens of thousands of subscriptions.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, union
from sqlmodel import Session, col, select

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.outbox import utcnow
from services.notifications import domain
from services.notifications.models import Delivery, DigestItem, ItemSnapshot, Subscription, new_id


IMMEDIATE_KIND = {domain.NEW: domain.ALERT, domain.CHANGED: domain.UPDATE, domain.WITHDRAWN: domain.WITHDRAWAL}


class Reader(NamedTuple):
    """The columns of an active subscription that matching needs."""

    id: str
    fields: list[str]
    regions: list[str]
    frequency: str


def record_snapshot(session: Session, event: CloudEvent, data: dict[str, Any]) -> None:
    session.add(ItemSnapshot(event_id=event.id, event_type=event.type, item_kind=domain.item_kind_of(event.type),
                             item_id=data["id"], item_version=data.get("version"), event_time=event.time,
                             data=data))


def on_offer_events(session: Session, events: list[CloudEvent]) -> None:
    for event in events:
        on_offer_event(session, event)


def on_example_events(session: Session, events: list[CloudEvent]) -> None:
    for event in events:
        on_example_event(session, event)


def on_actor_events(session: Session, events: list[CloudEvent]) -> None:
    for event in events:
        on_actor_event(session, event)


def on_offer_event(session: Session, event: CloudEvent) -> int:
    """Returns how many deliveries and digest items were queued."""
    offer = offer_events.OfferState.model_validate(event.data)
    data = offer.model_dump(mode="json")
    record_snapshot(session, event, data)
    if event.type == offer_events.WITHDRAWN:
        alerted = previously_alerted(session, offer.id)
        return _queue(session, event, data, [(r, domain.WITHDRAWN) for r in _readers(session) if r.id in alerted])
    if offer.status != "published" or event.type not in (offer_events.PUBLISHED, offer_events.UPDATED):
        return 0  # expired: the reader knew the end date; digests leave it out

    def wants(reader: Reader, state: dict[str, Any]) -> bool:
        return domain.matches(reader.fields, reader.regions, state.get("fields", []), state.get("district"))

    if event.type == offer_events.PUBLISHED:
        return _queue(session, event, data, [(r, domain.NEW) for r in _readers(session) if wants(r, data)])
    if not domain.matters_to_reader(offer.changed_fields):
        return 0
    # Those told about the offer hear what changed, even if it moved out of their regions;
    # those it concerns only now hear of it as new; those it concerned all along but who
    # subscribed later hear nothing about an offer they never saw.
    alerted = previously_alerted(session, offer.id)
    before = previous_state(session, domain.OFFER, offer.id, offer.version)
    recipients = []
    for reader in _readers(session):
        if reader.id in alerted:
            recipients.append((reader, domain.CHANGED))
        elif wants(reader, data) and (before is None or not wants(reader, before)):
            recipients.append((reader, domain.NEW))
    changed = sorted(domain.READER_RELEVANT_OFFER_CHANGES & set(offer.changed_fields))
    return _queue(session, event, data, recipients, changed)


def on_example_event(session: Session, event: CloudEvent) -> int:
    example = example_events.ExampleState.model_validate(event.data)
    data = example.model_dump(mode="json")
    record_snapshot(session, event, data)
    if event.type != example_events.PUBLISHED or example.status != "published":
        return 0
    readers = _readers(session, Subscription.examples)
    return _queue(session, event, data, [
        (r, domain.NEW) for r in readers if domain.matches(r.fields, r.regions, example.fields, example.district)])


def on_actor_event(session: Session, event: CloudEvent) -> int:
    actor = actor_events.ActorState.model_validate(event.data)
    data = actor.model_dump(mode="json")
    record_snapshot(session, event, data)
    if event.type != actor_events.REGISTERED or not actor.active:
        return 0
    readers = _readers(session, Subscription.new_actors)
    return _queue(session, event, data, [
        (r, domain.NEW) for r in readers if domain.matches_any(r.fields, r.regions, actor.fields, actor.districts)])


def previously_alerted(session: Session, item_id: str) -> set[str]:
    """Subscriptions told (or about to be told) about an item, by an alert or a built digest."""
    by_alert = select(Delivery.subscription_id).where(
        Delivery.item_id == item_id, col(Delivery.kind).in_(domain.TOLD_ABOUT_ITEM),
        col(Delivery.status).in_((domain.DELIVERY_SENT, domain.DELIVERY_PENDING)))
    by_digest = select(DigestItem.subscription_id).where(
        DigestItem.item_id == item_id, col(DigestItem.digest_id).is_not(None), DigestItem.change != domain.WITHDRAWN)
    return set(session.execute(union(by_alert, by_digest)).scalars())


def previous_state(session: Session, kind: str, item_id: str, version: int) -> dict[str, Any] | None:
    query = (select(ItemSnapshot.data)
             .where(ItemSnapshot.item_kind == kind, ItemSnapshot.item_id == item_id,
                    col(ItemSnapshot.item_version) < version)
             .order_by(col(ItemSnapshot.item_version).desc()).limit(1))
    return session.exec(query).first()


def _readers(session: Session, opt_in: Any = None) -> list[Reader]:
    query = select(Subscription.id, Subscription.fields, Subscription.regions, Subscription.frequency).where(
        Subscription.status == domain.ACTIVE)
    if opt_in is not None:
        query = query.where(opt_in == True)  # noqa: E712  (SQL, not Python)
    return [Reader(*row) for row in session.execute(query)]


def _queue(session: Session, event: CloudEvent, data: dict[str, Any], recipients: Iterable[tuple[Reader, str]],
           changed_fields: list[str] | None = None) -> int:
    now: datetime = utcnow()
    deliveries, items = [], []
    for reader, change in recipients:
        if reader.frequency == domain.IMMEDIATE:
            deliveries.append({
                "id": new_id(), "subscription_id": reader.id, "event_id": event.id, "event_type": event.type,
                "kind": IMMEDIATE_KIND[change], "item_id": data["id"],
                "status": domain.DELIVERY_PENDING, "attempts": 0, "event_time": event.time, "created_at": now,
                "next_attempt_at": now})
        else:
            items.append({
                "id": new_id(), "subscription_id": reader.id, "event_id": event.id,
                "item_kind": domain.item_kind_of(event.type), "item_id": data["id"],
                "item_version": data.get("version") or 0, "change": change, "changed_fields": changed_fields or [],
                "created_at": now})
    if deliveries:
        session.execute(insert(Delivery), deliveries)
    if items:
        session.execute(insert(DigestItem), items)
    return len(deliveries) + len(items)
