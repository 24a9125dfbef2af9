"""Who wants an item, answered by the database through the filing index (ADR 10).

An active subscription is filed under (audience, field, frequency, area) rows, written in the
transaction that changes it (`refile`); a pending, cancelled or erased one has none. Matching
an item is then one index range scan per (field, frequency, area), and its recipients go from
the index into the deliveries and digest items in one INSERT … SELECT, without passing through
Python, however many they are.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, insert, literal, select, union
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from npa.infrastructure.planner import unindexed
from services.notifications import domain
from services.notifications.models import Delivery, DigestItem, Subscription, SubscriptionTarget

T = SubscriptionTarget


def refile(session: Session, subscription: Subscription) -> None:
    """Bring the subscription's filing in line with its state and preferences."""
    session.flush()  # the subscription row first (foreign key), and its state as SQL sees it
    session.execute(delete(T).where(col(T.subscription_id) == subscription.id))
    if subscription.status != domain.ACTIVE:
        return
    rows = [{"audience": audience, "field": field, "frequency": subscription.frequency, "area": area,
             "subscription_id": subscription.id}
            for audience, field, area in domain.filing(subscription.fields, subscription.regions,
                                                       subscription.examples, subscription.new_actors)]
    if rows:
        session.execute(insert(T), rows)


def unfile(session: Session, subscription_ids: Sequence[str]) -> None:
    session.execute(delete(T).where(col(T.subscription_id).in_(subscription_ids)))


def wanting(audience: str, fields: Iterable[str], districts: Iterable[str], frequencies: Iterable[str],
            table: Any = T) -> Select:
    """Subscriptions (ids, once each) of `audience` that want an item of these fields in these
    districts (none: state-wide) and read at one of `frequencies`."""
    fields, places = sorted(set(fields)), set(districts)
    query = select(table.subscription_id).where(
        table.audience == audience, table.field.in_(fields), table.frequency.in_(sorted(frequencies)))
    query = query.where(table.area.in_(sorted(domain.areas_wanting(places))))
    # One field, in one district or none: a subscription has one row per field under at most one
    # area that covers a district (domain.target_areas), and one under STATE_WIDE_ITEMS, so no
    # row repeats and the scan streams as it is.
    return query if len(fields) == 1 and len(places) <= 1 else query.distinct()


def wanted_before(subscription_id: Any, fields: Iterable[str], districts: Iterable[str]) -> Any:
    """SQL condition: the subscription wanted an offer of these fields and districts."""
    before = aliased(T)
    query = select(literal(1)).where(before.subscription_id == subscription_id, before.audience == domain.AUDIENCE_OFFERS,
                                     before.field.in_(sorted(set(fields))))
    return exists(query.where(before.area.in_(sorted(domain.areas_wanting(districts)))))


def told_about(item_id: str) -> Any:
    """Subscriptions told (or about to be told) about an item, by an alert, an update or a built digest."""
    by_alert = select(Delivery.subscription_id).where(
        Delivery.item_id == item_id, col(Delivery.kind).in_(domain.TOLD_ABOUT_ITEM),
        col(Delivery.status).in_((domain.DELIVERY_SENT, domain.DELIVERY_PENDING)))
    by_digest = select(DigestItem.subscription_id).where(
        DigestItem.item_id == item_id, col(DigestItem.digest_id).is_not(None), DigestItem.change != domain.WITHDRAWN)
    return union(by_alert, by_digest)


def not_told(subscription_id: Any, item_id: str) -> Any:
    """SQL condition: the subscription was never told about the item (as `told_about`). A
    subscriber's few rows are found by the unique (subscription_id, event_id) pair, not among
    all the rows of the item (SQLite would pick either, see npa.infrastructure.planner)."""
    by_alert = select(literal(1)).where(
        unindexed(Delivery.item_id) == item_id, Delivery.subscription_id == subscription_id,
        col(Delivery.kind).in_(domain.TOLD_ABOUT_ITEM),
        col(Delivery.status).in_((domain.DELIVERY_SENT, domain.DELIVERY_PENDING)))
    by_digest = select(literal(1)).where(
        unindexed(DigestItem.item_id) == item_id, DigestItem.subscription_id == subscription_id,
        col(DigestItem.digest_id).is_not(None), DigestItem.change != domain.WITHDRAWN)
    return and_(~exists(by_alert), ~exists(by_digest))


def told_and_active(item_id: str, frequencies: Iterable[str]) -> Select:
    return select(Subscription.id).where(Subscription.status == domain.ACTIVE,
                                         col(Subscription.frequency).in_(sorted(frequencies)),
                                         col(Subscription.id).in_(told_about(item_id)))
