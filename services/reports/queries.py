"""Reading the counted read models into the domain's plain data (API, pages, CSV, metrics).

Every query reads counts the consumer keeps (ADR 12): a few hundred rows whatever the number
of offers, never the offers themselves. The one exception is bounded: "new" offers need the
offers first published on the 30-day boundary's day after the boundary instant, an indexed
range over one day's first publications.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, or_, true
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from npa.contracts.reference import ARL_REGIONS, FIELDS, districts
from services.reports import domain
from services.reports.models import (
    ActorContribution,
    ActorFact,
    CoverageCount,
    ExampleFact,
    LanguageCount,
    MonthlyTrend,
    NewOfferCount,
    NotificationCount,
    OfferFact,
    PublicationCount,
    SubscriptionFact,
)
from services.reports.snapshot import facts, load_active_offers, load_facts, transitions  # noqa: F401  (checks, tests)

def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CoverageLevels:
    """The coverage at every level, and per area the totals over all fields (field `alle`):
    offers and examples per district, STATEWIDE and STATE; every count for EVERYWHERE."""

    by_district: domain.Coverage
    by_region: domain.Coverage
    by_state: domain.Coverage
    totals: dict[str, dict[str, int]]


def _new_offers(session: Session, now: datetime) -> dict[tuple[str, str], int]:
    """Active offers first published at or after `now` − 30 days, per coverage area × field."""
    since = domain.new_since(now)
    boundary_day = domain.utc_day(since)
    next_midnight = datetime.combine(boundary_day + timedelta(days=1), time(), UTC)
    new: dict[tuple[str, str], int] = defaultdict(int)
    # Summed here, not with GROUP BY: SQLite would then walk the primary key (every day ever kept)
    # instead of the range of the day index.
    counts = NewOfferCount.__table__  # type: ignore[attr-defined]  (Core rows: no ORM row processing)
    recent = session.execute(select(counts.c.area, counts.c.field, counts.c.active_offers)
                             .where(counts.c.day > boundary_day)).all()
    for home, slug, count in recent:
        for area in domain.home_areas(home):
            new[(area, slug)] += count
    # The status is checked here: with it in the WHERE clause SQLite walks the status index
    # (every active offer) instead of the published_at range (less than a day's first publications).
    on_boundary_day = session.exec(
        select(OfferFact.district, OfferFact.fields, OfferFact.status)
        .where(OfferFact.published_at >= since, OfferFact.published_at < next_midnight)  # type: ignore[operator]
    ).all()
    for district, fields, status in on_boundary_day:
        if not domain.is_active(status):
            continue
        for area in domain.coverage_areas(district):
            for slug in domain.known_fields(fields):
                new[(area, slug)] += 1
    return new


ITEM_COUNTS = ("active_offers", "women_only_offers", "childcare_offers", "free_offers", "examples")
ACTOR_COUNTS = ("actors", "multipliers", "initiatives")
LEVEL_AREAS = {*ARL_REGIONS, domain.STATE, domain.EVERYWHERE}


def coverage(session: Session, now: datetime) -> CoverageLevels:
    """Offers and examples are counted per home area and summed up to regions and the state;
    actors are counted in every area (services/reports/domain/counts.py)."""
    table = CoverageCount.__table__  # type: ignore[attr-defined]
    rows = session.execute(select(table.c.area, table.c.field, *(table.c[name] for name in ITEM_COUNTS),
                                  *(table.c[name] for name in ACTOR_COUNTS))).all()
    items: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(ITEM_COUNTS))
    actors: dict[tuple[str, str], tuple[int, ...]] = {}
    totals: dict[str, dict[str, int]] = {}
    split = 2 + len(ITEM_COUNTS)
    for row in rows:
        area, slug, counted, actor_counts = row[0], row[1], row[2:split], tuple(row[split:])
        if area == domain.EVERYWHERE:
            totals[area] = dict(zip((*ITEM_COUNTS, *ACTOR_COUNTS), (*counted, *actor_counts), strict=True))
            continue
        actors[(area, slug)] = actor_counts
        if area in LEVEL_AREAS:
            continue
        for target in domain.home_areas(area):
            summed = items[(target, slug)]
            for index, value in enumerate(counted):
                summed[index] += value
    for (area, slug), summed in items.items():
        if slug == domain.ALL_FIELDS:
            totals[area] = dict(zip(ITEM_COUNTS, summed, strict=True))
    languages: dict[tuple[str, str], set[str]] = defaultdict(set)
    spoken = LanguageCount.__table__  # type: ignore[attr-defined]
    for home, slug, language in session.execute(select(spoken.c.area, spoken.c.field, spoken.c.language)
                                                .where(spoken.c.active_offers > 0)).all():
        for area in domain.home_areas(home):
            languages[(area, slug)].add(language)
    new = _new_offers(session, now)

    def cell(area: str, slug: str) -> domain.Counts:
        counted = dict(zip(ITEM_COUNTS, items.get((area, slug), ()), strict=False))
        counted.update(zip(ACTOR_COUNTS[:2], actors.get((area, slug), ()), strict=False))
        return domain.Counts(**counted, new_offers=new.get((area, slug), 0), languages=set(languages[(area, slug)]))

    def level(areas: tuple[str, ...]) -> domain.Coverage:
        return domain.Coverage(areas, {(area, slug): cell(area, slug) for area in areas for slug in domain.FIELD_SLUGS},
                               {slug: cell(domain.STATEWIDE, slug) for slug in domain.FIELD_SLUGS})

    return CoverageLevels(level(tuple(districts())), level(ARL_REGIONS), level((domain.STATE,)), totals)


def active_offer_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """Active offers per (district key or `landesweit`, field), for the Prometheus gauge."""
    with Session(engine) as session:
        rows = session.exec(select(CoverageCount.area, CoverageCount.field, CoverageCount.active_offers)).all()
    return {(area, slug): count for area, slug, count in rows}


def trend_rows(session: Session, region: str | None) -> list[domain.MonthRow]:
    """One area's monthly rows: a district key, an ARL region or None (the whole state)."""
    area = region or domain.WHOLE_STATE
    return list(session.exec(
        select(MonthlyTrend.kind, MonthlyTrend.month, MonthlyTrend.field, MonthlyTrend.active_change,
               MonthlyTrend.new_offers, MonthlyTrend.ended_offers).where(MonthlyTrend.area == area)
    ).all())


