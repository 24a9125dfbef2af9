"""Claiming due deliveries for one sender round and deciding, per mail, whether it still goes.

A claim is a lease: one UPDATE moves `next_attempt_at` past the round's end and stamps the
round's `claim_token`, RETURNING the rows it took (on PostgreSQL the candidate rows are
locked with SKIP LOCKED, so replicas take disjoint rows without waiting for each other).
"""

import functools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Dialect, Table
from sqlmodel import Session, col, select

from npa.infrastructure.lookup import Lookup, Rows, read_on_driver
from npa.infrastructure.planner import unindexed
from npa.infrastructure.prepared import aware_time, sqlite_time_text
from services.notifications import domain
from services.notifications.models import Delivery, Digest, DigestItem, ItemSnapshot, Subscription

SEND, SKIP, POSTPONE = "send", "skip", "postpone"
# What the sender reads of a subscription: no preferences (JSON) and no timestamps to convert per mail.
READER_COLUMNS = ("id", "email", "language", "status")


@dataclass
class DueMail:
    """What the sender needs to build and account for one mail, read when it was claimed
    (`delivery` and `subscription` are read-only rows with the models' columns)."""

    delivery: Any
    subscription: Any  # READER_COLUMNS of the subscription
    item: Any = None  # alerts, updates, withdrawal notices: an item_snapshots row (read-only)
    digest: Digest | None = None
    digest_items: dict[str, Any] = field(default_factory=dict)  # item_snapshots rows by event id, for the entries
    preferences: dict[str, Any] | None = None  # confirmations: what the request chose, repeated in the mail
    verdict: str = SEND
    reason: str = ""

    @property
    def fields(self) -> list[str]:
        if self.digest is not None:
            return list(self.digest.fields)
        return list(self.item.data.get("fields", [])) if self.item else []

    @property
    def district(self) -> str | None:
        return self.item.data.get("district") if self.item else None


def claim_due(session: Session, now: datetime, *, limit: int, lease: timedelta, token: str) -> list[DueMail]:
    """Take up to `limit` due deliveries until `now + lease`; commits the claim."""
    claim = _claim(session.get_bind().dialect)
    claimed = claim.take(session, now, now + lease, limit, token)
    session.commit()
    if not claimed:
        return []
    return load_mails(session, sorted(claimed, key=lambda d: (d.created_at, d.id)))


@dataclass(frozen=True)
class _Claim:
    """The claim's statements, written once per dialect and run on the driver: in steady traffic
    every wake-up claims (a few mails, then none), and through the ORM each claim cost ~1 ms,
    most of it building, keying and wrapping the two statements (ADR 23, 2026-12-01)."""

    candidates: str | None  # SQLite: the due ids, read first
    update: str
    time: Callable[[datetime], Any]
    returned: Rows

    def take(self, session: Session, now: datetime, until: datetime, limit: int, token: str) -> list:
        due_at, lease_end = self.time(now), self.time(until)
        if self.candidates is None:
            # On PostgreSQL the candidates are locked with SKIP LOCKED in the same statement.
            found = session.connection().exec_driver_sql(
                self.update, (domain.DELIVERY_PENDING, due_at, limit, lease_end, token)).fetchall()
            return self.returned.read(found)
        # Read first: WAL readers do not wait, and a claim that finds nothing then never queues
        # for SQLite's single write turn behind the consumer (every wake-up claims, ADR 23).
        chosen = [row[0] for row in read_on_driver(session, self.candidates, (domain.DELIVERY_PENDING, due_at, limit))]
        if not chosen:
            return []
        # Through SQLAlchemy's cursor events, which take SQLite's write turn (npa/infrastructure/database.py).
        found = session.connection().exec_driver_sql(
            self.update, (lease_end, token, json.dumps(chosen), domain.DELIVERY_PENDING, due_at)).fetchall()
        return self.returned.read(found)


