"""Subscribing, confirming (double opt-in), changing preferences and cancelling.

The operations that take a session serve the bus handlers, the workers and the other use
cases; their caller commits, so a state change and the event it stages land in one transaction
(transactional outbox). The pages behind the links in mails call the `…_by_link` use cases,
which own their transaction (ADR 25) and are composed from those operations.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.events import notifications as notification_events
from npa.infrastructure.database import lock_for_write
from npa.infrastructure.outbox import stage, utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.notifications import domain
from services.notifications.models import Consent, Delivery, Subscription
from services.notifications.usecases import audience

SUBSCRIBE_REQUEST = "subscribe_request"
# A repeated subscribe request within this window changes the pending preferences but
# sends no second mail: the form must not become a way to flood someone's mailbox.
CONFIRMATION_RESEND_AFTER = timedelta(minutes=2)
VIA_DOUBLE_OPT_IN, VIA_MANAGE_PAGE = "double_opt_in", "manage_page"


class LinkNoLongerValid(LookupError):
    """The token was genuine, but its subscription is gone or cancelled."""


def live_subscription(session: Session, email: str) -> Subscription | None:
    key = domain.normalise_email(email)
    query = select(Subscription).where(Subscription.email_key == key, Subscription.status != domain.CANCELLED)
    return session.exec(query).first()


def request_subscription(session: Session, email: str, preferences: dict[str, Any], now: datetime,
                         consent_version: str = domain.CONSENT_TEXT_VERSION) -> Subscription:
    """Record a subscribe request and queue its confirmation mail.

    The answer never depends on whether the address is already subscribed; an active
    subscription keeps its preferences until the mailbox owner confirms the new ones.
    """
    subscription = live_subscription(session, email)
    if subscription is None:
        subscription = Subscription(email=email.strip(), email_key=domain.normalise_email(email), created_at=now,
                                    **preferences)
    elif subscription.status == domain.PENDING:
        for name, value in preferences.items():
            setattr(subscription, name, value)
    subscription.requested = preferences
    subscription.request_received_at = now
    subscription.request_consent_version = consent_version
    subscription.updated_at = now
    last = subscription.confirmation_requested_at
    resend = last is None or now - last >= CONFIRMATION_RESEND_AFTER
    if resend:
        subscription.confirmation_requested_at = now
    session.add(subscription)
    if resend:
        session.flush()  # the delivery's foreign key needs the subscription row first
        session.add(Delivery(subscription_id=subscription.id, kind=domain.CONFIRMATION, event_id=str(uuid.uuid4()),
                             event_type=SUBSCRIBE_REQUEST, item_id=subscription.id, created_at=now,
                             next_attempt_at=now))
    return subscription


def load_for_link(session: Session, subscription_id: str, *, cancelled_too: bool = False) -> Subscription:
    """Raises LinkNoLongerValid. A cancelled subscription still has its data: with
    `cancelled_too`, export and erasure reach it."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or (subscription.status == domain.CANCELLED and not cancelled_too):
        raise LinkNoLongerValid(subscription_id)
    return subscription


def confirm_subscription(session: Session, subscription_id: str, now: datetime) -> Subscription:
    """Apply the requested preferences, activate, and keep the consent record; following the
    link again does nothing."""
    subscription = load_for_link(session, subscription_id)
    if subscription.requested is None:
        return subscription
    requested = subscription.requested
    _switch_cadence(session, subscription, requested.get("frequency", subscription.frequency), now)
    for name, value in requested.items():
        setattr(subscription, name, value)
    subscription.requested = None
    if subscription.status == domain.PENDING:
        subscription.status = domain.ACTIVE
        subscription.confirmed_at = now
    session.add(Consent(subscription_id=subscription.id, scope=requested,
                        text_version=subscription.request_consent_version or domain.CONSENT_TEXT_VERSION,
                        requested_at=subscription.request_received_at or now, confirmed_at=now,
                        via=VIA_DOUBLE_OPT_IN))
    _publish_change(session, subscription, now, notification_events.SUBSCRIPTION_CONFIRMED)
    return subscription


