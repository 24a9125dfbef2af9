"""Operations shared by the HTTP API and the bus handlers, one module per aggregate."""

from services.offers.usecases.offers import (  # noqa: F401
    UnknownProvider,
    check_provider,
    find_partner_offer,
    offer_state,
    save_offer,
    withdraw_offer,
)
