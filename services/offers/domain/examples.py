"""Good-example lifecycle rules; no framework imports.

An example starts as an editors' draft, which the public never sees and which yields no
event. `version` counts the events an example has caused, so a draft is version 0, its
publication version 1, and every later event adds one: a consumer can always drop a
stale or repeated event by its version.
"""

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from npa.contracts.events import examples as example_events

DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
STATUSES = (DRAFT, PUBLISHED, WITHDRAWN)
DRAFT_VERSION = 0
SEARCHED_SECTIONS = ("title", "situation", "goals", "measures", "results")


@dataclass(frozen=True)
class Transition:
    """What a command does: the status afterwards, the event to publish (None: none) and the
    names of the fields whose values change."""

    status: str
    event_type: str | None = None
    changed_fields: tuple[str, ...] = ()

    @property
    def publishes(self) -> bool:
        return self.event_type is not None

    def next_version(self, version: int) -> int:
        return version + 1 if self.publishes else version


def changed_fields(current: Mapping[str, Any], proposed: Mapping[str, Any]) -> tuple[str, ...]:
    """The proposed fields whose values differ; a field left out of a partial update stays."""
    return tuple(sorted(name for name, value in proposed.items() if current.get(name) != value))


def decide_update(status: str, current: Mapping[str, Any], proposed: Mapping[str, Any]) -> Transition:
    """Only a change to a published example is news; drafts and withdrawn ones change quietly."""
    changed = changed_fields(current, proposed)
    if changed and status == PUBLISHED:
        return Transition(PUBLISHED, example_events.UPDATED, changed)
    return Transition(status, None, changed)


def decide_publication(status: str) -> Transition:
    """Publishing a draft or a withdrawn example publishes it; publishing twice changes nothing."""
    if status == PUBLISHED:
        return Transition(PUBLISHED)
    return Transition(PUBLISHED, example_events.PUBLISHED, ("status",))


def decide_withdrawal(status: str) -> Transition:
    """A published example is withdrawn publicly; a draft is discarded without an event,
    since nobody outside the editors ever saw it; withdrawing twice changes nothing."""
    if status == WITHDRAWN:
        return Transition(WITHDRAWN)
    if status == DRAFT:
        return Transition(WITHDRAWN, None, ("status",))
    return Transition(WITHDRAWN, example_events.WITHDRAWN, ("status",))


def is_public(status: str) -> bool:
    return status == PUBLISHED


def matches(
    body: Mapping[str, Any], *, field: str | None = None, districts: Set[str] | None = None, text: str = ""
) -> bool:
    """Filters of the public list. A state-wide example (no district) matches every region."""
    if field is not None and field not in body["fields"]:
        return False
    if districts is not None and body.get("district") is not None and body["district"] not in districts:
        return False
    needle = text.strip().casefold()
    return not needle or needle in " ".join(body.get(name) or "" for name in SEARCHED_SECTIONS).casefold()
