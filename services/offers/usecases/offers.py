"""Operations shared by the HTTP API and the bus handlers: load, decide, store, stage event.

Each takes the caller's session; the caller commits, so the state change and its event
land in one transaction (transactional outbox).
"""

from datetime import date

from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.events import offers as offer_events
from npa.contracts.offer_body import OfferBody
from npa.contracts.reference import today_in_lower_saxony
from npa.infrastructure.outbox import stage, utcnow
from services.offers import domain
from services.offers.domain.search import search_columns
from services.offers.usecases.known_actors import UNKNOWN_ACTOR, is_known_and_active
from services.offers.models import Offer


class OfferRejected(ValueError):
    """The offer is well-formed but breaks a rule that needs the service's state or the date."""

    field = "offer"


class UnknownProvider(OfferRejected):
    """provider_actor_id names no known, active actor."""

    field = "provider_actor_id"


class OfferEnded(OfferRejected):
    """ends_on lies in the past: an ended offer cannot be published (it would expire at once)."""

    field = "ends_on"


def offer_event_data(offer_id: str, version: int, status: str, body: dict, partner_id: str | None,
                     external_id: str | None, changed: list[str] | None, base_url: str) -> dict:
    """`data` of an offer event (OfferState): the body as stored, which OfferBody already checked."""
    return {
        **body,
        "id": offer_id,
        "version": version,
        "status": status,
        "partner_id": partner_id,
        "external_id": external_id,
        "changed_fields": changed or [],
        "url": f"{base_url}/offers/{offer_id}" if base_url else None,
    }


def offer_state(offer: Offer, changed: list[str] | None = None, base_url: str = "") -> dict:
    return offer_event_data(offer.id, offer.version, offer.status, offer.body, offer.partner_id, offer.external_id,
                            changed, base_url)


def check_provider(session: Session, actor_id: str | None) -> None:
    if actor_id is not None and not is_known_and_active(session, actor_id):
        raise UnknownProvider(UNKNOWN_ACTOR.format(actor_id))


def _stage(session: Session, offer: Offer, decision: domain.Decision, base_url: str) -> None:
    assert decision.event_type is not None
    stage(session, topics.OFFERS, source=offer_events.SOURCE, type=decision.event_type, subject=offer.id,
          data=offer_state(offer, decision.changed_fields, base_url))


def find_partner_offer(session: Session, partner_id: str, external_id: str) -> Offer | None:
    query = select(Offer).where(Offer.partner_id == partner_id, Offer.external_id == external_id)
    return session.exec(query).first()


def save_offer(
    session: Session,
    offer: Offer | None,
    body: OfferBody,
    *,
    base_url: str,
    partner_id: str | None = None,
    external_id: str | None = None,
    default_provider: str | None = None,
    today: date | None = None,
    draft: bool = False,
) -> tuple[Offer, domain.Decision]:
    """Create or replace an offer's body; publishes only when something changed.

    A draft (new, or still a draft) is stored without an event; `publish_offer` announces it.
    """
    proposed = body.state()
    if proposed.get("provider_actor_id") is None:
        proposed["provider_actor_id"] = default_provider
    check_provider(session, proposed["provider_actor_id"])
    if domain.is_past_end(body.ends_on, today or today_in_lower_saxony()):
        raise OfferEnded(f"the offer ended on {body.ends_on}; an ended offer cannot be published")
    keep_draft = draft and (offer is None or offer.status == domain.DRAFT)
    if keep_draft:
        decision = domain.Decision(None, domain.changed_fields(offer.body if offer else {}, proposed))
    else:
        decision = domain.decide_upsert(offer.body if offer else None, offer.status if offer else None, proposed)
        if not decision.changes_anything:
            assert offer is not None
            return offer, decision
    if offer is None:
        offer = Offer(status=domain.DRAFT if keep_draft else domain.PUBLISHED, title=body.title, body=proposed,
                      partner_id=partner_id, external_id=external_id)
    else:
        offer.version += 0 if keep_draft else 1
        offer.status = domain.DRAFT if keep_draft else domain.PUBLISHED
        offer.title = body.title
        offer.body = proposed
        offer.updated_at = utcnow()
    offer.district = proposed["district"]
    offer.ends_on = body.ends_on
    offer.sqlmodel_update(search_columns(proposed))
    session.add(offer)
    if decision.changes_anything:
        _stage(session, offer, decision, base_url)
    return offer, decision


def publish_offer(session: Session, offer: Offer, *, base_url: str, today: date | None = None) -> domain.Decision:
    """Announce a draft; publishing a published offer changes nothing."""
    if offer.status == domain.PUBLISHED:
        return domain.Decision(None)
    if domain.is_past_end(offer.ends_on, today or today_in_lower_saxony()):
        raise OfferEnded(f"the offer ended on {offer.ends_on}; an ended offer cannot be published")
    decision = domain.Decision(offer_events.PUBLISHED, ["status"])
    offer.version += 0 if offer.status == domain.DRAFT else 1
    offer.status = domain.PUBLISHED
    offer.updated_at = utcnow()
    session.add(offer)
    _stage(session, offer, decision, base_url)
    return decision


def withdraw_offer(session: Session, offer: Offer, *, base_url: str) -> domain.Decision:
    decision = domain.decide_withdrawal(offer.status)
    if decision.changes_anything:
        offer.version += 1
        offer.status = domain.WITHDRAWN
        offer.updated_at = utcnow()
        session.add(offer)
        _stage(session, offer, decision, base_url)
    return decision


def expire_due(session: Session, today: date, *, base_url: str, limit: int = 500) -> int:
    """Mark published offers whose end date has passed as expired; returns how many.

    On PostgreSQL the rows are locked with SKIP LOCKED, so replicas running the same
    scheduler never expire (and announce) one offer twice.
    """
    query = (
        select(Offer)
        .where(Offer.status == domain.PUBLISHED, Offer.ends_on < today)  # type: ignore[operator]
        .order_by(Offer.ends_on, Offer.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    expired = 0
    for offer in session.exec(query).all():
        decision = domain.decide_expiry(offer.status, offer.ends_on, today)
        if not decision.changes_anything:
            continue
        offer.version += 1
        offer.status = domain.EXPIRED
        offer.updated_at = utcnow()
        session.add(offer)
        _stage(session, offer, decision, base_url)
        expired += 1
    return expired
