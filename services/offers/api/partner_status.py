"""A partner reads back what happened (issue 11): its offers, its refused bus messages with the
reason, and the state of the messages it sent. The partner's own API key or the admin token.
The routes read through `usecases.partner_status` with the service's runtime as unit of work."""

from fastapi import APIRouter, Depends, Query, Request

from npa.contracts.validation import IsoDatetime
from services.offers.api.dependencies import authorize_partner, runtime
from services.offers.usecases import partner_status

router = APIRouter(tags=["partners"])

EventIds = Query(..., min_length=1, max_length=500, description="ids of the envelopes sent (`ce_id`), repeated: "
                 "`?id=…&id=…`")


@router.get("/partners/{partner_id}/offers", dependencies=[Depends(authorize_partner)])
def partner_offers(
    partner_id: str,
    request: Request,
    limit: int = Query(500, ge=1, le=1000),
    after: str | None = Query(None, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$",
                              description="`next_after` of the previous page (external ids in order)"),
) -> dict:
    """The partner's offers in every status (published, withdrawn, expired, draft), by external id."""
    return partner_status.partner_offers(runtime(request), partner_id, limit, after)


@router.get("/partners/{partner_id}/refusals", dependencies=[Depends(authorize_partner)])
def partner_refusals(
    partner_id: str,
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    since: IsoDatetime | None = Query(None, description="parked at or after (ISO 8601 with offset)"),
) -> dict:
    """Messages on `npa.partner.offers.v1` naming this partner that were parked on `.dlq`, newest
    first, with the reason; `authenticated` is false when the partner's signature was missing
    or wrong (someone else may have sent it). The newest 1,000 are kept."""
    return {"items": partner_status.partner_refusals(runtime(request), partner_id, limit, since)}


@router.get("/partners/{partner_id}/messages", dependencies=[Depends(authorize_partner)])
def message_states(partner_id: str, request: Request, id: list[str] = EventIds) -> dict:  # noqa: A002
    """For each envelope id: `applied`, `refused` (with the reason) or `unknown` (not processed
    yet, or older than the service remembers, 7 days)."""
    return {"items": partner_status.partner_message_states(runtime(request), partner_id, id)}
