"""Daily and weekly digests: when they are due (local time in Lower Saxony) and what they list."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notifications.domain.items import ACTOR, CHANGED, EXAMPLE, NEW, OFFER, WITHDRAWN
from services.notifications.domain.subscriptions import DAILY, WEEKLY

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Sections of a digest, in the order the mail shows them.
SECTION_NEW, SECTION_CHANGED, SECTION_WITHDRAWN = "new_offers", "changed_offers", "withdrawn_offers"
SECTION_EXAMPLES, SECTION_ACTORS = "examples", "actors"
SECTIONS = (SECTION_NEW, SECTION_CHANGED, SECTION_WITHDRAWN, SECTION_EXAMPLES, SECTION_ACTORS)


@dataclass(frozen=True)
class DigestSchedule:
    """When digests are due: daily at `daily_at`, weekly on `weekly_day` at `weekly_at`, in `zone`.

    A digest is identified by its slot, so the period key of a day or week is the same on
    every replica and at every retry: the unique (subscription, period) pair does the rest."""

    daily_at: time = time(7, 0)
    weekly_day: int = 0  # Monday
    weekly_at: time = time(7, 0)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))

    @classmethod
    def parse(cls, daily_at: str = "07:00", weekly_day: str = "monday", weekly_at: str = "07:00",
              zone: str = "Europe/Berlin") -> "DigestSchedule":
        day = weekly_day.strip().lower()
        matches = [index for index, name in enumerate(WEEKDAYS) if name.startswith(day[:3])] if len(day) >= 3 else []
        if len(matches) != 1:
            raise ValueError(f"weekly digest day {weekly_day!r}: use one of {', '.join(WEEKDAYS)}")
        return cls(time.fromisoformat(daily_at), matches[0], time.fromisoformat(weekly_at), ZoneInfo(zone))

    def latest_slot(self, frequency: str, now: datetime) -> datetime:
        """The latest due time of a `frequency` digest at or before `now`, in UTC."""
        local = now.astimezone(self.zone)
        if frequency == DAILY:
            slot = self._at(local.date(), self.daily_at)
            return slot if slot <= now else self._at(local.date() - timedelta(days=1), self.daily_at)
        if frequency == WEEKLY:
            day = local.date() - timedelta(days=(local.weekday() - self.weekly_day) % 7)
            slot = self._at(day, self.weekly_at)
            return slot if slot <= now else self._at(day - timedelta(days=7), self.weekly_at)
        raise ValueError(f"no digest for frequency {frequency!r}")

    def next_slot(self, frequency: str, now: datetime) -> datetime:
        latest = self.latest_slot(frequency, now).astimezone(self.zone)
        step = timedelta(days=1 if frequency == DAILY else 7)
        return self._at(latest.date() + step, self.daily_at if frequency == DAILY else self.weekly_at)

    def period_key(self, frequency: str, slot: datetime) -> str:
        """`daily:2026-11-26`, `weekly:2026-11-30`: the local date of the slot names the period."""
        return f"{frequency}:{slot.astimezone(self.zone).date().isoformat()}"

    def _at(self, day: date, at: time) -> datetime:
        # zoneinfo resolves a wall time that DST skips or repeats to one instant (fold=0).
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)


@dataclass(frozen=True)
class DigestItemView:
    """One queued item of a digest: an event about an offer, example or actor."""

    kind: str
    item_id: str
    event_id: str
    version: int
    change: str
    changed_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class LatestState:
    """The newest known state of an item when the digest is built."""

    event_id: str
    live: bool
    matches: bool  # whether it still matches the subscription


def digest_entries(items: Iterable[DigestItemView], latest: Mapping[tuple[str, str], LatestState]) -> list[dict]:
    """What a digest lists: one entry per item, in its newest state, never one item twice.

    An offer withdrawn before anyone was told about it is left out; an offer the subscriber
    was told about and that is gone now is listed as withdrawn. Examples and actors that are
    gone or no longer match are left out."""
    groups: dict[tuple[str, str], list[DigestItemView]] = {}
    for item in sorted(items, key=lambda i: (i.version, i.event_id)):
        groups.setdefault((item.kind, item.item_id), []).append(item)
    entries = []
    for key, group in groups.items():
        state = latest.get(key)
        if state is None:
            continue
        changes = {item.change for item in group}
        section = _section(key[0], changes, state)
        if section is None:
            continue
        changed: list[str] = []
        if section == SECTION_CHANGED:
            changed = sorted({name for item in group for name in item.changed_fields})
        entries.append({"section": section, "kind": key[0], "item_id": key[1], "event_id": state.event_id,
                        "changed_fields": changed})
    entries.sort(key=lambda entry: SECTIONS.index(entry["section"]))
    return entries


def _section(kind: str, changes: set[str], state: LatestState) -> str | None:
    if kind == OFFER:
        if not state.live:
            return SECTION_WITHDRAWN if WITHDRAWN in changes else None
        if NEW in changes:
            return SECTION_NEW if state.matches else None
        return SECTION_CHANGED if CHANGED in changes else None
    if not (state.live and state.matches):
        return None
    return {EXAMPLE: SECTION_EXAMPLES, ACTOR: SECTION_ACTORS}.get(kind)
