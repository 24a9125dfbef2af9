"""Who wants an item: fields of action × regions, with state-wide items relevant everywhere."""

from collections.abc import Iterable
from functools import lru_cache

from npa.contracts.reference import districts_in


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
