"""A subscriber's own data: export, erasure, and the purge of requests never confirmed.

Erasure removes every row that names or points at the person (address, preferences,
consent records, deliveries, digests); what stays are counters in `anonymous_counts`.
The pages behind the manage link call the `…_by_link` use cases, which own their transaction
(ADR 25); the operations that take a session serve them, the retention worker and the tests.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from npa.infrastructure.outbox import utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.notifications import domain
from services.notifications.models import AnonymousCount, Consent, Delivery, Digest, DigestItem, Subscription
from services.notifications.usecases import audience
from services.notifications.usecases.subscriptions import cancel_subscription, load_for_link, lock_subscription

ERASED, PURGED = "subscriptions_erased_on_request", "requests_purged_unconfirmed"
ERASED_MAILS_SENT = "mails_sent_to_erased_subscriptions"


def export_data(session: Session, subscription: Subscription, now: datetime) -> dict[str, Any]:
    """Everything stored about one subscription, and nothing about anyone else."""
    consents = session.exec(select(Consent).where(Consent.subscription_id == subscription.id)
                            .order_by(col(Consent.confirmed_at))).all()
    deliveries = session.exec(select(Delivery).where(Delivery.subscription_id == subscription.id)
                              .order_by(col(Delivery.created_at))).all()
    digests = session.exec(select(Digest).where(Digest.subscription_id == subscription.id)
                           .order_by(col(Digest.created_at))).all()
    return {
        "exported_at": now.isoformat(),
        "subscription": {
            **subscription.model_dump(mode="json", include={
                "id", "email", "status", "created_at", "confirmed_at", "cancelled_at", "updated_at"}),
            **subscription.preferences(),
            "unconfirmed_request": subscription.requested,
        },
        "consents": [consent.model_dump(mode="json", exclude={"id", "subscription_id"}) for consent in consents],
        "deliveries": [delivery.model_dump(mode="json", include={
            "id", "kind", "event_type", "item_id", "status", "attempts", "error", "created_at", "sent_at"})
            for delivery in deliveries],
        "digests": [{"period": digest.period_key, "status": digest.status, "items": len(digest.entries),
                     "created_at": digest.created_at.isoformat()} for digest in digests],
    }


def erase_subscription(session: Session, subscription_id: str, now: datetime) -> bool:
    """Delete me: cancel (announced without any address), then remove every personal row."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        return False
    cancel_subscription(session, subscription_id, now)
    sent = session.exec(select(func.count()).select_from(Delivery).where(
        Delivery.subscription_id == subscription_id, Delivery.kind != domain.CONFIRMATION,
        Delivery.status == domain.DELIVERY_SENT)).one()
    _remove(session, [subscription_id])
    _count(session, ERASED, 1)
    _count(session, ERASED_MAILS_SENT, sent)
    return True


def export_by_link(uow: UnitOfWork, subscription_id: str) -> dict[str, Any]:
    """My data, also after an unsubscribe. Raises LinkNoLongerValid when nothing is left."""
    with uow.reading() as session:
        return export_data(session, load_for_link(session, subscription_id, cancelled_too=True), utcnow())


def erase_by_link(uow: UnitOfWork, subscription_id: str) -> str | None:
    """Delete me, also after an unsubscribe. Returns the erased subscription's language, for the
    page that follows, or None when there was nothing to erase."""
    with uow.transaction() as session:
        lock_subscription(session, subscription_id)
        subscription = session.get(Subscription, subscription_id)
        language = subscription.language if subscription is not None else None  # read before the rows go
        erased = erase_subscription(session, subscription_id, utcnow())
        session.commit()
    return language if erased else None


def purge_unconfirmed(session: Session, now: datetime) -> int:
    """Requests not confirmed within the retention period are deleted; an active
    subscription's unconfirmed change request is dropped. Returns how many were deleted."""
    cutoff = now - domain.UNCONFIRMED_RETENTION
    last_mail = func.coalesce(Subscription.confirmation_requested_at, Subscription.created_at)
    stale = list(session.exec(select(Subscription.id).where(
        Subscription.status == domain.PENDING, last_mail < cutoff).limit(1000)).all())
    if stale:
        _remove(session, stale)
        _count(session, PURGED, len(stale))
    session.execute(update(Subscription).where(
        col(Subscription.status) == domain.ACTIVE, col(Subscription.requested).is_not(None),
        or_(col(Subscription.request_received_at).is_(None), col(Subscription.request_received_at) < cutoff),
    ).values(requested=None, request_received_at=None, request_consent_version=None))
    return len(stale)


def anonymous_counts(session: Session) -> dict[str, int]:
    return {row.name: row.value for row in session.exec(select(AnonymousCount))}


def _remove(session: Session, subscription_ids: list[str]) -> None:
    session.flush()
    audience.unfile(session, subscription_ids)
    for model in (Consent, DigestItem, Delivery, Digest):
        session.execute(delete(model).where(col(model.subscription_id).in_(subscription_ids)))
    session.execute(delete(Subscription).where(col(Subscription.id).in_(subscription_ids)))
    session.expire_all()


def _count(session: Session, name: str, amount: int) -> None:
    if not amount:
        return
    # In SQL, not read-modify-write: two replicas may count at the same moment.
    result = session.execute(update(AnonymousCount).where(col(AnonymousCount.name) == name)
                             .values(value=AnonymousCount.value + amount))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(AnonymousCount(name=name, value=amount))
