"""Kafka topic names: the bus's public addresses."""

ACTORS = "npa.actors.v1"
OFFERS = "npa.offers.v1"
EXAMPLES = "npa.examples.v1"
PARTNER_OFFERS = "npa.partner.offers.v1"
NOTIFICATIONS = "npa.notifications.v1"
EDITORS = "npa.editors.v1"

ALL = (ACTORS, OFFERS, EXAMPLES, PARTNER_OFFERS, NOTIFICATIONS, EDITORS)


def dead_letter(topic: str) -> str:
    return f"{topic}.dlq"
