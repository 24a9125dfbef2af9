"""A partner's offers by its own external id: idempotent upsert and withdrawal. The routes call
`usecases.partner_offers` with the service's runtime as unit of work and map its errors to HTTP."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from npa.contracts.offer_body import OfferBody
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import ERROR
from services.offers.api.dependencies import authorize_partner, base_url, runtime
from services.offers.usecases import partner_offers
from services.offers.usecases.offers import OfferRejected
from services.offers.usecases.partners import PartnerNotFound

router = APIRouter(tags=["partners"])

ExternalId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


@router.put("/partners/{partner_id}/offers/{external_id}", dependencies=[Depends(authorize_partner)],
            responses={201: {"description": "created"}, 200: {"description": "updated or unchanged (`result`)"},
                       429: {**ERROR, "description": "the partner's rate is used up; `Retry-After`"}})
def upsert_partner_offer(partner_id: str, external_id: ExternalId, body: OfferBody, request: Request, response: Response) -> dict:
    try:
        state, result = partner_offers.upsert_partner_offer(runtime(request), partner_id, external_id, body,
                                                            base_url=base_url(request))
    except PartnerNotFound as error:
        raise HTTPException(404, str(error)) from error
    except OfferRejected as error:
        raise invalid("body", error.field, str(error)) from error
    response.status_code = 201 if result == partner_offers.CREATED else 200
    return state | {"result": result}


@router.delete("/partners/{partner_id}/offers/{external_id}", status_code=204,
               dependencies=[Depends(authorize_partner)],
               responses={429: {**ERROR, "description": "the partner's rate is used up; `Retry-After`"}})
def withdraw_partner_offer(partner_id: str, external_id: ExternalId, request: Request) -> Response:
    try:
        partner_offers.withdraw_partner_offer(runtime(request), partner_id, external_id, base_url=base_url(request))
    except partner_offers.PartnerOfferNotFound as error:
        raise HTTPException(404, str(error)) from error
    return Response(status_code=204)
