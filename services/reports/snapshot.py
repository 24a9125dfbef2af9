"""The fact rows as the domain's plain data: for consistency checks, the migration test and
tools, never per request (the reports read the counts, services/reports/queries.py)."""

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.reports import domain
from services.reports.models import ActorFact, ExampleFact, OfferFact, StateTransition


def active_offers(session: Session) -> list[domain.Offer]:
    rows = session.exec(
        select(OfferFact.district, OfferFact.fields, OfferFact.women_only, OfferFact.childcare, OfferFact.free,
               OfferFact.languages, OfferFact.published_at).where(OfferFact.status == domain.PUBLISHED)
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
    rows = session.exec(select(ExampleFact.district, ExampleFact.fields)
                        .where(ExampleFact.status == domain.PUBLISHED)).all()
    return [domain.Example(district, tuple(fields)) for district, fields in rows]


def facts(session: Session, now: datetime) -> domain.Facts:
    return domain.Facts(active_offers(session), active_actors(session), active_examples(session),
                        new_since=domain.new_since(now))


def load_facts(engine: Engine, now: datetime | None = None) -> domain.Facts:
    with Session(engine) as session:
        return facts(session, now or datetime.now(UTC))


def load_active_offers(engine: Engine) -> list[domain.Offer]:
    with Session(engine) as session:
        return active_offers(session)


def transitions(session: Session) -> list[domain.Transition]:
    """The recorded history (pruned after its retention; the trends read monthly_trends)."""
    rows = session.exec(
        select(StateTransition.entity_kind, StateTransition.entity_id, StateTransition.version, StateTransition.status,
               StateTransition.district, StateTransition.fields, StateTransition.occurred_at)
    ).all()
    return [domain.Transition(kind, entity_id, version, status, district, tuple(fields), occurred_at)
            for kind, entity_id, version, status, district, fields, occurred_at in rows]
