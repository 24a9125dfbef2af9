"""Operations shared by the HTTP side, the bus handlers and the sender.

Each takes the caller's session; the caller commits, so a state change and the event it
stages land in one transaction (transactional outbox).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from npa.contracts import topics
from npa.contracts.envelope import new_event
from npa.contracts.events import notifications as notification_events
from npa.contracts.events.offers import OfferState
from npa.infrastructure.outbox import add_to_outbox
from services.notifications import domain
from services.notifications.models import Delivery, ItemSnapshot, Subscription

SUBSCRIBE_REQUEST = "subscribe_request"
# A repeated subscribe request within this window changes the pending preferences but
# sends no second mail: the form must not become a way to flood someone's mailbox.
CONFIRMATION_RESEND_AFTER = timedelta(minutes=2)


class LinkNoLongerValid(LookupError):
    """The token was genuine, but its subscription is gone or cancelled."""


# --- subscriptions ----------------------------------------------------------------------

def live_subscription(session: Session, email: str) -> Subscription | None:
    key = domain.normalise_email(email)
    query = select(Subscription).where(Subscription.email_key == key, Subscription.status != domain.CANCELLED)
    return session.exec(query).first()


def request_subscription(session: Session, email: str, preferences: dict[str, Any], now: datetime) -> Subscription:
    """Record a subscribe request and queue its confirmation mail.

    The answer never depends on whether the address is already subscribed; an active
    subscription keeps its preferences until the mailbox owner confirms the new ones.
    """
    subscription = live_subscription(session, email)
    if subscription is None:
        subscription = Subscription(email=email.strip(), email_key=domain.normalise_email(email), **preferences)
    elif subscription.status == domain.PENDING:
        for name, value in preferences.items():
            setattr(subscription, name, value)
    subscription.requested = preferences
    subscription.updated_at = now
    last = subscription.confirmation_requested_at
    resend = last is None or now - last >= CONFIRMATION_RESEND_AFTER
    if resend:
        subscription.confirmation_requested_at = now
    session.add(subscription)
    if resend:
        session.flush()  # the delivery's foreign key needs the subscription row first
        session.add(Delivery(subscription_id=subscription.id, kind=domain.CONFIRMATION, event_id=str(uuid.uuid4()),
                             event_type=SUBSCRIBE_REQUEST, item_id=subscription.id, next_attempt_at=now))
    return subscription


def load_for_link(session: Session, subscription_id: str) -> Subscription:
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or subscription.status == domain.CANCELLED:
        raise LinkNoLongerValid(subscription_id)
    return subscription


def confirm_subscription(session: Session, subscription_id: str, now: datetime) -> Subscription:
    """Apply the requested preferences and activate; following the link again does nothing."""
    subscription = load_for_link(session, subscription_id)
    if subscription.requested is None:
        return subscription
    for name, value in subscription.requested.items():
        setattr(subscription, name, value)
    subscription.requested = None
    if subscription.status == domain.PENDING:
        subscription.status = domain.ACTIVE
        subscription.confirmed_at = now
    _publish_change(session, subscription, now, notification_events.SUBSCRIPTION_CONFIRMED)
    return subscription


def change_preferences(session: Session, subscription: Subscription, preferences: dict[str, Any],
                       now: datetime) -> bool:
    """From the manage page (its token proves the mailbox). The contract has no `updated`
    type, so the new state goes out as another `confirmed` with a higher version."""
    changed = {name: value for name, value in preferences.items() if getattr(subscription, name) != value}
    if not changed or subscription.status != domain.ACTIVE:
        return False
    for name, value in changed.items():
        setattr(subscription, name, value)
    _publish_change(session, subscription, now, notification_events.SUBSCRIPTION_CONFIRMED)
    return True


def cancel_subscription(session: Session, subscription_id: str, now: datetime) -> bool:
    """True when this call cancelled it; cancelling twice is harmless."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or subscription.status == domain.CANCELLED:
        return False
    was_announced = subscription.status == domain.ACTIVE
    subscription.status = domain.CANCELLED
    subscription.cancelled_at = now
    subscription.requested = None
    if was_announced:
        _publish_change(session, subscription, now, notification_events.SUBSCRIPTION_CANCELLED)
    else:
        session.add(subscription)
    return True


def _publish_change(session: Session, subscription: Subscription, now: datetime, event_type: str) -> None:
    subscription.version += 1
    subscription.updated_at = now
    session.add(subscription)
    data = notification_events.SubscriptionChange.model_validate(subscription, from_attributes=True)
    event = new_event(source=notification_events.SOURCE, type=event_type, subject=subscription.id,
                      data=data.model_dump(mode="json"))
    add_to_outbox(session, topics.NOTIFICATIONS, event)


# --- alerts -----------------------------------------------------------------------------

