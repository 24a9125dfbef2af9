"""Bus subscribers of the reports service: event type → batch handler, one line each.

Each handler folds its batch in memory and writes each touched row once: the entity's fact
row, the counts every report reads (services/reports/domain/counts.py), the monthly trends
and the recent history (ADR 12).
"""

from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import notifications as notification_events
from npa.contracts.events import offers as offer_events
from npa.contracts.events import editors as editor_events
from npa.infrastructure import editor_revocations
from npa.infrastructure.consumer import HandlerTable
from services.reports.usecases import actors, items, notifications

HANDLERS: HandlerTable = {
    offer_events.PUBLISHED: items.on_offer_events,
    offer_events.UPDATED: items.on_offer_events,
    offer_events.WITHDRAWN: items.on_offer_events,
    offer_events.EXPIRED: items.on_offer_events,
    example_events.PUBLISHED: items.on_example_events,
    example_events.UPDATED: items.on_example_events,
    example_events.WITHDRAWN: items.on_example_events,
    actor_events.REGISTERED: actors.on_actor_events,
    actor_events.UPDATED: actors.on_actor_events,
    actor_events.DEACTIVATED: actors.on_actor_events,
    notification_events.SENT: notifications.on_notification_events,
    notification_events.FAILED: notifications.on_notification_events,
    notification_events.SUBSCRIPTION_CONFIRMED: notifications.on_notification_events,
    notification_events.SUBSCRIPTION_CANCELLED: notifications.on_notification_events,
    editor_events.SESSIONS_REVOKED: editor_revocations.on_editor_events,
}
