"""Bus subscribers of the offers service: one function per event type."""

from sqlmodel import Session

from npa.contracts import topics
from npa.contracts.envelope import CloudEvent
from npa.contracts.events import actors as actor_events
from npa.contracts.events import partner_offers as partner_events
from npa.infrastructure.consumer import RejectedEvent
from npa.infrastructure.runtime import Subscriptions
from services.offers import usecases
from services.offers.models import KnownActor, Partner


def on_actor_changed(session: Session, event: CloudEvent) -> None:
    state = actor_events.ActorState.model_validate(event.data)
    actor = session.get(KnownActor, state.id) or KnownActor(id=state.id, name=state.name)
    actor.name = state.name
    actor.active = state.active and event.type != actor_events.DEACTIVATED
    session.add(actor)


def _partner_of(session: Session, event: CloudEvent, partner_id: str) -> Partner:
    if event.source != partner_events.source_of(partner_id):
        raise RejectedEvent(f"source: {event.source!r} does not match data.partner_id {partner_id!r}")
    partner = session.get(Partner, partner_id)
    if partner is None or not partner.active:
        raise RejectedEvent(f"data.partner_id: unknown partner {partner_id!r}")
    return partner


def make_partner_handlers(base_url: str) -> dict:
    def on_partner_offer_upserted(session: Session, event: CloudEvent) -> None:
        message = partner_events.PartnerOfferUpserted.model_validate(event.data)
        partner = _partner_of(session, event, message.partner_id)
        existing = usecases.find_partner_offer(session, partner.id, message.external_id)
        try:
            usecases.save_offer(session, existing, message.offer, base_url=base_url, partner_id=partner.id,
                                external_id=message.external_id, default_provider=partner.actor_id)
        except usecases.OfferRejected as error:
            raise RejectedEvent(f"data.offer.{error.field}: {error}") from error

    def on_partner_offer_deleted(session: Session, event: CloudEvent) -> None:
        message = partner_events.PartnerOfferDeleted.model_validate(event.data)
        partner = _partner_of(session, event, message.partner_id)
        offer = usecases.find_partner_offer(session, partner.id, message.external_id)
        if offer is None:
            raise RejectedEvent(f"data.external_id: partner has no offer {message.external_id!r}")
        usecases.withdraw_offer(session, offer, base_url=base_url)

    return {
        partner_events.UPSERTED: on_partner_offer_upserted,
        partner_events.DELETED: on_partner_offer_deleted,
    }


def subscriptions(base_url: str) -> Subscriptions:
    return Subscriptions(
        topics=[topics.ACTORS, topics.PARTNER_OFFERS],
        handlers={**dict.fromkeys(actor_events.TYPES, on_actor_changed), **make_partner_handlers(base_url)},
    )
