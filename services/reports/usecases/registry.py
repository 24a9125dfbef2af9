"""Actors and subscriptions: their fact rows and what they add to the counts, once per batch."""

from sqlmodel import Session

from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import notifications as notification_events
from npa.infrastructure.consumer import each_valid
from services.reports import domain, store
from services.reports.models import ActorFact, NotificationCount, SubscriptionFact


def on_actor_events(session: Session, events: list[CloudEvent]) -> None:
    valid = list(each_valid(events, actor_events.ActorState))
    rows = store.read_rows(session, ActorFact, [state.id for _event, state in valid])
    stored, changed, tally = set(rows), {}, domain.Tally()
    for event, state in valid:
        before = rows.get(state.id)
        if before is not None and state.version <= before["version"]:
            continue
        after = {
            "id": state.id, "version": state.version, "name": state.name[:200], "kind": state.kind[:100],
            "districts": sorted(set(state.districts)), "fields": sorted(set(state.fields)),
            "is_multiplier": state.is_multiplier, "active": state.active and event.type != actor_events.DEACTIVATED,
            "updated_at": max(before["updated_at"], event.time) if before is not None else event.time,
        }
        if before is not None:
            domain.count_actor(tally, before, -1)
        domain.count_actor(tally, after, 1)
        rows[state.id] = changed[state.id] = after
    store.write_rows(session, ActorFact, changed, stored)
    store.write_tally(session, tally)


def on_subscription_events(session: Session, events: list[CloudEvent]) -> None:
    valid = list(each_valid(events, notification_events.SubscriptionChange))
    rows = store.read_rows(session, SubscriptionFact, [state.id for _event, state in valid])
    stored, changed, tally = set(rows), {}, domain.Tally()
    newest = None
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
            domain.count_subscription(tally, before, -1)
        domain.count_subscription(tally, after, 1)
        newest = max(newest, event.time) if newest else event.time
        rows[state.id] = changed[state.id] = after
    store.write_rows(session, SubscriptionFact, changed, stored)
    counts = tally.rows(domain.SUBSCRIPTIONS, ("field",), ("active_subscriptions",))
    store.add_counts(session, NotificationCount, ("field",),
                     [{**row, "sent": 0, "failed": 0, "updated_at": newest} for row in counts], newest="updated_at")
