"""A partner's offers by its own external id: idempotent upsert and withdrawal."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from npa.contracts.offer_body import OfferBody
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import ERROR
from services.offers import usecases
from services.offers.api.dependencies import authorize_partner, base_url, runtime
from services.offers.models import Partner

router = APIRouter(tags=["partners"])

ExternalId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


@router.put("/partners/{partner_id}/offers/{external_id}", dependencies=[Depends(authorize_partner)],
            responses={201: {"description": "created"}, 200: {"description": "updated or unchanged (`result`)"},
                       429: {**ERROR, "description": "the partner's rate is used up; `Retry-After`"}})
def upsert_partner_offer(partner_id: str, external_id: ExternalId, body: OfferBody, request: Request, response: Response) -> dict:
    with runtime(request).transaction() as session:
        partner = session.get(Partner, partner_id)
        if partner is None:
            raise HTTPException(404, f"partner {partner_id} not found")
        existing = usecases.find_partner_offer(session, partner_id, external_id)
        try:
            offer, decision = usecases.save_offer(
                session, existing, body, base_url=base_url(request),
                partner_id=partner_id, external_id=external_id, default_provider=partner.actor_id,
            )
        except usecases.OfferRejected as error:
            raise invalid("body", error.field, str(error)) from error
        session.commit()
    response.status_code = 201 if existing is None else 200
    return usecases.offer_state(offer, decision.changed_fields, base_url(request)) | {
        "result": "created" if existing is None else ("updated" if decision.changes_anything else "unchanged")
    }


@router.delete("/partners/{partner_id}/offers/{external_id}", status_code=204,
               dependencies=[Depends(authorize_partner)],
               responses={429: {**ERROR, "description": "the partner's rate is used up; `Retry-After`"}})
def withdraw_partner_offer(partner_id: str, external_id: ExternalId, request: Request) -> Response:
    with runtime(request).transaction() as session:
        offer = usecases.find_partner_offer(session, partner_id, external_id)
        if offer is None:
            raise HTTPException(404, f"offer {external_id} of partner {partner_id} not found")
        usecases.withdraw_offer(session, offer, base_url=base_url(request))
        session.commit()
    return Response(status_code=204)


