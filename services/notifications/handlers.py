"""Bus subscribers of the notifications service: one function per event type.

Every type of the consumed topics has a handler, so none of them is dead-lettered as
unknown; the ones this service does not act on yet are recorded in the inbox and
otherwise ignored (digests, example and new-actor alerts will hang off them).
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
from services.notifications import usecases


def not_acted_on_yet(session: Session, event: CloudEvent) -> None:
    """Known type, no effect in this service (yet)."""


def make_handlers(wake_sender: Callable[[], None]) -> dict:
    def wake_after_commit(session: Session) -> None:
        # The sender must see the committed rows, so it is woken after the commit, not now.
        sa_event.listen(session, "after_commit", lambda _session: wake_sender(), once=True)

    def on_offer_published(session: Session, event: CloudEvent) -> None:
        if usecases.record_offer_alerts(session, event.id, event.type, event.data):
            wake_after_commit(session)

    known_types = (*offer_events.TYPES, *example_events.TYPES, *actor_events.TYPES)
    return {**dict.fromkeys(known_types, not_acted_on_yet), offer_events.PUBLISHED: on_offer_published}


def subscriptions(wake_sender: Callable[[], None]) -> Subscriptions:
    return Subscriptions(topics=[topics.OFFERS, topics.EXAMPLES, topics.ACTORS], handlers=make_handlers(wake_sender))
