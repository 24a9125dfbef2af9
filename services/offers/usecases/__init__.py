"""Operations shared by the HTTP API and the bus handlers, one module per aggregate."""

from services.offers.usecases.offers import (  # noqa: F401
    OfferEnded,
    OfferRejected,
    UnknownProvider,
    check_provider,
    expire_due,
    find_partner_offer,
    offer_state,
    publish_offer,
    save_offer,
    withdraw_offer,
)
