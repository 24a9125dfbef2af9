"""What the offers routes share: the runtime, public base URL and partner authorisation."""

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from npa.infrastructure.auth import bearer_token, is_admin
from npa.infrastructure.request_runtime import base_url, runtime  # noqa: F401  (re-exported for the routes)
from services.offers.api import rate_limit
from services.offers.usecases.partners import partner_holding_key


@dataclass(frozen=True)
class PartnerAccess:
    """Who may write this partner's offers: the partner itself (rate limited) or an admin."""

    partner_id: str
    admin: bool


def authorize_partner(request: Request, partner_id: str, token: str = Depends(bearer_token)) -> PartnerAccess:
    """The partner's own API key, or the admin token, may write that partner's offers.

    A partner's writes to its offers (PUT/DELETE, import) take a token from the partner's
    bucket (api/rate_limit.py) and answer 429 with Retry-After when it is empty; the admin
    token and the key routes are not limited.
    """
    if is_admin(request, token):
        return PartnerAccess(partner_id, admin=True)
    partner = partner_holding_key(runtime(request), token)
    if partner is None:
        raise HTTPException(401, "unknown, expired or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    if partner.id != partner_id:
        raise HTTPException(403, "this API key belongs to another partner")
    if rate_limit.is_limited_route(request):
        rate_limit.charge(request, partner.id)
    return PartnerAccess(partner.id, admin=False)
