"""Partner routes: partners and their API keys (issue once, rotate without downtime, revoke)."""

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from npa.contracts.text import SingleLine
from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from services.offers.api.dependencies import authorize_partner, load_partner, runtime
from services.offers.models import KnownActor, Partner, PartnerKey
from services.offers.usecases import partners

router = APIRouter(tags=["partners"])


class PartnerBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine = Field(min_length=2, max_length=200)
    actor_id: SingleLine = Field(min_length=1, max_length=36)


@router.post("/partners", status_code=201, dependencies=[Depends(require_admin)])
def create_partner(body: PartnerBody, request: Request) -> dict:
    with runtime(request).transaction() as session:
        actor = session.get(KnownActor, body.actor_id)
        if actor is None or not actor.active:
            raise invalid("body", "actor_id", f"unknown or inactive actor {body.actor_id!r} "
                          "(a newly registered actor appears here within seconds)")
        partner = Partner(name=body.name, actor_id=body.actor_id)
        session.add(partner)
        key, api_key = partners.issue_key(session, partner)
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
