"""Bus subscribers of the offers service: event type → batch handler, one line each."""

from npa.contracts.events import actors as actor_events
from npa.contracts.events import editors as editor_events
from npa.contracts.events import partner_offers as partner_events
from npa.infrastructure import editor_revocations
from npa.infrastructure.consumer import HandlerTable
from services.offers.usecases import known_actors, partner_offers

HANDLERS: HandlerTable = {
    actor_events.REGISTERED: known_actors.on_actor_events,
    actor_events.UPDATED: known_actors.on_actor_events,
    actor_events.DEACTIVATED: known_actors.on_actor_events,
    partner_events.UPSERTED: partner_offers.on_partner_offer_events,
    partner_events.DELETED: partner_offers.on_partner_offer_events,
    editor_events.SESSIONS_REVOKED: editor_revocations.on_editor_events,
}
