"""Reading the read models into the domain's plain data (shared by API, pages and metrics)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from npa.contracts.reference import FIELDS
from services.reports import domain
from services.reports.models import ActorFact, ExampleFact, NotificationCount, OfferFact, SubscriptionFact


def active_offers(session: Session) -> list[domain.Offer]:
    rows = session.exec(
        select(OfferFact.district, OfferFact.fields, OfferFact.women_only, OfferFact.childcare, OfferFact.free)
        .where(OfferFact.status == domain.PUBLISHED)
    ).all()
    return [
        domain.Offer(district, tuple(fields), True, women_only, childcare, free)
        for district, fields, women_only, childcare, free in rows
    ]


def active_actors(session: Session) -> list[domain.Actor]:
    rows = session.exec(
        select(ActorFact.districts, ActorFact.fields, ActorFact.is_multiplier).where(ActorFact.active == True)  # noqa: E712
    ).all()
    return [domain.Actor(tuple(districts), tuple(fields), is_multiplier) for districts, fields, is_multiplier in rows]


def active_examples(session: Session) -> list[domain.Example]:
    rows = session.exec(
        select(ExampleFact.district, ExampleFact.fields).where(ExampleFact.status == domain.PUBLISHED)
    ).all()
    return [domain.Example(district, tuple(fields)) for district, fields in rows]


def load_facts(engine: Engine) -> domain.Facts:
    with Session(engine) as session:
        return domain.Facts(active_offers(session), active_actors(session), active_examples(session))


def load_active_offers(engine: Engine) -> list[domain.Offer]:
    with Session(engine) as session:
        return active_offers(session)


def data_as_of(engine: Engine) -> datetime | None:
    """Time of the newest event applied to any read model, to show how fresh a report is."""
    with Session(engine) as session:
        times = [
            session.exec(select(func.max(model.updated_at))).one()
            for model in (OfferFact, ExampleFact, ActorFact, NotificationCount, SubscriptionFact)
        ]
    present = [time for time in times if time is not None]
    return max(present) if present else None


@dataclass(frozen=True)
class NotificationFigures:
    field: str
    sent: int
    failed: int
    active_subscriptions: int


def notification_figures(engine: Engine) -> list[NotificationFigures]:
    """Alerts sent/failed and active subscriptions per field (a subscription with no field wants all)."""
    with Session(engine) as session:
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
