"""Coverage: counts of active offers, actors and good examples per area × field of action.

Areas are the 45 districts, the four ARL regions or the whole state. An item without a
district (state-wide) fills no district or region: it is counted in a separate
`statewide` block, and only the state level adds it in.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from services.reports.domain.facts import Facts, Offer

FIELD_SLUGS = tuple(FIELDS)
LEVELS = ("district", "arl", "state")
STATE = "Niedersachsen"
STATEWIDE_NOTE = (
    "Landesweite Angebote (district null) schließen keine Lücke in einem Landkreis; "
    "sie stehen gesondert im Block 'statewide'. / State-wide offers do not fill a "
    "district gap; they are counted separately in 'statewide'."
)


@dataclass
class Counts:
    active_offers: int = 0
    new_offers: int = 0
    women_only_offers: int = 0
    childcare_offers: int = 0
    free_offers: int = 0
    languages: set[str] = field(default_factory=set)
    actors: int = 0
    multipliers: int = 0
    examples: int = 0

    def add_offer(self, offer: Offer, new: bool) -> None:
        self.active_offers += 1
        self.new_offers += new
        self.women_only_offers += offer.women_only
        self.childcare_offers += offer.childcare
        self.free_offers += offer.free
        self.languages.update(offer.languages)

    def add_actor(self, is_multiplier: bool) -> None:
        self.actors += 1
        self.multipliers += is_multiplier

    def plus(self, other: "Counts") -> "Counts":
        """Sum of two disjoint sets of items (an area and the state-wide block)."""
        total = Counts(**{name: getattr(self, name) + getattr(other, name) for name in _NUMBERS})
        total.languages = self.languages | other.languages
        return total

    def as_dict(self) -> dict[str, int | list[str]]:
        return {
            "active_offers": self.active_offers,
            "new_offers": self.new_offers,
            "women_only_offers": self.women_only_offers,
            "childcare_offers": self.childcare_offers,
            "free_offers": self.free_offers,
            "languages": sorted(self.languages),
            "actors": self.actors,
            "multipliers": self.multipliers,
            "examples": self.examples,
        }


_NUMBERS = ("active_offers", "new_offers", "women_only_offers", "childcare_offers", "free_offers",
            "actors", "multipliers", "examples")


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
            new = facts.is_new(offer)
            for counts in targets([offer.district], offer.fields):
                counts.add_offer(offer, new)
    for actor in facts.actors:
        if actor.active:
            for counts in targets(actor.districts, actor.fields):
                counts.add_actor(actor.is_multiplier)
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


def state_coverage(facts: Facts) -> Coverage:
    """One area, the state; its cells still exclude state-wide items (see `state_rows`)."""
    known = districts()
    return count_coverage(facts, (STATE,), lambda key: STATE if key in known else None)


def active_offers_per_district(offers: Iterable[Offer]) -> Coverage:
    """Only the offer counts, for the Prometheus gauge (cheaper than the full coverage)."""
    return district_coverage(Facts(offers=list(offers)))


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


def arl_rows(coverage: Coverage, districts_without_offers: dict[tuple[str, str], int],
             field_slug: str | None = None) -> list[dict]:
    """One row per ARL region × field; `districts_without_offers` from `gaps.gaps_per_region`."""
    known = districts()
    size = {region: sum(1 for d in known.values() if d.arl_region == region) for region in ARL_REGIONS}
    return [
        {
            "arl_region": region,
            "field": slug,
            "districts": size[region],
            "districts_without_offers": districts_without_offers[(region, slug)],
            **coverage.at(region, slug).as_dict(),
        }
        for region in coverage.areas
        for slug in FIELD_SLUGS
        if field_slug in (None, slug)
    ]


def state_rows(coverage: Coverage, field_slug: str | None = None) -> list[dict]:
    """One row per field for the whole state: district items plus state-wide ones."""
    return [
        {
            "area": STATE,
            "field": slug,
            "statewide_offers": coverage.statewide[slug].active_offers,
            **coverage.at(STATE, slug).plus(coverage.statewide[slug]).as_dict(),
        }
        for slug in FIELD_SLUGS
        if field_slug in (None, slug)
    ]


def statewide_block(coverage: Coverage, field_slug: str | None = None) -> dict[str, dict]:
    return {slug: counts.as_dict() for slug, counts in coverage.statewide.items() if field_slug in (None, slug)}
