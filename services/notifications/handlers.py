"""Bus subscribers of the notifications service: event type → batch handler, one line each.

Every type of the consumed topics has a handler, so none is dead-lettered as unknown. Each
keeps the item's state (for rendering and for digests) and queues what the events mean for
subscribers: alerts, update and withdrawal notices, digest items. The sender is woken after
each committed batch (NotificationsRuntime).
"""

from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.consumer import HandlerTable
from services.notifications.usecases import items

HANDLERS: HandlerTable = {
    offer_events.PUBLISHED: items.on_offer_events,
    offer_events.UPDATED: items.on_offer_events,
    offer_events.WITHDRAWN: items.on_offer_events,
    offer_events.EXPIRED: items.on_offer_events,
    example_events.PUBLISHED: items.on_example_events,
    example_events.UPDATED: items.on_example_events,
    example_events.WITHDRAWN: items.on_example_events,
    actor_events.REGISTERED: items.on_actor_events,
    actor_events.UPDATED: items.on_actor_events,
    actor_events.DEACTIVATED: items.on_actor_events,
}
