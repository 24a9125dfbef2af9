"""Building daily and weekly digests: one per subscription and period, every item once.

Two unique constraints carry the guarantee: a digest row per (subscription, period), and a
digest item per (subscription, event) whose `digest_id` one UPDATE sets. An item whose
transaction commits after that UPDATE keeps `digest_id` empty and waits for the next digest;
a redelivered event finds its item (or its inbox row) and adds nothing.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.notifications import domain, metrics
from services.notifications.models import Delivery, Digest, DigestItem, ItemSnapshot, Subscription

log = logging.getLogger(__name__)

QUEUED, EMPTY = "queued", "empty"


def build_digest(session: Session, subscription: Subscription, period_key: str, now: datetime,
                 *, keep_if_empty: bool = True) -> Digest | None:
    """Close the period: take every waiting item, decide what the mail lists, queue the mail.

    Raises IntegrityError when this period's digest exists already (another replica, or a
    second call): the caller rolls back and nothing happens twice."""
    waiting = select(DigestItem.id).where(DigestItem.subscription_id == subscription.id,
                                          col(DigestItem.digest_id).is_(None))
    if not keep_if_empty and session.exec(waiting.limit(1)).first() is None:
        return None
    digest = Digest(subscription_id=subscription.id, frequency=subscription.frequency, period_key=period_key,
                    status=EMPTY, created_at=now)
    session.add(digest)
    session.flush()
    session.execute(update(DigestItem).where(col(DigestItem.subscription_id) == subscription.id,
                                             col(DigestItem.digest_id).is_(None)).values(digest_id=digest.id))
    items = session.exec(select(DigestItem).where(DigestItem.digest_id == digest.id)).all()
    views = [domain.DigestItemView(item.item_kind, item.item_id, item.event_id, item.item_version, item.change,
                                   tuple(item.changed_fields)) for item in items]
    latest, fields = _newest_states(session, subscription, {(item.item_kind, item.item_id) for item in items})
    digest.entries = domain.digest_entries(views, latest)
    digest.fields = sorted({slug for entry in digest.entries for slug in fields.get(entry["event_id"], [])})
    if digest.entries:
        digest.status = QUEUED
        session.add(Delivery(subscription_id=subscription.id, kind=domain.DIGEST, event_id=digest.id,
                             event_type=f"digest.{digest.frequency}", item_id=digest.id, created_at=now,
                             next_attempt_at=now))
    session.add(digest)
    return digest


def build_due_digests(engine: Engine, schedule: domain.DigestSchedule, now: datetime) -> int:
    """Build every digest due at `now` that does not exist yet; returns how many were queued
    for sending. Safe to call as often as wanted, on as many replicas as wanted."""
    queued = 0
    for frequency in domain.DIGEST_FREQUENCIES:
        slot = schedule.latest_slot(frequency, now)
        period_key = schedule.period_key(frequency, slot)
        done = exists().where(Digest.subscription_id == Subscription.id, Digest.period_key == period_key)
        with Session(engine) as session:
            due = session.exec(select(Subscription.id).where(
                Subscription.status == domain.ACTIVE, Subscription.frequency == frequency,
                col(Subscription.cadence_since) <= slot, ~done)).all()
        for subscription_id in due:
            queued += _build_one(engine, subscription_id, frequency, period_key, now)
    return queued


def _build_one(engine: Engine, subscription_id: str, frequency: str, period_key: str, now: datetime) -> int:
    with Session(engine, expire_on_commit=False) as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None or subscription.status != domain.ACTIVE or subscription.frequency != frequency:
            return 0  # changed since the query above
        try:
            digest = build_digest(session, subscription, period_key, now)
            session.commit()
        except IntegrityError:
            session.rollback()  # built meanwhile by another replica
            return 0
    if digest is None:
        return 0
    metrics.DIGESTS.labels(frequency, digest.status).inc()
    return 1 if digest.status == QUEUED else 0


def _newest_states(session: Session, subscription: Subscription, keys: Iterable[tuple[str, str]]
                   ) -> tuple[dict[tuple[str, str], domain.LatestState], dict[str, list[str]]]:
    """The newest snapshot of each item, whether it is still live and still matches, and the
    fields of action of each snapshot (for the sent/failed events of the digest)."""
    keys = set(keys)
    newest: dict[tuple[str, str], ItemSnapshot] = {}
    item_ids = sorted({item_id for _kind, item_id in keys})
    for start in range(0, len(item_ids), 500):
        query = select(ItemSnapshot).where(col(ItemSnapshot.item_id).in_(item_ids[start:start + 500]))
        for snapshot in session.exec(query):
            key = (snapshot.item_kind or "", snapshot.item_id)
            current = newest.get(key)
            if key in keys and (current is None or (snapshot.item_version or 0) > (current.item_version or 0)):
                newest[key] = snapshot
    states = {key: domain.LatestState(snapshot.event_id, domain.is_live(key[0], snapshot.data),
                                      _still_wanted(subscription, key[0], snapshot.data))
              for key, snapshot in newest.items()}
    return states, {snapshot.event_id: list(snapshot.data.get("fields", [])) for snapshot in newest.values()}


def _still_wanted(subscription: Subscription, kind: str, data: dict[str, Any]) -> bool:
    if kind == domain.ACTOR:
        return subscription.new_actors and domain.matches_any(subscription.fields, subscription.regions,
                                                              data.get("fields", []), data.get("districts", []))
    if kind == domain.EXAMPLE and not subscription.examples:
        return False
    return domain.matches(subscription.fields, subscription.regions, data.get("fields", []), data.get("district"))
