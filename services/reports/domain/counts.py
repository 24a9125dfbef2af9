"""What each item's current state adds to the counted read models, as plain data.

The consumer keeps counts instead of rows to scan: for every applied event it takes away what
the entity's previous state contributed and adds what its new state contributes (a `Tally`
of key → column → change), and writes the summed changes once per batch. The dashboard, the
API and the CSV read those counts, so a request costs the same at 300 offers as at 100,000.

Areas of the counts (`coverage_counts`, `coverage_languages`, `new_offer_counts`):
- offers and good examples count in their home area only: their district, or `STATEWIDE`
  for an item without a district. An item has one district, so an ARL region or the state
  (`STATE`, state-wide items excluded) is the sum of its districts (`home_areas` says which
  areas a home adds to; services/reports/queries.py sums);
- actors count in every area they work in, once per area: each district, its ARL region and
  `STATE` (an actor working in two districts of one region counts once for it), or
  `STATEWIDE` for an actor without districts;
- `EVERYWHERE` counts every active item whatever its district (the thank-you totals).
An item in an unknown district counts only in `EVERYWHERE`. Field `ALL_FIELDS` counts an item
once per area whatever its fields; the field slugs count it once per known field.
"""

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from npa.contracts.reference import FIELDS, districts
from services.reports.domain.coverage import STATE
from services.reports.domain.facts import LOWER_SAXONY, is_active
from services.reports.domain.recognition import INITIATIVE

STATEWIDE = "landesweit"
EVERYWHERE = "gesamt"
ALL_FIELDS = "alle"
COVERAGE, LANGUAGES, NEW_OFFERS, CONTRIBUTIONS, PUBLICATIONS, SUBSCRIPTIONS = (
    "coverage", "languages", "new_offers", "contributions", "publications", "subscriptions")
OFFER_KIND, EXAMPLE_KIND = "offer", "example"
LANGUAGE_LENGTH = 20  # ISO 639-1 codes at the source; a longer string is not counted (bounded rows)

_KNOWN = districts()
_REGION = {key: district.arl_region for key, district in _KNOWN.items()}
_AREAS: dict[str | None, tuple[str, ...]] = {None: (STATEWIDE,)}
_AREAS.update({key: (key, region, STATE) for key, region in _REGION.items()})
_HOME: dict[str | None, str] = {None: STATEWIDE, **{key: key for key in _KNOWN}}
FLAG_COLUMNS = ("women_only_offers", "childcare_offers", "free_offers")


class Tally:
    """Summed changes per counted table: `table(name)[(*key, column)] += amount` (zero sums are
    dropped when the rows are taken)."""

    def __init__(self) -> None:
        self.changes: dict[str, defaultdict[tuple, int]] = {}

    def table(self, name: str) -> defaultdict[tuple, int]:
        found = self.changes.get(name)
        if found is None:
            found = self.changes[name] = defaultdict(int)
        return found

    def add(self, name: str, key: tuple, column: str, amount: int) -> None:
        self.table(name)[(*key, column)] += amount

    def add_all(self, name: str, entries: Iterable[tuple], amount: int) -> None:
        """Each of `entries` ((*key, column), e.g. a cached shape's) changes by `amount`."""
        changes = self.table(name)
        for entry in entries:
            changes[entry] += amount

    def rows(self, name: str, key_names: tuple[str, ...], columns: Iterable[str]) -> list[dict[str, Any]]:
        """The non-zero changes of table `name` as rows (every column present), sorted by key
        so that replicas touch rows in one order."""
        grouped: dict[tuple, dict[str, int]] = {}
        for entry, amount in self.changes.get(name, {}).items():
            if amount:
                grouped.setdefault(entry[:-1], {})[entry[-1]] = amount
        zeros = dict.fromkeys(columns, 0)
        return [{**dict(zip(key_names, key, strict=True)), **zeros, **grouped[key]} for key in sorted(grouped)]


def count_changes(tally: Tally, count: Callable[[Tally, dict, int], None], stored: dict[str, dict],
                  changed: dict[str, dict]) -> None:
    """What a batch's changed rows move in the counts: each row's stored state taken away and
    its last state added, once per row however many events changed it in between. A count is
    a function of the row alone, so the states in between cancel out (they used to be
    counted and taken away again per event: a sixth of a replay's time, ADR 12)."""
    for key, after in changed.items():
        before = stored.get(key)
        if before is not None:
            count(tally, before, -1)
        count(tally, after, 1)


def coverage_areas(district: str | None) -> tuple[str, ...]:
    """The areas an item with this district counts in (besides EVERYWHERE): its district, ARL
    region and STATE, or STATEWIDE; none for an unknown district."""
    return _AREAS.get(district, ())


