"""The items mails are about (offers, good examples, actors) and which of their changes count."""

from collections.abc import Iterable, Mapping
from typing import Any

OFFER, EXAMPLE, ACTOR = "offer", "example", "actor"
ITEM_KINDS = (OFFER, EXAMPLE, ACTOR)

# What a digest item or an alert tells the reader about its item.
NEW, CHANGED, WITHDRAWN = "new", "changed", "withdrawn"

# An update is worth a mail only when it changes what a reader decides on: what it is (title,
# fields), where (district and address), when (dates, schedule, format) and whether it still
# runs (status). A new description, contact or registration link is not worth a mail.
READER_RELEVANT_OFFER_CHANGES = frozenset({
    "title", "fields", "district", "postcode", "city", "address", "format",
    "starts_on", "ends_on", "schedule", "status",
})


def item_kind_of(event_type: str) -> str:
    """`de.npa.offer.updated` → `offer`."""
    parts = event_type.split(".")
    kind = parts[2] if len(parts) > 3 else ""
    if kind not in ITEM_KINDS:
        raise ValueError(f"not an item event: {event_type}")
    return kind


def matters_to_reader(changed_fields: Iterable[str]) -> bool:
    return bool(READER_RELEVANT_OFFER_CHANGES & set(changed_fields))


def is_live(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether an item's state is still worth telling anyone about."""
    if kind == ACTOR:
        return bool(data.get("active", True))
    return data.get("status") == "published"
