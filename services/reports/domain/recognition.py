"""Recognition: who contributes most, and the totals the alliance thanks its helpers with."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from npa.contracts.reference import districts
from services.reports.domain.facts import Facts

INITIATIVE = "initiative"  # the actors registry's kind for volunteers' initiatives
TOP_ACTORS = 10


@dataclass(frozen=True)
class Contribution:
    """What one actor has published, as the read models know it (ever, not only now)."""

    actor_id: str
    offers_published: int = 0
    offers_active: int = 0
    examples_published: int = 0


@dataclass(frozen=True)
class ActorInfo:
    id: str
    name: str
    kind: str
    active: bool
    is_multiplier: bool


@dataclass(frozen=True)
class RecognisedActor:
    actor_id: str
    name: str | None  # None: the actor's own events have not reached the reports yet
    kind: str | None
    is_multiplier: bool
    offers_published: int
    offers_active: int
    examples_published: int
    total_published: int


def most_active_actors(contributions: Iterable[Contribution], actors: Mapping[str, ActorInfo],
                       limit: int | None = TOP_ACTORS) -> list[RecognisedActor]:
    """Actors by offers plus good examples ever published, most first; deactivated actors are left out.

    Ties: more active offers first, then name and id, so the order is stable.
    """
    merged: dict[str, list[int]] = {}
    for item in contributions:
        totals = merged.setdefault(item.actor_id, [0, 0, 0])
        totals[0] += item.offers_published
        totals[1] += item.offers_active
        totals[2] += item.examples_published
    ranked = []
    for actor_id, (offers, active, examples) in merged.items():
        info = actors.get(actor_id)
        if info is not None and not info.active:
            continue
        if offers + examples == 0:
            continue
        ranked.append(RecognisedActor(
            actor_id, info.name if info else None, info.kind if info else None,
            bool(info and info.is_multiplier), offers, active, examples, offers + examples,
        ))
    ranked.sort(key=lambda a: (-a.total_published, -a.offers_active, a.name or "", a.actor_id))
    return ranked[:limit]


THANK_YOU_LABELS = {
    "year": "Jahr",
    "actors_active": "Aktive Akteure",
    "initiatives_active": "davon Initiativen von Ehrenamtlichen",
    "multipliers_active": "davon Multiplikatorinnen und Multiplikatoren",
    "offers_active": "Aktive Angebote (mit landesweiten)",
    "offers_published_this_year": "Angebote erstmals veröffentlicht in diesem Jahr",
    "examples_published_this_year": "Gute Beispiele veröffentlicht in diesem Jahr",
    "districts_reached": "Landkreise mit eigenem Angebot",
}


@dataclass(frozen=True)
class ThankYouTotals:
    year: int
    actors_active: int
    initiatives_active: int
    multipliers_active: int
    offers_active: int
    offers_published_this_year: int
    examples_published_this_year: int
    districts_reached: int


def thank_you_totals(facts: Facts, actors: Iterable[ActorInfo], *, year: int, offers_this_year: int,
                     examples_this_year: int) -> ThankYouTotals:
    """`districts_reached`: districts with at least one active offer of their own (any field)."""
    known = districts()
    active_actors = [actor for actor in actors if actor.active]
    active_offers = [offer for offer in facts.offers if offer.active and (offer.district is None or offer.district in known)]
    return ThankYouTotals(
        year=year,
        actors_active=len(active_actors),
        initiatives_active=sum(actor.kind == INITIATIVE for actor in active_actors),
        multipliers_active=sum(actor.is_multiplier for actor in active_actors),
        offers_active=len(active_offers),
        offers_published_this_year=offers_this_year,
        examples_published_this_year=examples_this_year,
        districts_reached=len({offer.district for offer in active_offers} - {None}),
    )
