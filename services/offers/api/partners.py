"""Partner routes: partners and their API keys (issue once, rotate without downtime, revoke).
Each calls a use case of `usecases.partners` with the service's runtime as unit of work and maps
its errors to HTTP."""

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from services.offers.api.dependencies import authorize_partner, runtime
from services.offers.schemas import PartnerBody
from services.offers.usecases import partners

router = APIRouter(tags=["partners"])


@router.post("/partners", status_code=201, dependencies=[Depends(require_admin)])
def create_partner(body: PartnerBody, request: Request) -> dict:
    try:
        partner, key, api_key = partners.add_partner(runtime(request), body.name, body.actor_id)
    except partners.UnknownPartnerActor as error:
        raise invalid("body", error.field, str(error)) from error
    return {"id": partner.id, "name": partner.name, "actor_id": partner.actor_id, "api_key": api_key,
            "key_id": key.id}


@router.get("/partners/{partner_id}/keys", dependencies=[Depends(authorize_partner)])
def list_keys(partner_id: str, request: Request) -> dict:
    try:
        _, keys = partners.partner_keys(runtime(request), partner_id)
    except partners.PartnerNotFound as error:
        raise HTTPException(404, str(error)) from error
    return {"items": keys}


@router.post("/partners/{partner_id}/keys", status_code=201, dependencies=[Depends(authorize_partner)])
def rotate_key(
    partner_id: str,
    request: Request,
    grace_hours: float = Query(24, ge=0, le=24 * 30, description="how long the older keys keep working"),
) -> dict:
    """Issue a new key; older keys keep working for `grace_hours` (0 = revoke them now)."""
    try:
        key, api_key, old_keys_expire_at = partners.rotate_partner_keys(
            runtime(request), partner_id, timedelta(hours=grace_hours))
    except partners.PartnerNotFound as error:
        raise HTTPException(404, str(error)) from error
    return {"key_id": key.id, "api_key": api_key, "old_keys_expire_at": old_keys_expire_at}


@router.delete("/partners/{partner_id}/keys/{key_id}", status_code=204, dependencies=[Depends(authorize_partner)])
def revoke_key(partner_id: str, key_id: str, request: Request) -> Response:
    try:
        partners.revoke_partner_key(runtime(request), partner_id, key_id)
    except partners.PartnerKeyNotFound as error:
        raise HTTPException(404, str(error)) from error
    return Response(status_code=204)
