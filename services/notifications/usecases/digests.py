"""Building daily and weekly digests: one per subscription and period, every item once.

Two unique constraints carry the guarantee: a digest row per (subscription, period), and a
digest item per (subscription, event) whose `digest_id` one UPDATE sets. An item whose
transaction commits after that UPDATE keeps `digest_id` empty and waits for the next digest;
a redelivered event finds its item (or its inbox row) and adds nothing.

Built a page of subscriptions at a time (ADR 10): one multi-row insert of the page's digests
(a digest another replica built meanwhile is skipped by the unique pair, not an error), one
UPDATE that hands each waiting item to its digest, one read of the items and of their newest
states, the entries decided in memory, one executemany of the entries and one insert of the
mails. A million subscriptions are a few thousand such transactions.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.notifications import domain, metrics
from services.notifications.models import Delivery, Digest, DigestItem, ItemSnapshot, Subscription

log = logging.getLogger(__name__)

QUEUED, EMPTY = "queued", "empty"
PAGE = 500


def build_digest(session: Session, subscription: Any, period_key: str, now: datetime) -> Digest | None:
    """Close one subscription's period now (switching to immediate sends what waits); None when
    this period's digest exists already."""
    built = build_digests(session, [subscription], period_key, now)
    return built[0] if built else None


def build_due_digests(engine: Engine, schedule: domain.DigestSchedule, now: datetime, page: int = PAGE) -> int:
    """Build every digest due at `now` that does not exist yet; returns how many were queued
    for sending. Safe to call as often as wanted, on as many replicas as wanted."""
    queued = 0
    for frequency in domain.DIGEST_FREQUENCIES:
        slot = schedule.latest_slot(frequency, now)
        period_key = schedule.period_key(frequency, slot)
        done = exists().where(Digest.subscription_id == Subscription.id, Digest.period_key == period_key)
        after = ""
        while True:
            with Session(engine, expire_on_commit=False) as session:
                due = session.execute(select(
                    Subscription.id, Subscription.frequency, Subscription.fields, Subscription.regions,
                    Subscription.examples, Subscription.new_actors).where(
                    Subscription.status == domain.ACTIVE, Subscription.frequency == frequency,
                    col(Subscription.cadence_since) <= slot, col(Subscription.id) > after, ~done,
                ).order_by(col(Subscription.id)).limit(page)).all()
                if not due:
                    break
                built = build_digests(session, due, period_key, now)
                session.commit()
            after = due[-1].id
            for digest in built:
                metrics.DIGESTS.labels(frequency, digest.status).inc()
            queued += sum(1 for digest in built if digest.status == QUEUED)
    return queued


