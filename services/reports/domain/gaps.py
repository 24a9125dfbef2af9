"""Gaps and weak spots: where a field of action has no offer, or fewer than most districts.

No population figures are available offline, so the comparison uses absolute counts of
active offers; a large district with few offers and a small one with few look alike.
"""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from npa.contracts.reference import ARL_REGIONS, districts
from services.reports.domain.coverage import FIELD_SLUGS, Coverage

WEAKEST_LIMIT = 5
POPULATION_NOTE_DE = (
    "Absolute Zahlen: Einwohnerzahlen liegen der Plattform nicht vor, daher keine Werte je "
    "100.000 Einwohner; große Landkreise erscheinen dadurch besser versorgt."
)
POPULATION_NOTE = (
    f"{POPULATION_NOTE_DE} / Absolute counts: no population figures are available offline, "
    "so no rates per 100,000 inhabitants; large districts look better served."
)


@dataclass(frozen=True)
class Gap:
    district: str
    district_name: str
    arl_region: str
    field: str


def find_gaps(coverage: Coverage) -> list[Gap]:
    """District × field pairs without an active offer in the district itself.

    Sorted by ARL region, district key and the fields' canonical order (as in FIELDS).
    """
    known = districts()
    gaps = [
        Gap(key, known[key].name, known[key].arl_region, slug)
        for key in coverage.areas
        for slug in FIELD_SLUGS
        if coverage.at(key, slug).active_offers == 0
    ]
    return sorted(gaps, key=lambda gap: (ARL_REGIONS.index(gap.arl_region), gap.district, FIELD_SLUGS.index(gap.field)))


def districts_without_offers(gaps: Iterable[Gap]) -> dict[str, int]:
    counts = dict.fromkeys(FIELD_SLUGS, 0)
    for gap in gaps:
        counts[gap.field] += 1
    return counts


def gaps_per_region(gaps: Iterable[Gap]) -> dict[tuple[str, str], int]:
    """Number of districts without an offer per (ARL region, field), zeros included."""
    counts = {(region, slug): 0 for region in ARL_REGIONS for slug in FIELD_SLUGS}
    for gap in gaps:
        counts[(gap.arl_region, gap.field)] += 1
    return counts


@dataclass(frozen=True)
class WeakDistrict:
    district: str
    district_name: str
    arl_region: str
    field: str
    active_offers: int
    state_median: float
    share_of_median: float | None  # None when the median is 0 (then every district is at or above it)


def weakest_districts(coverage: Coverage, limit: int | None = WEAKEST_LIMIT) -> dict[str, list[WeakDistrict]]:
    """Per field, districts with fewer active offers than the median district, fewest first.

    Ties are broken by district key. A median of 0 means most districts have nothing: then
    no district is below it, and the gap list names them instead.
    """
    known = districts()
    weakest = {}
    for slug in FIELD_SLUGS:
        counts = {key: coverage.at(key, slug).active_offers for key in coverage.areas}
        median = float(statistics.median(counts.values()))
        below = sorted((count, key) for key, count in counts.items() if count < median)
        weakest[slug] = [
            WeakDistrict(key, known[key].name, known[key].arl_region, slug, count, median,
                         round(count / median, 2) if median else None)
            for count, key in below[:limit]
        ]
    return weakest


def state_medians(coverage: Coverage) -> dict[str, float]:
    return {
        slug: float(statistics.median(coverage.at(key, slug).active_offers for key in coverage.areas))
        for slug in FIELD_SLUGS
    }