def record_offer_alerts(session: Session, event_id: str, event_type: str, data: dict[str, Any]) -> int:
    """Queue one alert per matching immediate subscriber; no network I/O here."""
    offer = OfferState.model_validate(data)
    session.add(ItemSnapshot(event_id=event_id, event_type=event_type, item_id=offer.id,
                             item_version=offer.version, data=offer.model_dump(mode="json")))
    if offer.status != "published":
        return 0
    query = select(Subscription).where(Subscription.status == domain.ACTIVE, Subscription.frequency == "immediate")
    queued = 0
    for subscription in session.exec(query):
        if domain.matches(subscription.fields, subscription.regions, offer.fields, offer.district):
            session.add(Delivery(subscription_id=subscription.id, kind=domain.ALERT, event_id=event_id,
                                 event_type=event_type, item_id=offer.id))
            queued += 1
    return queued


# --- sending ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DueMail:
    """What the sender needs to build one mail, read in the claiming transaction."""

    delivery: Delivery
    subscription: Subscription
    item: ItemSnapshot | None


def claim_due(session: Session, now: datetime, *, limit: int, lease: timedelta) -> list[DueMail]:
    """Take due pending deliveries for `lease`; a row another replica took is skipped."""
    query = (select(Delivery.id)
             .where(Delivery.status == domain.DELIVERY_PENDING, col(Delivery.next_attempt_at) <= now)
             .order_by(col(Delivery.next_attempt_at), col(Delivery.created_at)).limit(limit))
    claimed = []
    for delivery_id in session.exec(query).all():
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == domain.DELIVERY_PENDING,
                   col(Delivery.next_attempt_at) <= now)
            .values(next_attempt_at=now + lease)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(delivery_id)
    session.commit()
    due = []
    for delivery_id in claimed:
        delivery = session.get_one(Delivery, delivery_id)
        subscription = session.get_one(Subscription, delivery.subscription_id)
        item = session.get(ItemSnapshot, delivery.event_id) if delivery.kind == domain.ALERT else None
        due.append(DueMail(delivery, subscription, item))
    return due


def release(session: Session, delivery_ids: list[str], when: datetime) -> None:
    """Give claimed but untried deliveries back, due at `when`, without counting an attempt."""
    if delivery_ids:
        session.execute(update(Delivery).where(col(Delivery.id).in_(delivery_ids),
                                               col(Delivery.status) == domain.DELIVERY_PENDING)
                        .values(next_attempt_at=when))


def still_wanted(mail: DueMail) -> bool:
    """An alert goes only to a subscription that is still active when it is sent."""
    if mail.delivery.kind == domain.CONFIRMATION:
        return mail.subscription.status != domain.CANCELLED
    return mail.subscription.status == domain.ACTIVE and mail.item is not None


def record_sent(session: Session, delivery_id: str, now: datetime) -> None:
    delivery = session.get_one(Delivery, delivery_id)
    delivery.status = domain.DELIVERY_SENT
    delivery.attempts += 1
    delivery.sent_at = now
    delivery.error = None
    session.add(delivery)
    _publish_outcome(session, delivery, notification_events.SENT, None)


def record_failure(session: Session, delivery_id: str, now: datetime, reason: str, *, permanent: bool,
                   max_attempts: int, retry_base_seconds: float, retry_max_seconds: float,
                   counts_as_attempt: bool = True) -> bool:
    """Returns True when the delivery has failed for good (and was announced as failed)."""
    delivery = session.get_one(Delivery, delivery_id)
    delivery.attempts += 1 if counts_as_attempt else 0
    delivery.error = domain.redact_addresses(reason)[:1000]
    final = permanent or delivery.attempts >= max_attempts
    if final:
        delivery.status = domain.DELIVERY_FAILED
        _publish_outcome(session, delivery, notification_events.FAILED, delivery.error)
    else:
        delay = domain.retry_delay(delivery.attempts, retry_base_seconds, retry_max_seconds)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    session.add(delivery)
    return final


def _publish_outcome(session: Session, delivery: Delivery, event_type: str, reason: str | None) -> None:
    """Only alerts are announced: a confirmation mail answers no bus event."""
    if delivery.kind != domain.ALERT:
        return
    item = session.get(ItemSnapshot, delivery.event_id)
    data = notification_events.DeliveryOutcome(
        id=delivery.id, subscription_id=delivery.subscription_id, event_id=delivery.event_id,
        event_type=delivery.event_type, item_id=delivery.item_id,
        fields=item.data.get("fields", []) if item else [], district=item.data.get("district") if item else None,
        reason=reason,
    )
    event = new_event(source=notification_events.SOURCE, type=event_type, subject=delivery.id,
                      data=data.model_dump(mode="json"))
    add_to_outbox(session, topics.NOTIFICATIONS, event)


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the admin API shows it: never the recipient's address."""
    return delivery.model_dump(mode="json")