def build_digests(session: Session, subscriptions: Sequence[Any], period_key: str, now: datetime) -> list[Digest]:
    """Close the period for these subscriptions (rows or objects with their preferences): take
    every waiting item, decide what each mail lists, queue the mails. Digests of this period
    that exist already (another replica, a second call) are left alone and not returned."""
    by_id = {subscription.id: subscription for subscription in subscriptions}
    rows = [{"id": str(uuid.uuid4()), "subscription_id": sid, "frequency": subscription.frequency,
             "period_key": period_key, "status": EMPTY, "entries": [], "fields": [], "created_at": now}
            for sid, subscription in by_id.items()]
    session.flush()
    inserted = session.execute(_insert_new(session).values(rows).returning(Digest.id, Digest.subscription_id)).all()
    row_of = {row["subscription_id"]: row for row in rows}
    digests = {sid: Digest(**{**row_of[sid], "id": digest_id}) for digest_id, sid in inserted}
    if not digests:
        return []
    ids = sorted(digests)
    for start in range(0, len(ids), PAGE):
        page_ids = ids[start:start + PAGE]
        mine = select(Digest.id).where(Digest.subscription_id == DigestItem.subscription_id,
                                       Digest.period_key == period_key).scalar_subquery()
        session.execute(update(DigestItem).where(col(DigestItem.subscription_id).in_(page_ids),
                                                 col(DigestItem.digest_id).is_(None)).values(digest_id=mine)
                        .execution_options(synchronize_session=False))
    waiting: dict[str, list[Any]] = defaultdict(list)
    for start in range(0, len(ids), PAGE):  # by subscription first: the unique pair's index leads with it
        page = {digests[sid].id: sid for sid in ids[start:start + PAGE]}
        for item in session.execute(select(*DigestItem.__table__.columns).where(  # type: ignore[attr-defined]
                col(DigestItem.subscription_id).in_(list(page.values())), col(DigestItem.digest_id).in_(list(page)))):
            waiting[item.subscription_id].append(item)
    newest = _newest_states(session, {(item.item_kind, item.item_id) for items in waiting.values() for item in items})
    fields = {snapshot.event_id: snapshot.data.get("fields", []) for snapshot in newest.values()}
    changes, mails = [], []
    for sid, digest in digests.items():
        items = waiting.get(sid, [])
        views = [domain.DigestItemView(i.item_kind, i.item_id, i.event_id, i.item_version, i.change,
                                       tuple(i.changed_fields)) for i in items]
        latest = {key: domain.LatestState(snapshot.event_id, snapshot.live,
                                          _still_wanted(by_id[sid], key[0], snapshot.data))
                  for key in {(i.item_kind, i.item_id) for i in items} if (snapshot := newest.get(key)) is not None}
        digest.entries = domain.digest_entries(views, latest)
        if not digest.entries:
            continue
        digest.fields = sorted({slug for entry in digest.entries for slug in fields.get(entry["event_id"], [])})
        digest.status = QUEUED
        changes.append({"key": digest.id, "status": QUEUED, "entries": digest.entries, "fields": digest.fields})
        mails.append({"id": str(uuid.uuid4()), "subscription_id": sid, "kind": domain.DIGEST, "event_id": digest.id,
                      "event_type": f"digest.{digest.frequency}", "item_id": digest.id,
                      "status": domain.DELIVERY_PENDING, "attempts": 0, "created_at": now, "next_attempt_at": now})
    if changes:
        table = Digest.__table__  # type: ignore[attr-defined]
        session.connection().execute(update(table).where(table.c.id == bindparam("key")).values(
            status=bindparam("status"), entries=bindparam("entries"), fields=bindparam("fields")), changes)
        session.execute(insert(Delivery), mails)
    return list(digests.values())


def _insert_new(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(Digest)
    return statement.on_conflict_do_nothing(index_elements=["subscription_id", "period_key"])


def _newest_states(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The newest snapshot (event id, liveness, data) of each item."""
    keys = set(keys)
    newest: dict[tuple[str, str], Any] = {}
    item_ids = sorted({item_id for _kind, item_id in keys})
    for start in range(0, len(item_ids), PAGE):
        query = select(ItemSnapshot.event_id, ItemSnapshot.item_kind, ItemSnapshot.item_id, ItemSnapshot.item_version,
                       ItemSnapshot.live, ItemSnapshot.data).where(col(ItemSnapshot.item_id).in_(item_ids[start:start + PAGE]))
        for snapshot in session.execute(query):
            key = (snapshot.item_kind or "", snapshot.item_id)
            current = newest.get(key)
            if key in keys and (current is None or (snapshot.item_version or 0) > (current.item_version or 0)):
                newest[key] = snapshot
    return newest


def _still_wanted(subscription: Any, kind: str, data: dict[str, Any]) -> bool:
    if kind == domain.ACTOR:
        return subscription.new_actors and domain.matches_any(subscription.fields, subscription.regions,
                                                              data.get("fields", []), data.get("districts", []))
    if kind == domain.EXAMPLE and not subscription.examples:
        return False
    return domain.matches(subscription.fields, subscription.regions, data.get("fields", []), data.get("district"))
