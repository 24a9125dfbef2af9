"""Offer routes: editors' offers, search and withdrawal."""

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlmodel import Session, select

from npa.contracts.offer_body import OfferBody
from npa.contracts.reference import districts_in, is_region
from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from services.offers import usecases
from services.offers.api.dependencies import base_url, runtime
from services.offers.models import Offer

router = APIRouter(tags=["offers"])

@router.post("/offers", status_code=201, dependencies=[Depends(require_admin)])
def create_offer(body: OfferBody, request: Request) -> dict:
    with runtime(request).transaction() as session:
        try:
            offer, decision = usecases.save_offer(session, None, body, base_url=base_url(request))
        except usecases.UnknownProvider as error:
            raise invalid("body", "provider_actor_id", str(error)) from error
        session.commit()
    return usecases.offer_state(offer, decision.changed_fields, base_url(request))


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
    with Session(runtime(request).engine) as session:
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
    public_url = base_url(request)
    page = matching[offset : offset + limit]
    return {"total": len(matching), "items": [usecases.offer_state(o, base_url=public_url) for o in page]}


@router.get("/offers/{offer_id}")
def get_offer(offer_id: str, request: Request) -> dict:
    with Session(runtime(request).engine) as session:
        offer = session.get(Offer, offer_id)
    if offer is None:
        raise HTTPException(404, f"offer {offer_id} not found")
    return usecases.offer_state(offer, base_url=base_url(request))


@router.delete("/offers/{offer_id}", status_code=204, dependencies=[Depends(require_admin)])
def withdraw_offer(offer_id: str, request: Request) -> Response:
    with runtime(request).transaction() as session:
        offer = session.get(Offer, offer_id)
        if offer is None:
            raise HTTPException(404, f"offer {offer_id} not found")
        usecases.withdraw_offer(session, offer, base_url=base_url(request))
        session.commit()
    return Response(status_code=204)
