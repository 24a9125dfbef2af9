"""Retention of what grows with traffic: deliveries, digests, digest items, item states (ADR 10).

Rows older than the retention period (`keep`: at least the inbox's, so a redelivered event
whose inbox row is gone still meets UNIQUE(subscription_id, event_id), and at least a week
and a day, so a digest period is never built twice) are deleted in small transactions, except
what a guarantee still needs:
- pending deliveries, the digests they send and the item states they render;
- for an offer that still runs, or ended within the period, the alerts, updates and built
  digest items that say who was told about it: update and withdrawal notices go to them;
- digest items still waiting for their digest (while their subscription is active);
- the newest state of an item while rows about the item remain, and every state that was the
  newest within the period (a digest built then lists it; the next event is compared with it).
Consent records are not pruned here: one per confirmation or change of scope, they prove the
consent as long as the subscription exists and go with it on erasure.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, literal, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from npa.infrastructure.periodic import sweep
from services.notifications import domain
from services.notifications.models import Delivery, Digest, DigestItem, ItemSnapshot, Subscription


@dataclass(frozen=True)
class RetentionPolicy:
    keep: timedelta
    batch: int = 2000


def prune(engine: Engine, policy: RetentionPolicy, now: datetime) -> int:
    cutoff = now - policy.keep
    return sum(sweep(engine, lambda session, step=step: step(session, cutoff, policy.batch))  # type: ignore[misc]
               for step in (_digest_items, _digests, _deliveries, _snapshots))


def _still_told(item_id: Any, cutoff: datetime) -> Any:
    """SQL: the offer's newest state runs, or arrived within the period."""
    newest, newer = aliased(ItemSnapshot), aliased(ItemSnapshot)
    return exists(select(literal(1)).select_from(newest).where(
        newest.item_kind == domain.OFFER, newest.item_id == item_id,
        or_(col(newest.live), newest.received_at >= cutoff),
        ~exists(select(literal(1)).select_from(newer).where(
            newer.item_kind == newest.item_kind, newer.item_id == newest.item_id,
            func.coalesce(newer.item_version, 0) > func.coalesce(newest.item_version, 0)))))


def _digest_items(session: Session, cutoff: datetime, limit: int) -> int:
    waiting_for_active = and_(col(DigestItem.digest_id).is_(None), exists(select(literal(1)).where(
        Subscription.id == DigestItem.subscription_id, Subscription.status == domain.ACTIVE)))
    doomed = (select(DigestItem.id).where(col(DigestItem.created_at) < cutoff, ~waiting_for_active,
                                          ~_still_told(DigestItem.item_id, cutoff)).limit(limit))
    return _delete(session, DigestItem, DigestItem.id, doomed)


def _digests(session: Session, cutoff: datetime, limit: int) -> int:
    """A digest goes with its mail once none of its items is kept."""
    listed = exists(select(literal(1)).where(DigestItem.subscription_id == Digest.subscription_id,
                                             DigestItem.digest_id == Digest.id))
    unsent = exists(select(literal(1)).where(Delivery.event_id == Digest.id,
                                             Delivery.status == domain.DELIVERY_PENDING))
    doomed = [row for row in session.execute(select(Digest.id).where(
        col(Digest.created_at) < cutoff, ~listed, ~unsent).limit(limit)).scalars()]
    if not doomed:
        return 0
    session.execute(delete(Delivery).where(col(Delivery.kind) == domain.DIGEST, col(Delivery.event_id).in_(doomed)))
    return session.execute(delete(Digest).where(col(Digest.id).in_(doomed))).rowcount or 0


def _deliveries(session: Session, cutoff: datetime, limit: int) -> int:
    doomed = (select(Delivery.id).where(
        col(Delivery.created_at) < cutoff, Delivery.status != domain.DELIVERY_PENDING, Delivery.kind != domain.DIGEST,
        or_(Delivery.kind == domain.CONFIRMATION, ~_still_told(Delivery.item_id, cutoff))).limit(limit))
    return _delete(session, Delivery, Delivery.id, doomed)


def _snapshots(session: Session, cutoff: datetime, limit: int) -> int:
    s, newer = ItemSnapshot, aliased(ItemSnapshot)
    newer_than = and_(newer.item_kind == s.item_kind, newer.item_id == s.item_id,
                      func.coalesce(newer.item_version, 0) > func.coalesce(s.item_version, 0))
    superseded_long_ago = exists(select(literal(1)).select_from(newer).where(newer_than, newer.received_at < cutoff))
    newest = ~exists(select(literal(1)).select_from(newer).where(newer_than))
    about_it = or_(exists(select(literal(1)).where(Delivery.item_id == s.item_id)),
                   exists(select(literal(1)).where(DigestItem.item_id == s.item_id)))
    to_render = exists(select(literal(1)).where(Delivery.event_id == s.event_id,
                                                Delivery.status == domain.DELIVERY_PENDING))
    doomed = (select(s.event_id).where(col(s.received_at) < cutoff, ~to_render,
                                       or_(superseded_long_ago, and_(newest, ~col(s.live), ~about_it))).limit(limit))
    return _delete(session, ItemSnapshot, ItemSnapshot.event_id, doomed)


def _delete(session: Session, model: Any, key: Any, doomed: Any) -> int:
    keys = list(session.execute(doomed).scalars())  # materialised: SQLite and PostgreSQL alike, no LIMIT in DELETE
    if not keys:
        return 0
    return session.execute(delete(model).where(col(key).in_(keys))).rowcount or 0
