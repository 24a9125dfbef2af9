"""What the offers routes share: the runtime, public base URL and partner authorisation."""

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from npa.infrastructure.auth import bearer_token, is_admin
from npa.infrastructure.runtime import ServiceRuntime
from services.offers.usecases.partners import partner_for_key


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def base_url(request: Request) -> str:
    return runtime(request).settings.public_base_url


def authorize_partner(request: Request, partner_id: str, token: str = Depends(bearer_token)) -> None:
    """The partner's own API key, or the admin token, may write that partner's offers."""
    if is_admin(request, token):
        return
    with Session(runtime(request).engine) as session:
        partner = partner_for_key(session, token)
    if partner is None:
        raise HTTPException(401, "unknown, expired or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    if partner.id != partner_id:
        raise HTTPException(403, "this API key belongs to another partner")