@functools.cache
def _claim(dialect: Dialect) -> _Claim:
    table: Table = Delivery.__table__  # type: ignore[attr-defined]
    columns = tuple(table.c.keys())
    returning = ", ".join(columns)
    due = "status = {0} AND next_attempt_at <= {0} ORDER BY next_attempt_at, created_at LIMIT {0}"
    if dialect.name == "postgresql":
        # Materialized once: as a plain `IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL
        # may run the sub-select again per row and claim more than `limit` rows (seen: 12 of 6).
        # The UPDATE takes the locked rows by id alone: they are due (a row changed before its lock
        # is checked again by FOR UPDATE). With the due conditions repeated, and the statistics of
        # a table a fan-out has just filled (estimate: 1 row), PostgreSQL scanned every due row for
        # each claimed one: 700 ms per claim of 200 among 10,000 (ADR 23, 2026-11-30 night).
        update = (f"WITH due AS MATERIALIZED (SELECT id FROM deliveries WHERE {due.format('%s')} "
                  f"FOR UPDATE SKIP LOCKED) UPDATE deliveries SET next_attempt_at = %s, claim_token = %s "
                  f"WHERE id IN (SELECT id FROM due) RETURNING {returning}")
        return _Claim(None, update, aware_time, Rows.of(table, columns, dialect))
    # Still due: another sender may have claimed some since they were read.
    update = ("UPDATE deliveries SET next_attempt_at = ?, claim_token = ? WHERE id IN (SELECT value FROM json_each(?))"
              f" AND status = ? AND next_attempt_at <= ? RETURNING {returning}")
    return _Claim(f"SELECT id FROM deliveries WHERE {due.format('?')}", update, sqlite_time_text,
                  Rows.of(table, columns, dialect))


def load_mails(session: Session, deliveries: list) -> list[DueMail]:
    """`deliveries` may be rows or model objects: the sender only reads them."""
    subscriptions = {s.id: s for s in _rows(session, Subscription, {d.subscription_id for d in deliveries},
                                            columns=READER_COLUMNS)}
    digests = {d.id: d for d in _in(session, Digest, Digest.id,
                                    {d.event_id for d in deliveries if d.kind == domain.DIGEST})}
    item_events = {d.event_id for d in deliveries if d.kind in domain.ITEM_MAIL_KINDS}
    entry_events = {entry["event_id"] for digest in digests.values() for entry in digest.entries}
    snapshots = {s.event_id: s for s in _rows(session, ItemSnapshot, item_events | entry_events, key="event_id")}
    confirming = {d.subscription_id for d in deliveries if d.kind == domain.CONFIRMATION}
    chosen = {row.id: row.requested or {name: getattr(row, name) for name in domain.PREFERENCE_NAMES}
              for row in _rows(session, Subscription, confirming,
                               columns=("id", "requested", *domain.PREFERENCE_NAMES))} if confirming else {}
    mails = []
    for delivery in deliveries:
        digest = digests.get(delivery.event_id) if delivery.kind == domain.DIGEST else None
        mails.append(DueMail(
            delivery, subscriptions.get(delivery.subscription_id), item=snapshots.get(delivery.event_id),
            digest=digest,
            digest_items={e["event_id"]: snapshots[e["event_id"]] for e in digest.entries
                          if e["event_id"] in snapshots} if digest else {},
            preferences=chosen.get(delivery.subscription_id) if delivery.kind == domain.CONFIRMATION else None))
    _decide(session, mails)
    return mails


def _decide(session: Session, mails: list[DueMail]) -> None:
    """Sets each mail's verdict: send, skip (with the reason) or postpone."""
    live = _items_still_live(session, [m for m in mails if m.delivery.kind in domain.TOLD_ABOUT_ITEM and m.item])
    told = _told_states(session, [m for m in mails if m.delivery.kind == domain.WITHDRAWAL])
    for mail in mails:
        kind, subscription = mail.delivery.kind, mail.subscription
        if subscription is None or subscription.status == domain.CANCELLED:
            mail.verdict, mail.reason = SKIP, "subscription cancelled"
        elif kind != domain.CONFIRMATION and subscription.status != domain.ACTIVE:
            mail.verdict, mail.reason = SKIP, "subscription not active"
        elif kind in domain.ITEM_MAIL_KINDS and mail.item is None:
            mail.verdict, mail.reason = SKIP, "item unknown"
        elif kind == domain.DIGEST and mail.digest is None:
            mail.verdict, mail.reason = SKIP, "digest unknown"
        elif kind in domain.TOLD_ABOUT_ITEM and not live.get(mail.delivery.item_id, True):
            mail.verdict, mail.reason = SKIP, "item withdrawn before the mail left"
        elif kind == domain.WITHDRAWAL:
            state = told.get((subscription.id, mail.delivery.item_id))
            if state == domain.DELIVERY_PENDING:
                mail.verdict = POSTPONE  # its alert has not left yet; the notice must not overtake it
            elif state != domain.DELIVERY_SENT:
                mail.verdict, mail.reason = SKIP, "never told about the item"