def home_areas(home: str) -> tuple[str, ...]:
    """The areas an offer or example counted in this home area (district key or STATEWIDE) adds to."""
    return _AREAS[None if home == STATEWIDE else home]


def actor_areas(district_keys: Iterable[str]) -> set[str]:
    keys = [key for key in district_keys if key is not None]
    if not keys:
        return {STATEWIDE}
    return {area for key in keys for area in _AREAS.get(key, ())}


def known_fields(fields: Iterable[str]) -> list[str]:
    return [slug for slug in dict.fromkeys(fields) if slug in FIELDS]


_ZERO = timedelta(0)


def is_utc(instant: datetime) -> bool:
    """Also true for pydantic's own UTC zone (`TzInfo(0)`), which decoded event times carry."""
    return instant.tzinfo is UTC or instant.utcoffset() == _ZERO


def berlin_year(instant: datetime) -> int:
    if is_utc(instant) and not (instant.month == 12 and instant.day == 31) and not (
            instant.month == 1 and instant.day == 1):
        return instant.year  # Berlin is at most two hours ahead of UTC: only New Year's Eve and Day differ
    return instant.astimezone(LOWER_SAXONY).year


def utc_day(instant: datetime) -> date:
    return instant.date() if is_utc(instant) else instant.astimezone(UTC).date()


@functools.lru_cache(maxsize=16384)
def _item_entries(district: str | None, fields: tuple[str, ...], columns: tuple[str, ...]) -> tuple[tuple, ...]:
    """Coverage entries of an active offer or example: its home area and EVERYWHERE."""
    entries = [(EVERYWHERE, ALL_FIELDS, column) for column in columns[:1]]
    home = _HOME.get(district)
    if home is not None:
        entries += [(home, slug, column) for slug in (*known_fields(fields), ALL_FIELDS) for column in columns]
    return tuple(entries)


def count_offer(tally: Tally, row: dict, sign: int) -> None:
    """An offer fact's contribution (`row` as stored in offer_facts), added with `sign` ±1."""
    published_at, provider = row["published_at"], row["provider_actor_id"]
    if published_at is not None:
        tally.add(PUBLICATIONS, (OFFER_KIND, berlin_year(published_at)), "published", sign)
        if provider:
            tally.add(CONTRIBUTIONS, (provider,), "offers_published", sign)
    if not is_active(row["status"]):
        return
    if provider:
        tally.add(CONTRIBUTIONS, (provider,), "offers_active", sign)
    district, fields = row["district"], tuple(row["fields"])
    columns = ("active_offers", *(column for column, flag in zip(
        FLAG_COLUMNS, (row["women_only"], row["childcare"], row["free"]), strict=True) if flag))
    tally.add_all(COVERAGE, _item_entries(district, fields, columns), sign)
    home = _HOME.get(district)
    if home is None:
        return
    slugs = known_fields(fields)
    languages = tally.table(LANGUAGES)
    for code in set(row["languages"]):
        if len(code) <= LANGUAGE_LENGTH:
            for slug in slugs:
                languages[(home, slug, code, "active_offers")] += sign
    if published_at is not None:
        new, day = tally.table(NEW_OFFERS), utc_day(published_at)
        for slug in slugs:
            new[(home, slug, day, "active_offers")] += sign


def count_example(tally: Tally, row: dict, sign: int) -> None:
    published_at = row["published_at"]
    if published_at is not None:
        tally.add(PUBLICATIONS, (EXAMPLE_KIND, berlin_year(published_at)), "published", sign)
        if row["actor_id"]:
            tally.add(CONTRIBUTIONS, (row["actor_id"],), "examples_published", sign)
    if is_active(row["status"]):
        tally.add_all(COVERAGE, _item_entries(row["district"], tuple(row["fields"]), ("examples",)), sign)


def count_actor(tally: Tally, row: dict, sign: int) -> None:
    if not row["active"]:
        return
    columns = ["actors"] + (["multipliers"] if row["is_multiplier"] else []) + (
        ["initiatives"] if row["kind"] == INITIATIVE else [])
    for column in columns:
        tally.add(COVERAGE, (EVERYWHERE, ALL_FIELDS), column, sign)
    slugs = known_fields(row["fields"])
    for area in actor_areas(row["districts"]):
        for slug in (*slugs, ALL_FIELDS):
            for column in columns:
                tally.add(COVERAGE, (area, slug), column, sign)


def count_subscription(tally: Tally, row: dict, sign: int) -> None:
    """An active subscription with no field wants every field."""
    if row["active"]:
        for slug in known_fields(row["fields"] or FIELDS):
            tally.add(SUBSCRIPTIONS, (slug,), "active_subscriptions", sign)
