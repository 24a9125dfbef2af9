"""What the offers routes share: the runtime, public base URL and partner authorisation."""

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, select

from npa.infrastructure.auth import bearer_token, hash_api_key, is_admin
from npa.infrastructure.runtime import ServiceRuntime
from services.offers.models import Partner


def runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def base_url(request: Request) -> str:
    return runtime(request).settings.public_base_url


def authorize_partner(request: Request, partner_id: str, token: str = Depends(bearer_token)) -> None:
    """The partner's own API key, or the admin token, may write that partner's offers."""
    if is_admin(request, token):
        return
    with Session(runtime(request).engine) as session:
        partner = session.exec(select(Partner).where(Partner.api_key_hash == hash_api_key(token))).first()
    if partner is None or not partner.active:
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    if partner.id != partner_id:
        raise HTTPException(403, "this API key belongs to another partner")