def _items_still_live(session: Session, mails: list[DueMail]) -> dict[str, bool]:
    """Whether each item's newest state still runs (the stored `live`, not the JSON)."""
    newest: dict[str, tuple[int, bool]] = {}
    for item_id, version, live in _rows(session, ItemSnapshot, {m.delivery.item_id for m in mails},
                                        columns=("item_id", "item_version", "live"), key="item_id"):
        if item_id not in newest or (version or 0) > newest[item_id][0]:
            newest[item_id] = (version or 0, live)
    return {item_id: live for item_id, (_version, live) in newest.items()}


def _told_states(session: Session, notices: list[DueMail]) -> dict[tuple[str, str], str]:
    """For each (subscription, item) of a withdrawal notice: `sent` when an alert, update or
    digest about the item reached the subscriber, `pending` while one is still queued."""
    if not notices:
        return {}
    subscription_ids = {m.delivery.subscription_id for m in notices}
    item_ids = {m.delivery.item_id for m in notices}
    statuses: dict[tuple[str, str], set[str]] = defaultdict(set)
    told = select(Delivery.subscription_id, Delivery.item_id, Delivery.status).where(
        col(Delivery.kind).in_(domain.TOLD_ABOUT_ITEM), col(Delivery.subscription_id).in_(subscription_ids),
        unindexed(Delivery.item_id).in_(item_ids))  # by subscriber: a page's few rows, not an item's thousands
    by_digest = (select(DigestItem.subscription_id, DigestItem.item_id, Delivery.status)
                 .join(Digest, col(Digest.id) == DigestItem.digest_id)
                 .join(Delivery, (col(Delivery.event_id) == Digest.id)
                       & (col(Delivery.subscription_id) == DigestItem.subscription_id))
                 .where(col(DigestItem.subscription_id).in_(subscription_ids), unindexed(DigestItem.item_id).in_(item_ids),
                        DigestItem.change != domain.WITHDRAWN))
    for query in (told, by_digest):
        for subscription_id, item_id, status in session.execute(query):
            statuses[(subscription_id, item_id)].add(status)
    return {key: domain.DELIVERY_SENT if domain.DELIVERY_SENT in found else
            domain.DELIVERY_PENDING if domain.DELIVERY_PENDING in found else domain.DELIVERY_FAILED
            for key, found in statuses.items()}


def _rows(session: Session, model: Any, ids: Any, columns: tuple[str, ...] | None = None, key: str = "id") -> list:
    """Plain rows by primary key: ten thousand mails need no ORM identity map, and building
    model objects costs more than the mails' rendering (item snapshots too: each claim in
    steady traffic built one per offer). `columns`: only these."""
    table = model.__table__
    return _lookup(session.get_bind().dialect, table, columns or tuple(table.c.keys()), key).rows(session, ids)


@functools.cache
def _lookup(dialect: Dialect, table: Table, columns: tuple[str, ...], key: str) -> Lookup:
    """On the driver's cursor (npa/infrastructure/lookup.py): each claim runs three or four."""
    return Lookup.of(table, columns, key, dialect)


def _in(session: Session, model: Any, column: Any, values: Any) -> list:
    values = list(values)
    found: list = []
    for start in range(0, len(values), 500):  # SQLite limits bound parameters per statement
        found.extend(session.exec(select(model).where(col(column).in_(values[start:start + 500]))).all())
    return found
