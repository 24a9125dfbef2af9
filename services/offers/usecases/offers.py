"""Offers: load, decide, store, stage the event.

The operations taking a `uow` are what the routes and the editor views call: each owns its
transaction, so the state change, its event (transactional outbox) and an editor's audit
entry are committed together, and returns the offer's state or a detached row. The
session-taking steps they are composed of (`save_offer`, `publish_offer`, `withdraw_offer`,
`expire_due`) are shared with the bus handlers and the expiry sweep, which run them inside
their own transaction.
"""

from datetime import date
from typing import Any

from sqlmodel import Session, select

from npa.contracts import topics
from npa.contracts.events import offers as offer_events
from npa.contracts.offer_body import OfferBody
from npa.contracts.reference import today_in_lower_saxony
from npa.infrastructure import audit
from npa.infrastructure.database import lock_for_write
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import stage, utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
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


class OfferNotFound(LookupError):
    def __init__(self, offer_id: str) -> None:
        super().__init__(f"offer {offer_id} not found")


class OfferClosed(Exception):
    """A withdrawn or expired offer can no longer be edited."""

    def __init__(self, offer: Offer) -> None:
        super().__init__(f"offer {offer.id} is {offer.status}; it can no longer be edited")


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


def create_offer(uow: UnitOfWork, body: OfferBody, *, base_url: str, draft: bool = False) -> dict:
    """The new offer's state; a draft is stored without an event until it is published."""
    with uow.transaction() as session:
        offer, decision = save_offer(session, None, body, base_url=base_url, draft=draft)
        session.commit()
    return offer_state(offer, decision.changed_fields, base_url)


def update_offer(uow: UnitOfWork, offer_id: str, changes: dict[str, Any], *, base_url: str) -> dict:
    """`changes` are merged into the stored body and the result is checked as a whole offer
    (pydantic's ValidationError, before anything is written); a draft stays a draft."""
    with uow.transaction() as session:
        offer = load_offer(session, offer_id)
        if offer.status in (domain.WITHDRAWN, domain.EXPIRED):
            raise OfferClosed(offer)
        current = {name: offer.body.get(name) for name in OfferBody.model_fields}
        body = OfferBody.model_validate({**current, **changes})
        offer, decision = save_offer(session, offer, body, base_url=base_url, partner_id=offer.partner_id,
                                     external_id=offer.external_id, draft=offer.status == domain.DRAFT)
        session.commit()
    return offer_state(offer, decision.changed_fields, base_url)


def publish_offer_by_id(uow: UnitOfWork, offer_id: str, *, base_url: str) -> dict:
    with uow.transaction() as session:
        offer = load_offer(session, offer_id)
        decision = publish_offer(session, offer, base_url=base_url)
        session.commit()
    return offer_state(offer, decision.changed_fields, base_url)


def withdraw_offer_by_id(uow: UnitOfWork, offer_id: str, *, base_url: str, by: Editor | None = None,
                         reason: str = "") -> domain.Decision:
    """`by` is the editor named in the audit trail (with the reason, if one was given), when the
    withdrawal changed anything; the JSON API's admin token records none."""
    with uow.transaction() as session:
        offer = load_offer(session, offer_id)
        decision = withdraw_offer(session, offer, base_url=base_url)
        if by is not None and decision.changes_anything:
            audit.record(session, by, "offer.withdrawn", "offer", offer.id,
                         f"{offer.title}{' – Grund: ' + reason if reason else ''}")
        session.commit()
    return decision


def get_offer(uow: UnitOfWork, offer_id: str) -> Offer | None:
    """Whatever its status: whether the reader may see a draft is the caller's to decide."""
    with uow.reading() as session:
        return session.get(Offer, offer_id)


def load_offer(session: Session, offer_id: str) -> Offer:
    """Locked (`lock_for_write`), so concurrent writers cannot both take version n+1."""
    lock_for_write(session)
    offer = session.get(Offer, offer_id, with_for_update=True)
    if offer is None:
        raise OfferNotFound(offer_id)
    return offer


def find_partner_offer(session: Session, partner_id: str, external_id: str, *,
                       for_update: bool = False) -> Offer | None:
    """`for_update`: before a write that depends on it (`lock_for_write`)."""
    query = select(Offer).where(Offer.partner_id == partner_id, Offer.external_id == external_id)
    if for_update:
        lock_for_write(session)
        query = query.with_for_update()
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
    scheduler never expire (and announce) one offer twice; on SQLite the sweep holds the write
    turn from its read on (`lock_for_write`).
    """
    lock_for_write(session)
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