def change_preferences(session: Session, subscription: Subscription, preferences: dict[str, Any],
                       now: datetime) -> bool:
    """From the manage page, whose token proves the mailbox: no second opt-in is needed, but
    the new scope is recorded as consent.

    The contract has no `updated` type, so the new state goes out as another `confirmed` with
    a higher version; the reports service keeps the latest version of each subscription."""
    changed = {name: value for name, value in preferences.items() if getattr(subscription, name) != value}
    if not changed or subscription.status != domain.ACTIVE:
        return False
    _switch_cadence(session, subscription, preferences.get("frequency", subscription.frequency), now)
    for name, value in changed.items():
        setattr(subscription, name, value)
    session.add(Consent(subscription_id=subscription.id, scope=subscription.preferences(),
                        text_version=domain.CONSENT_TEXT_VERSION, requested_at=now, confirmed_at=now,
                        via=VIA_MANAGE_PAGE))
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
        audience.refile(session, subscription)
    return True


def lock_subscription(session: Session, subscription_id: str) -> None:
    """Before a change decided from the stored row (`lock_for_write`): a second click or the
    other link of the same mail waits, and takes the next version instead of the same one."""
    lock_for_write(session)
    session.get(Subscription, subscription_id, with_for_update=True)  # later gets return this row


def subscription_by_link(uow: UnitOfWork, subscription_id: str, *, cancelled_too: bool = False) -> Subscription:
    """The subscription a link names, for a page that only shows it; see load_for_link."""
    with uow.reading() as session:
        return load_for_link(session, subscription_id, cancelled_too=cancelled_too)


def confirm_by_link(uow: UnitOfWork, subscription_id: str) -> tuple[Subscription, bool]:
    """The subscription, and whether this visit applied a request: a link is used once (ADR 20),
    so only that visit leads on to the manage page. Raises LinkNoLongerValid."""
    with uow.transaction() as session:
        lock_subscription(session, subscription_id)
        applies = load_for_link(session, subscription_id).requested is not None
        subscription = confirm_subscription(session, subscription_id, utcnow())
        session.commit()
    return subscription, applies


def change_preferences_by_link(uow: UnitOfWork, subscription_id: str,
                               preferences: dict[str, Any]) -> tuple[Subscription, bool]:
    """The subscription, and whether the preferences changed. Raises LinkNoLongerValid."""
    with uow.transaction() as session:
        lock_subscription(session, subscription_id)
        subscription = load_for_link(session, subscription_id)
        saved = change_preferences(session, subscription, preferences, utcnow())
        session.commit()
    return subscription, saved


def cancel_by_link(uow: UnitOfWork, subscription_id: str) -> str | None:
    """Unsubscribe (twice is harmless). Returns the subscription's language, for the pages that
    follow, or None when the subscription is gone."""
    with uow.transaction() as session:
        lock_subscription(session, subscription_id)
        subscription = session.get(Subscription, subscription_id)
        language = subscription.language if subscription is not None else None
        cancel_subscription(session, subscription_id, utcnow())
        session.commit()
    return language


def _switch_cadence(session: Session, subscription: Subscription, frequency: str, now: datetime) -> None:
    """A new frequency starts now. Items still waiting for a digest are not lost: moving to
    the other digest they wait for that one; moving to `immediate` they leave at once, as a
    last digest."""
    if subscription.status == domain.ACTIVE and frequency == subscription.frequency:
        return
    if subscription.status == domain.ACTIVE and subscription.frequency in domain.DIGEST_FREQUENCIES \
            and frequency == domain.IMMEDIATE:
        from services.notifications.usecases.digests import build_digest  # digests use this module too

        build_digest(session, subscription, f"until:{now.isoformat(timespec='seconds')}", now)
    subscription.cadence_since = now


def _publish_change(session: Session, subscription: Subscription, now: datetime, event_type: str) -> None:
    subscription.version += 1
    subscription.updated_at = now
    session.add(subscription)
    audience.refile(session, subscription)  # every published state change is one of fields, regions, status
    data = notification_events.SubscriptionChange.model_validate(subscription, from_attributes=True)
    stage(session, topics.NOTIFICATIONS, source=notification_events.SOURCE, type=event_type,
          subject=subscription.id, data=data.model_dump(mode="json"))
