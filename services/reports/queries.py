"""Reading the read models into the domain's plain data (shared by API, pages and metrics)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from npa.contracts.reference import FIELDS
from services.reports import domain
from services.reports.models import (
    ActorFact,
    ExampleFact,
    NotificationCount,
    OfferFact,
    StateTransition,
    SubscriptionFact,
)

ACTIVE_OFFER = OfferFact.status == domain.PUBLISHED
ACTIVE_EXAMPLE = ExampleFact.status == domain.PUBLISHED


def active_offers(session: Session) -> list[domain.Offer]:
    rows = session.exec(
        select(OfferFact.district, OfferFact.fields, OfferFact.women_only, OfferFact.childcare, OfferFact.free,
               OfferFact.languages, OfferFact.published_at).where(ACTIVE_OFFER)
    ).all()
    return [
        domain.Offer(district, tuple(fields), True, women_only, childcare, free, tuple(languages), published_at)
        for district, fields, women_only, childcare, free, languages, published_at in rows
    ]


def active_actors(session: Session) -> list[domain.Actor]:
    rows = session.exec(
        select(ActorFact.districts, ActorFact.fields, ActorFact.is_multiplier).where(ActorFact.active == True)  # noqa: E712
    ).all()
    return [domain.Actor(tuple(districts), tuple(fields), is_multiplier) for districts, fields, is_multiplier in rows]


def active_examples(session: Session) -> list[domain.Example]:
    rows = session.exec(select(ExampleFact.district, ExampleFact.fields).where(ACTIVE_EXAMPLE)).all()
    return [domain.Example(district, tuple(fields)) for district, fields in rows]


def facts(session: Session, now: datetime) -> domain.Facts:
    return domain.Facts(active_offers(session), active_actors(session), active_examples(session),
                        new_since=domain.new_since(now))


def load_facts(engine: Engine, now: datetime | None = None) -> domain.Facts:
    with Session(engine) as session:
        return facts(session, now or utc_now())


def load_active_offers(engine: Engine) -> list[domain.Offer]:
    with Session(engine) as session:
        return active_offers(session)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_of(session: Session) -> datetime | None:
    """Time of the newest event applied to any read model, to show how fresh a report is."""
    times = [
        session.exec(select(func.max(model.updated_at))).one()
        for model in (OfferFact, ExampleFact, ActorFact, NotificationCount, SubscriptionFact)
    ]
    present = [time for time in times if time is not None]
    return max(present) if present else None


def data_as_of(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return as_of(session)


def transitions(session: Session) -> list[domain.Transition]:
    rows = session.exec(
        select(StateTransition.entity_kind, StateTransition.entity_id, StateTransition.version, StateTransition.status,
               StateTransition.district, StateTransition.fields, StateTransition.occurred_at)
    ).all()
    return [domain.Transition(kind, entity_id, version, status, district, tuple(fields), occurred_at)
            for kind, entity_id, version, status, district, fields, occurred_at in rows]


def contributions(session: Session) -> list[domain.Contribution]:
    """Offers and good examples ever published, per provider actor / example actor."""
    offers = session.exec(
        select(OfferFact.provider_actor_id, func.count(), func.sum(case((ACTIVE_OFFER, 1), else_=0)))
        .where(OfferFact.provider_actor_id.is_not(None), OfferFact.published_at.is_not(None))  # type: ignore[union-attr]
        .group_by(OfferFact.provider_actor_id)
    ).all()
    examples = session.exec(
        select(ExampleFact.actor_id, func.count())
        .where(ExampleFact.actor_id.is_not(None), ExampleFact.published_at.is_not(None))  # type: ignore[union-attr]
        .group_by(ExampleFact.actor_id)
    ).all()
    return [domain.Contribution(actor_id, published, int(active or 0)) for actor_id, published, active in offers] + [
        domain.Contribution(actor_id, examples_published=published) for actor_id, published in examples
    ]


def actor_infos(session: Session) -> dict[str, domain.ActorInfo]:
    rows = session.exec(
        select(ActorFact.id, ActorFact.name, ActorFact.kind, ActorFact.active, ActorFact.is_multiplier)
    ).all()
    return {row[0]: domain.ActorInfo(*row) for row in rows}


def published_since(session: Session, since: datetime) -> tuple[int, int]:
    """Offers and good examples first published at or after `since`."""
    offers = session.exec(select(func.count()).select_from(OfferFact).where(OfferFact.published_at >= since)).one()
    examples = session.exec(select(func.count()).select_from(ExampleFact).where(ExampleFact.published_at >= since)).one()
    return offers, examples


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
        .where(ACTIVE_EXAMPLE)
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
    interests = session.exec(select(SubscriptionFact.fields).where(SubscriptionFact.active == True)).all()  # noqa: E712
    subscribers = dict.fromkeys(FIELDS, 0)
    for fields in interests:
        for slug in set(fields or FIELDS) & set(FIELDS):
            subscribers[slug] += 1
    return [
        NotificationFigures(
            slug,
            counts[slug].sent if slug in counts else 0,
            counts[slug].failed if slug in counts else 0,
            subscribers[slug],
        )
        for slug in FIELDS
    ]


def notification_figures(engine: Engine) -> list[NotificationFigures]:
    with Session(engine) as session:
        return notifications(session)
