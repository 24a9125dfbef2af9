"""Partner routes: partners and their API keys (issue once, rotate without downtime, revoke)."""

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlmodel import Session

from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from services.offers.api.dependencies import authorize_partner, load_partner, runtime
from services.offers.models import PartnerKey
from services.offers.schemas import PartnerBody
from services.offers.usecases import partners

router = APIRouter(tags=["partners"])


@router.post("/partners", status_code=201, dependencies=[Depends(require_admin)])
def create_partner(body: PartnerBody, request: Request) -> dict:
    with runtime(request).transaction() as session:
        try:
            partner, key, api_key = partners.create_partner(session, body.name, body.actor_id)
        except partners.UnknownPartnerActor as error:
            raise invalid("body", error.field, str(error)) from error
        session.commit()
    return {"id": partner.id, "name": partner.name, "actor_id": partner.actor_id, "api_key": api_key,
            "key_id": key.id}


@router.get("/partners/{partner_id}/keys", dependencies=[Depends(authorize_partner)])
def list_keys(partner_id: str, request: Request) -> dict:
    with Session(runtime(request).engine) as session:
        load_partner(session, partner_id)
        return {"items": [partners.key_view(key) for key in partners.keys_of(session, partner_id)]}


@router.post("/partners/{partner_id}/keys", status_code=201, dependencies=[Depends(authorize_partner)])
def rotate_key(
    partner_id: str,
    request: Request,
    grace_hours: float = Query(24, ge=0, le=24 * 30, description="how long the older keys keep working"),
) -> dict:
    """Issue a new key; older keys keep working for `grace_hours` (0 = revoke them now)."""
    with runtime(request).transaction() as session:
        partner = load_partner(session, partner_id)
        key, api_key, old_keys_expire_at = partners.rotate_keys(session, partner, timedelta(hours=grace_hours))
        session.commit()
    return {"key_id": key.id, "api_key": api_key, "old_keys_expire_at": old_keys_expire_at}


@router.delete("/partners/{partner_id}/keys/{key_id}", status_code=204, dependencies=[Depends(authorize_partner)])
def revoke_key(partner_id: str, key_id: str, request: Request) -> Response:
    with runtime(request).transaction() as session:
        key = session.get(PartnerKey, key_id)
        if key is None or key.partner_id != partner_id:
            raise HTTPException(404, f"key {key_id} of partner {partner_id} not found")
        partners.revoke_key(session, key)
        session.commit()
    return Response(status_code=204)
