"""What the offers service does, one module per aggregate. Routes, pages and editor views call
the use cases that take a unit of work and own their transaction (ADR 25); bus handlers and the
expiry sweep call the session-taking steps inside their own transaction."""

from services.offers.usecases.offers import (  # noqa: F401
    OfferClosed,
    OfferEnded,
    OfferNotFound,
    OfferRejected,
    UnknownProvider,
    check_provider,
    create_offer,
    expire_due,
    find_partner_offer,
    get_offer,
    offer_state,
    publish_offer,
    publish_offer_by_id,
    save_offer,
    update_offer,
    withdraw_offer,
    withdraw_offer_by_id,
)
