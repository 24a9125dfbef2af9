"""Which envelope model travels on which topic, and what it carries: the AsyncAPI catalogue."""

from pydantic import BaseModel

from npa.contracts import topics
from npa.contracts.events import actors, editors, examples, notifications, offers, partner_offers

EVENTS: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    topics.ACTORS: (actors.ActorEvent, actors.TYPES),
    topics.OFFERS: (offers.OfferEvent, offers.TYPES),
    topics.EXAMPLES: (examples.ExampleEvent, examples.TYPES),
    topics.PARTNER_OFFERS: (partner_offers.PartnerOfferEvent, partner_offers.TYPES),
    topics.NOTIFICATIONS: (notifications.NotificationEvent, notifications.TYPES),
    topics.EDITORS: (editors.EditorEvent, editors.TYPES),
}


def describe(topic: str) -> str:
    return f"CloudEvents of types {', '.join(EVENTS[topic][1])}; key = entity id; data = full state + version."
