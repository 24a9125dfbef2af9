"""Who wants an item: fields of action × regions, with state-wide items relevant everywhere.

`matches`/`matches_any` state the rule. The database applies the same rule through an index:
each active subscription is filed under (audience, field, area) rows (`filing`), and an item
in district D is wanted by the rows of its fields under D, D's ARL region or STATE_WIDE
(`areas_covering`). Each subscription is also filed once per field under
STATE_WIDE_ITEMS, whatever its regions: a state-wide item reads only those rows, one range
per field in which no subscription repeats (`areas_wanting`).
"""

from collections.abc import Iterable
from functools import lru_cache

from npa.contracts.reference import districts, districts_in

STATE_WIDE = "*"  # the area of a subscription that covers all of Lower Saxony
# Not a place: every active subscription is filed under it once per field, for items without a
# district, which every subscription sharing a field wants (ADR 10, revised 2026-11-30 afternoon).
STATE_WIDE_ITEMS = "state-wide items"

# Who an item kind is for: every active subscription hears of offers; good examples and new
# actors only those who opted in.
AUDIENCE_OFFERS, AUDIENCE_EXAMPLES, AUDIENCE_ACTORS = "offer", "example", "actor"


@lru_cache(maxsize=4096)
def _covered(regions: tuple[str, ...]) -> frozenset[str] | None:
    wanted: set[str] = set()
    for region in regions:
        wanted |= districts_in(region)
    return frozenset(wanted) or None


def covered_districts(regions: Iterable[str]) -> set[str] | None:
    """District keys a subscription covers (district keys and ARL regions); None: all of Lower Saxony."""
    covered = _covered(tuple(sorted(regions)))
    return None if covered is None else set(covered)


def matches(sub_fields: Iterable[str], sub_regions: Iterable[str], item_fields: Iterable[str],
            item_district: str | None) -> bool:
    """A subscription wants an offer or example when a field is shared and the item's district
    is covered; a state-wide item (no district) is relevant everywhere."""
    return matches_any(sub_fields, sub_regions, item_fields, [] if item_district is None else [item_district])


def matches_any(sub_fields: Iterable[str], sub_regions: Iterable[str], item_fields: Iterable[str],
                item_districts: Iterable[str]) -> bool:
    """As `matches`, for an item active in several districts (an actor): one covered district
    is enough, and an item with no district works state-wide."""
    if not set(sub_fields) & set(item_fields):
        return False
    places = set(item_districts)
    if not places:
        return True
    covered = _covered(tuple(sorted(sub_regions)))
    return covered is None or bool(covered & places)


def target_areas(regions: Iterable[str]) -> frozenset[str]:
    """The areas a subscription is filed under: the ARL regions it names, the districts it names
    outside those regions, or only STATE_WIDE when it covers all of Lower Saxony (no region, or
    none that names a place). At most one area of a subscription covers any one district."""
    regions = set(regions)
    if _covered(tuple(sorted(regions))) is None:
        return frozenset({STATE_WIDE})
    known = districts()
    arl = {region for region in regions if region not in known and districts_in(region)}
    named = {region for region in regions if region in known and known[region].arl_region not in arl}
    return frozenset(arl | named)


def areas_covering(item_districts: Iterable[str]) -> frozenset[str] | None:
    """The areas whose subscriptions want an item in these districts: each district, its ARL
    region and STATE_WIDE. None for an item without a district: it concerns every area."""
    places = set(item_districts)
    if not places:
        return None
    known = districts()
    areas = {STATE_WIDE}
    for place in places & known.keys():  # an unknown key is covered by no region: state-wide readers only
        areas |= {place, known[place].arl_region}
    return frozenset(areas)


def areas_wanting(item_districts: Iterable[str]) -> frozenset[str]:
    """The filing areas whose rows want an item in these districts: those of `areas_covering`,
    or STATE_WIDE_ITEMS alone for an item without a district."""
    areas = areas_covering(item_districts)
    return frozenset({STATE_WIDE_ITEMS}) if areas is None else areas


def audiences(examples: bool, new_actors: bool) -> tuple[str, ...]:
    return (AUDIENCE_OFFERS, *((AUDIENCE_EXAMPLES,) if examples else ()), *((AUDIENCE_ACTORS,) if new_actors else ()))


def filing(fields: Iterable[str], regions: Iterable[str], examples: bool, new_actors: bool
           ) -> list[tuple[str, str, str]]:
    """The (audience, field, area) rows an active subscription is filed under: its areas, and
    STATE_WIDE_ITEMS for the items without a district."""
    areas = sorted(target_areas(regions) | {STATE_WIDE_ITEMS})
    return [(audience, field, area) for audience in audiences(examples, new_actors)
            for field in sorted(set(fields)) for area in areas]