def recognised(session: Session, limit: int | None = None) -> list[domain.RecognisedActor]:
    """Actors by offers plus good examples ever published, most first, deactivated ones left out;
    ties by active offers, then name and id in code point order (as Python sorts)."""
    total = ActorContribution.offers_published + ActorContribution.examples_published
    name = func.coalesce(ActorFact.name, "")
    actor_id = ActorContribution.actor_id
    if session.get_bind().dialect.name == "postgresql":
        name, actor_id = name.collate("C"), actor_id.collate("C")
    rows = session.exec(
        select(ActorContribution.actor_id, ActorFact.name, ActorFact.kind, ActorFact.is_multiplier,
               ActorContribution.offers_published, ActorContribution.offers_active,
               ActorContribution.examples_published)
        .outerjoin(ActorFact, ActorFact.id == ActorContribution.actor_id)  # type: ignore[arg-type]
        .where(total > 0, or_(ActorFact.id.is_(None), ActorFact.active == true()))  # type: ignore[union-attr]
        .order_by(total.desc(), ActorContribution.offers_active.desc(), name, actor_id)
        .limit(limit)
    ).all()
    return [domain.RecognisedActor(key, name, kind, bool(multiplier), offers, active, examples, offers + examples)
            for key, name, kind, multiplier, offers, active, examples in rows]


def thank_you(session: Session, now: datetime, levels: CoverageLevels) -> domain.ThankYouTotals:
    year = domain.year_start(now).year
    published = dict(session.exec(
        select(PublicationCount.kind, func.sum(PublicationCount.published))
        .where(PublicationCount.year >= year).group_by(PublicationCount.kind)
    ).all())
    everything = levels.totals.get(domain.EVERYWHERE, {})

    def active_offers(area: str) -> int:
        return levels.totals.get(area, {}).get("active_offers", 0)

    return domain.ThankYouTotals(
        year=year,
        actors_active=everything.get("actors", 0),
        initiatives_active=everything.get("initiatives", 0),
        multipliers_active=everything.get("multipliers", 0),
        offers_active=active_offers(domain.STATE) + active_offers(domain.STATEWIDE),
        offers_published_this_year=int(published.get(domain.OFFER, 0) or 0),
        examples_published_this_year=int(published.get(domain.EXAMPLE, 0) or 0),
        districts_reached=sum(active_offers(key) > 0 for key in districts()),
    )


def as_of(session: Session) -> datetime | None:
    """Time of the newest event applied to any read model, to show how fresh a report is (indexed maxima)."""
    times = [
        session.exec(select(func.max(model.updated_at))).one()
        for model in (OfferFact, ExampleFact, ActorFact, NotificationCount, SubscriptionFact)
    ]
    present = [time for time in times if time is not None]
    return max(present) if present else None


def data_as_of(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return as_of(session)


@dataclass(frozen=True)
class GoodExample:
    id: str
    title: str
    district: str | None
    fields: list[str]
    actor_id: str | None
    page_url: str | None
    published_at: datetime | None


def good_examples(session: Session, limit: int | None = None) -> list[GoodExample]:
    """Published good examples, the most recently published first."""
    query = (
        select(ExampleFact.id, ExampleFact.title, ExampleFact.district, ExampleFact.fields, ExampleFact.actor_id,
               ExampleFact.page_url, ExampleFact.published_at)
        .where(ExampleFact.status == domain.PUBLISHED)
        .order_by(ExampleFact.published_at.desc(), ExampleFact.id)  # type: ignore[union-attr]
        .limit(limit)
    )
    return [GoodExample(*row) for row in session.exec(query).all()]


@dataclass(frozen=True)
class NotificationFigures:
    field: str
    sent: int
    failed: int
    active_subscriptions: int


def notifications(session: Session) -> list[NotificationFigures]:
    """Alerts sent/failed and active subscriptions per field (a subscription with no field wants all)."""
    counts = {row.field: row for row in session.exec(select(NotificationCount)).all()}
    return [NotificationFigures(slug, *((counts[slug].sent, counts[slug].failed, counts[slug].active_subscriptions)
                                        if slug in counts else (0, 0, 0)))
            for slug in FIELDS]


def notification_figures(engine: Engine) -> list[NotificationFigures]:
    with Session(engine) as session:
        return notifications(session)
