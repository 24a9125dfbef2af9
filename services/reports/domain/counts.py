"""What each item's current state adds to the counted read models, as plain data.

The consumer keeps counts instead of rows to scan: for every applied event it takes away what
the entity's previous state contributed and adds what its new state contributes (a `Tally`
of key → column → change), and writes the summed changes once per batch. The dashboard, the
API and the CSV read those counts, so a request costs the same at 300 offers as at 100,000.

Areas of the coverage counts (`coverage_counts`, `coverage_languages`, `new_offer_counts`):
- a district key, its ARL region and `STATE` for an item in a known district (an actor
  working in several districts of one area counts once for it);
- `STATEWIDE` for an item without a district (never in a district, region or `STATE`);
- `EVERYWHERE` for every active item, whatever its district (the thank-you totals).
An item in an unknown district counts only in `EVERYWHERE`. Field `ALL_FIELDS` counts an item
once per area whatever its fields; the field slugs count it once per known field.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
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

    def rows(self, name: str, key_names: tuple[str, ...], columns: Iterable[str]) -> list[dict[str, Any]]:
        """The non-zero changes of table `name` as rows (every column present), sorted by key
        so that replicas touch rows in one order."""
        grouped: dict[tuple, dict[str, int]] = {}
        for entry, amount in self.changes.get(name, {}).items():
            if amount:
                grouped.setdefault(entry[:-1], {})[entry[-1]] = amount
        zeros = dict.fromkeys(columns, 0)
        return [{**dict(zip(key_names, key, strict=True)), **zeros, **grouped[key]} for key in sorted(grouped)]


def coverage_areas(district: str | None) -> tuple[str, ...]:
    """The coverage areas an item with this district counts in (besides EVERYWHERE)."""
    return _AREAS.get(district, ())


def actor_areas(district_keys: Iterable[str]) -> set[str]:
    keys = [key for key in district_keys if key is not None]
    if not keys:
        return {STATEWIDE}
    return {area for key in keys for area in _AREAS.get(key, ())}


def known_fields(fields: Iterable[str]) -> list[str]:
    return [slug for slug in dict.fromkeys(fields) if slug in FIELDS]


def berlin_year(instant: datetime) -> int:
    return instant.astimezone(LOWER_SAXONY).year


def utc_day(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


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
    coverage, languages, new = tally.table(COVERAGE), tally.table(LANGUAGES), tally.table(NEW_OFFERS)
    coverage[(EVERYWHERE, ALL_FIELDS, "active_offers")] += sign
    slugs = known_fields(row["fields"])
    codes = [code for code in set(row["languages"]) if len(code) <= LANGUAGE_LENGTH]
    day = utc_day(published_at) if published_at is not None else None
    columns = ["active_offers"] + [column for column, flag in (
        ("women_only_offers", row["women_only"]), ("childcare_offers", row["childcare"]), ("free_offers", row["free"]))
        if flag]
    for area in coverage_areas(row["district"]):
        for slug in (*slugs, ALL_FIELDS):
            for column in columns:
                coverage[(area, slug, column)] += sign
        for slug in slugs:
            for code in codes:
                languages[(area, slug, code, "active_offers")] += sign
            if day is not None:
                new[(area, slug, day, "active_offers")] += sign


def count_example(tally: Tally, row: dict, sign: int) -> None:
    published_at = row["published_at"]
    if published_at is not None:
        tally.add(PUBLICATIONS, (EXAMPLE_KIND, berlin_year(published_at)), "published", sign)
        if row["actor_id"]:
            tally.add(CONTRIBUTIONS, (row["actor_id"],), "examples_published", sign)
    if not is_active(row["status"]):
        return
    tally.add(COVERAGE, (EVERYWHERE, ALL_FIELDS), "examples", sign)
    slugs = known_fields(row["fields"])
    for area in coverage_areas(row["district"]):
        for slug in (*slugs, ALL_FIELDS):
            tally.add(COVERAGE, (area, slug), "examples", sign)


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
