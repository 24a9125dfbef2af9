"""The notifications topic: subscriptions (fact rows and active subscriptions per field) and
alerts sent and failed per field of action, as one batch handler, so a batch of the topic is
one run whatever the mix of types.

Counts change by increments in SQL, not read-modify-write: replicas on other partitions may
count the same field at once. Each count row keeps the newest event time, not the last applied:
a replay reads partitions in another interleaving, and the rebuilt row must carry the same time.
"""

from datetime import datetime

from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import notifications as notification_events
from npa.contracts.reference import FIELDS
from npa.infrastructure.consumer import each_valid
from services.reports import domain, store
from services.reports.models import NotificationCount, SubscriptionFact
from services.reports.usecases.states import OutcomeFigures

OUTCOMES = {notification_events.SENT: "sent", notification_events.FAILED: "failed"}


Newest = dict[str, datetime]


def _touch(newest: Newest, slugs: list[str], time: datetime) -> None:
    for slug in slugs:
        newest[slug] = max(newest[slug], time) if slug in newest else time


def _subscriptions(session: Session, events: list[CloudEvent], tally: domain.Tally, newest: Newest) -> None:
    valid = list(each_valid(events, notification_events.SubscriptionChange))
    stored = store.read_rows(session, SubscriptionFact, [state.id for _event, state in valid])
    rows, changed = dict(stored), {}
    for event, state in valid:
        before = rows.get(state.id)
        if before is not None and state.version <= before["version"]:
            continue
        after = {
            "id": state.id, "version": state.version, "fields": sorted(set(state.fields)),
            "regions": sorted(set(state.regions)), "frequency": state.frequency[:20], "language": state.language[:10],
            "active": event.type != notification_events.SUBSCRIPTION_CANCELLED,
            "updated_at": max(before["updated_at"], event.time) if before is not None else event.time,
        }
        if before is not None:
            _touch(newest, domain.known_fields(before["fields"] or FIELDS), event.time)
        _touch(newest, domain.known_fields(after["fields"] or FIELDS), event.time)
        rows[state.id] = changed[state.id] = after
    domain.count_changes(tally, domain.count_subscription, stored, changed)
    store.write_rows(session, SubscriptionFact, changed, set(stored))


def _outcomes(events: list[CloudEvent], tally: domain.Tally, newest: Newest) -> None:
    for event, outcome in each_valid(events, OutcomeFigures):
        slugs = domain.known_fields(outcome.fields)  # unknown slugs would grow the table unbounded
        for slug in slugs:
            tally.add(domain.SUBSCRIPTIONS, (slug,), OUTCOMES[event.type], 1)
        _touch(newest, slugs, event.time)


def on_notification_events(session: Session, events: list[CloudEvent]) -> None:
    tally, newest = domain.Tally(), {}
    _subscriptions(session, [event for event in events if event.type not in OUTCOMES], tally, newest)
    _outcomes([event for event in events if event.type in OUTCOMES], tally, newest)
    rows = tally.rows(domain.SUBSCRIPTIONS, ("field",), ("sent", "failed", "active_subscriptions"))
    store.add_counts(session, NotificationCount, ("field",), [{**row, "updated_at": newest[row["field"]]} for row in rows],
                     newest="updated_at")
