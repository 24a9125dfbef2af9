"""Reporting rules: what counts as active, free or a gap, and the coverage counts.

Plain functions over plain data, so every number on the dashboard can be checked
without a database or a broker.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

from npa.contracts.events import offers as offer_events
from npa.contracts.offer_body import is_free  # noqa: F401  (one rule for search and reports)
from npa.contracts.reference import ARL_REGIONS, FIELDS, districts

FIELD_SLUGS = tuple(FIELDS)
PUBLISHED = "published"
LEVELS = ("district", "arl")
STATEWIDE_NOTE = (
    "Landesweite Angebote (district null) schließen keine Lücke in einem Landkreis; "
    "sie stehen gesondert im Block 'statewide'. / State-wide offers do not fill a "
    "district gap; they are counted separately in 'statewide'."
)

_INACTIVE_BY_TYPE = {offer_events.WITHDRAWN: "withdrawn", offer_events.EXPIRED: "expired"}


def offer_status(event_type: str, status: str) -> str:
    """The status to keep: a withdrawal or expiry is final for that version whatever `data` says."""
    if event_type in _INACTIVE_BY_TYPE and status == PUBLISHED:
        return _INACTIVE_BY_TYPE[event_type]
    return status


def is_active(status: str) -> bool:
    return status == PUBLISHED


@dataclass(frozen=True)
class Offer:
    district: str | None
    fields: tuple[str, ...]
    active: bool = True
    women_only: bool = False
    childcare: bool = False
    free: bool = False


@dataclass(frozen=True)
class Actor:
    districts: tuple[str, ...]
    fields: tuple[str, ...]
    is_multiplier: bool = False
    active: bool = True


@dataclass(frozen=True)
class Example:
    district: str | None
    fields: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True)
class Facts:
    """A snapshot of the read models, as the counting functions take it."""

    offers: Sequence[Offer] = ()
    actors: Sequence[Actor] = ()
    examples: Sequence[Example] = ()


@dataclass
class Counts:
    active_offers: int = 0
    women_only_offers: int = 0
    childcare_offers: int = 0
    free_offers: int = 0
    actors: int = 0
    multipliers: int = 0
    examples: int = 0

    def add_offer(self, offer: Offer) -> None:
        self.active_offers += 1
        self.women_only_offers += offer.women_only
        self.childcare_offers += offer.childcare
        self.free_offers += offer.free

    def add_actor(self, actor: Actor) -> None:
        self.actors += 1
        self.multipliers += actor.is_multiplier

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Coverage:
    """Counts per (area, field) for every area × field, plus state-wide items per field."""

    areas: tuple[str, ...]
    cells: dict[tuple[str, str], Counts]
    statewide: dict[str, Counts] = field(default_factory=dict)

    def at(self, area: str, field_slug: str) -> Counts:
        return self.cells[(area, field_slug)]


AreaOf = Callable[[str], str | None]
"""Maps a district key to the area it is counted in; None drops unknown keys."""


def count_coverage(facts: Facts, areas: Iterable[str], area_of: AreaOf) -> Coverage:
    """Counts active items per area × field; an item with no district counts only state-wide.

    An actor working in several districts of one area is counted once for that area.
    """
    areas = tuple(areas)
    cells = {(area, slug): Counts() for area in areas for slug in FIELD_SLUGS}
    statewide = {slug: Counts() for slug in FIELD_SLUGS}

    def targets(district_keys: Iterable[str | None], fields: Iterable[str]) -> list[Counts]:
        keys = [key for key in district_keys if key is not None]
        slugs = [slug for slug in set(fields) if slug in statewide]
        if not keys:
            return [statewide[slug] for slug in slugs]
        covered = {area_of(key) for key in keys} - {None}
        return [cells[(area, slug)] for area in covered for slug in slugs if (area, slug) in cells]

    for offer in facts.offers:
        if offer.active:
            for counts in targets([offer.district], offer.fields):
                counts.add_offer(offer)
    for actor in facts.actors:
        if actor.active:
            for counts in targets(actor.districts, actor.fields):
                counts.add_actor(actor)
    for example in facts.examples:
        if example.active:
            for counts in targets([example.district], example.fields):
                counts.examples += 1
    return Coverage(areas, cells, statewide)


def district_coverage(facts: Facts) -> Coverage:
    known = districts()
    return count_coverage(facts, known, lambda key: key if key in known else None)


def arl_coverage(facts: Facts) -> Coverage:
    known = districts()
    return count_coverage(facts, ARL_REGIONS, lambda key: known[key].arl_region if key in known else None)


def active_offers_per_district(offers: Iterable[Offer]) -> Coverage:
    """Only the offer counts, for the Prometheus gauge (cheaper than the full coverage)."""
    return district_coverage(Facts(offers=list(offers)))


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


def district_rows(coverage: Coverage, field_slug: str | None = None) -> list[dict]:
    """One row per district × field (zeros included), in reference order."""
    known = districts()
    return [
        {
            "district": key,
            "district_name": known[key].name,
            "arl_region": known[key].arl_region,
            "field": slug,
            **coverage.at(key, slug).as_dict(),
        }
        for key in coverage.areas
        for slug in FIELD_SLUGS
        if field_slug in (None, slug)
    ]


def arl_rows(coverage: Coverage, gaps: Sequence[Gap], field_slug: str | None = None) -> list[dict]:
    known = districts()
    missing = gaps_per_region(gaps)
    size = {region: sum(1 for d in known.values() if d.arl_region == region) for region in ARL_REGIONS}
    return [
        {
            "arl_region": region,
            "field": slug,
            "districts": size[region],
            "districts_without_offers": missing[(region, slug)],
            **coverage.at(region, slug).as_dict(),
        }
        for region in coverage.areas
        for slug in FIELD_SLUGS
        if field_slug in (None, slug)
    ]


def statewide_block(coverage: Coverage, field_slug: str | None = None) -> dict[str, dict[str, int]]:
    return {slug: counts.as_dict() for slug, counts in coverage.statewide.items() if field_slug in (None, slug)}
