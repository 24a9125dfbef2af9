"""Offer lifecycle rules; no framework imports."""

from collections.abc import Mapping
from datetime import date
from dataclasses import dataclass, field
from typing import Any

from npa.contracts.events import offers as offer_events

DRAFT, PUBLISHED, WITHDRAWN, EXPIRED = "draft", "published", "withdrawn", "expired"
INACTIVE = (WITHDRAWN, EXPIRED)


@dataclass(frozen=True)
class Decision:
    """What an upsert does: the event to publish (None: nothing changed) and what changed."""

    event_type: str | None
    changed_fields: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return self.event_type is not None


def changed_fields(current: Mapping[str, Any], proposed: Mapping[str, Any]) -> list[str]:
    names = set(current) | set(proposed)
    return sorted(name for name in names if current.get(name) != proposed.get(name))


def decide_upsert(current: Mapping[str, Any] | None, status: str | None, proposed: Mapping[str, Any]) -> Decision:
    """A new or re-submitted offer is published; an identical resubmission changes nothing."""
    if current is None:
        return Decision(offer_events.PUBLISHED, sorted(proposed))
    changed = changed_fields(current, proposed)
    if status in INACTIVE or status == DRAFT:
        return Decision(offer_events.PUBLISHED, changed)
    if not changed:
        return Decision(None)
    return Decision(offer_events.UPDATED, changed)


def decide_withdrawal(status: str) -> Decision:
    if status in INACTIVE:
        return Decision(None)
    return Decision(offer_events.WITHDRAWN, ["status"])


def is_past_end(ends_on: date | None, today: date) -> bool:
    """An offer ends at the end of its `ends_on` day (local time in Lower Saxony)."""
    return ends_on is not None and ends_on < today


def decide_expiry(status: str, ends_on: date | None, today: date) -> Decision:
    if status != PUBLISHED or not is_past_end(ends_on, today):
        return Decision(None)
    return Decision(offer_events.EXPIRED, ["status"])
