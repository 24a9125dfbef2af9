"""Alerts sent and failed per field of action, counted once per batch in SQL.

Increments, not read-modify-write: replicas on other partitions may count the same field at
once. Each row keeps the newest event time, not the last applied: a replay reads partitions in
another interleaving, and the rebuilt row must carry the same time.
"""

from datetime import datetime

from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import notifications as notification_events
from npa.contracts.reference import FIELDS
from npa.infrastructure.consumer import each_valid
from services.reports import store
from services.reports.models import NotificationCount


def _count(session: Session, events: list[CloudEvent], column: str) -> None:
    counts: dict[str, int] = {}
    newest: dict[str, datetime] = {}
    for event, outcome in each_valid(events, notification_events.DeliveryOutcome):
        for slug in set(outcome.fields) & FIELDS.keys():  # unknown slugs would grow the table unbounded
            counts[slug] = counts.get(slug, 0) + 1
            newest[slug] = max(newest[slug], event.time) if slug in newest else event.time
    rows = [{"field": slug, "sent": 0, "failed": 0, "active_subscriptions": 0, column: counts[slug],
             "updated_at": newest[slug]} for slug in sorted(counts)]
    store.add_counts(session, NotificationCount, ("field",), rows, newest="updated_at")


def on_notification_sent_events(session: Session, events: list[CloudEvent]) -> None:
    _count(session, events, "sent")


def on_notification_failed_events(session: Session, events: list[CloudEvent]) -> None:
    _count(session, events, "failed")
