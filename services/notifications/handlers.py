"""Bus subscribers of the notifications service: one function per kind of item event.

Every type of the consumed topics has a handler, so none is dead-lettered as unknown. Each
keeps the item's state (for rendering and for digests) and queues what the event means for
subscribers: alerts, update and withdrawal notices, digest items.
"""

from collections.abc import Callable

from sqlalchemy import event as sa_event
from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import examples as example_events
from npa.contracts.events import offers as offer_events
from npa.infrastructure.runtime import Subscriptions
from services.notifications.usecases import items


def make_handlers(wake_sender: Callable[[], None]) -> dict:
    def wake_after_commit(session: Session) -> None:
        # The sender must see the committed rows, so it is woken after the commit, not now.
        sa_event.listen(session, "after_commit", lambda _session: wake_sender(), once=True)

    def handler(queue: Callable[[Session, CloudEvent], int]) -> Callable[[Session, CloudEvent], None]:
        def on_event(session: Session, event: CloudEvent) -> None:
            if queue(session, event):
                wake_after_commit(session)

        on_event.__name__ = queue.__name__
        return on_event

    return {
        **dict.fromkeys(offer_events.TYPES, handler(items.on_offer_event)),
        **dict.fromkeys(example_events.TYPES, handler(items.on_example_event)),
        **dict.fromkeys(actor_events.TYPES, handler(items.on_actor_event)),
    }


def subscriptions(wake_sender: Callable[[], None]) -> Subscriptions:
    return Subscriptions(topics=[topics.OFFERS, topics.EXAMPLES, topics.ACTORS], handlers=make_handlers(wake_sender))
