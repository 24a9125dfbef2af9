"""JSON routes of the offers service: partners, partner upserts and offers."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from npa.contracts.offer_body import OfferBody
from npa.contracts.reference import districts_in, is_region
from npa.infrastructure.errors import invalid
from npa.infrastructure.auth import bearer_token, hash_api_key, is_admin, new_api_key, require_admin
from services.offers import usecases
from services.offers.models import KnownActor, Offer, Partner

router = APIRouter(prefix="/api/v1", tags=["offers"])

ExternalId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


class PartnerBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)
    actor_id: str = Field(min_length=1, max_length=36)


def _runtime(request: Request):  # noqa: ANN202
    return request.app.state.runtime


def _base_url(request: Request) -> str:
    return _runtime(request).settings.public_base_url


def authorize_partner(request: Request, partner_id: str, token: str = Depends(bearer_token)) -> None:
    """The partner's own API key, or the admin token, may write that partner's offers."""
    if is_admin(request, token):
        return
    with Session(_runtime(request).engine) as session:
        partner = session.exec(select(Partner).where(Partner.api_key_hash == hash_api_key(token))).first()
    if partner is None or not partner.active:
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    if partner.id != partner_id:
        raise HTTPException(403, "this API key belongs to another partner")


@router.post("/partners", status_code=201, dependencies=[Depends(require_admin)], tags=["partners"])
def create_partner(body: PartnerBody, request: Request) -> dict:
    api_key = new_api_key()
    with _runtime(request).transaction() as session:
        actor = session.get(KnownActor, body.actor_id)
        if actor is None or not actor.active:
            raise invalid("body", "actor_id", f"unknown or inactive actor {body.actor_id!r} (a newly registered actor appears here within seconds)")
        partner = Partner(name=body.name, actor_id=body.actor_id, api_key_hash=hash_api_key(api_key))
        session.add(partner)
        session.commit()
    return {"id": partner.id, "name": partner.name, "actor_id": partner.actor_id, "api_key": api_key}


@router.put("/partners/{partner_id}/offers/{external_id}", dependencies=[Depends(authorize_partner)], tags=["partners"])
def upsert_partner_offer(partner_id: str, external_id: ExternalId, body: OfferBody, request: Request, response: Response) -> dict:
    with _runtime(request).transaction() as session:
        partner = session.get(Partner, partner_id)
        if partner is None:
            raise HTTPException(404, f"partner {partner_id} not found")
        existing = usecases.find_partner_offer(session, partner_id, external_id)
        try:
            offer, decision = usecases.save_offer(
                session, existing, body, base_url=_base_url(request),
                partner_id=partner_id, external_id=external_id, default_provider=partner.actor_id,
            )
        except usecases.UnknownProvider as error:
            raise invalid("body", "provider_actor_id", str(error)) from error
        session.commit()
    response.status_code = 201 if existing is None else 200
    return usecases.offer_state(offer, decision.changed_fields, _base_url(request)) | {
        "result": "created" if existing is None else ("updated" if decision.changes_anything else "unchanged")
    }


@router.delete("/partners/{partner_id}/offers/{external_id}", status_code=204,
               dependencies=[Depends(authorize_partner)], tags=["partners"])
def withdraw_partner_offer(partner_id: str, external_id: ExternalId, request: Request) -> Response:
    with _runtime(request).transaction() as session:
        offer = usecases.find_partner_offer(session, partner_id, external_id)
        if offer is None:
            raise HTTPException(404, f"offer {external_id} of partner {partner_id} not found")
        usecases.withdraw_offer(session, offer, base_url=_base_url(request))
        session.commit()
    return Response(status_code=204)


@router.post("/offers", status_code=201, dependencies=[Depends(require_admin)])
def create_offer(body: OfferBody, request: Request) -> dict:
    with _runtime(request).transaction() as session:
        try:
            offer, decision = usecases.save_offer(session, None, body, base_url=_base_url(request))
        except usecases.UnknownProvider as error:
            raise invalid("body", "provider_actor_id", str(error)) from error
        session.commit()
    return usecases.offer_state(offer, decision.changed_fields, _base_url(request))


@router.get("/offers")
def list_offers(
    request: Request,
    field: str | None = None,
    region: str | None = Query(None, description="district key or ARL region name"),
    language: str | None = None,
    target_group: str | None = None,
    q: str | None = Query(None, max_length=200),
    status: str = "published",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict:
    if region is not None and not is_region(region):
        raise invalid("query", "region", f"unknown region {region!r}")
    with Session(_runtime(request).engine) as session:
        offers = session.exec(select(Offer).where(Offer.status == status).order_by(Offer.title, Offer.id)).all()
    wanted = districts_in(region) if region else None
    needle = (q or "").casefold()
    matching = [
        offer for offer in offers
        if (field is None or field in offer.body["fields"])
        and (wanted is None or offer.district is None or offer.district in wanted)
        and (language is None or language in offer.body["languages"])
        and (target_group is None or target_group in offer.body["target_groups"])
        and (not needle or needle in f"{offer.title} {offer.body['summary']} {offer.body['description']}".casefold())
    ]
    base_url = _base_url(request)
    return {"total": len(matching), "items": [usecases.offer_state(o, base_url=base_url) for o in matching[offset: offset + limit]]}


@router.get("/offers/{offer_id}")
def get_offer(offer_id: str, request: Request) -> dict:
    with Session(_runtime(request).engine) as session:
        offer = session.get(Offer, offer_id)
    if offer is None:
        raise HTTPException(404, f"offer {offer_id} not found")
    return usecases.offer_state(offer, base_url=_base_url(request))


@router.delete("/offers/{offer_id}", status_code=204, dependencies=[Depends(require_admin)])
def withdraw_offer(offer_id: str, request: Request) -> Response:
    with _runtime(request).transaction() as session:
        offer = session.get(Offer, offer_id)
        if offer is None:
            raise HTTPException(404, f"offer {offer_id} not found")
        usecases.withdraw_offer(session, offer, base_url=_base_url(request))
        session.commit()
    return Response(status_code=204)
