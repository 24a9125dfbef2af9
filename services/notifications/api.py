"""JSON routes of the notifications service: subscribe, and the deliveries for admins."""

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from npa.contracts.validation import IsoDatetime
from npa.infrastructure import throttle
from npa.infrastructure.auth import require_admin
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import known_query_only
from npa.infrastructure.request_runtime import client_host
from services.notifications import domain
from services.notifications.models import Delivery
from services.notifications.schemas import SubscriptionBody
from services.notifications.usecases.deliveries import find_deliveries
from services.notifications.usecases.subscribe_requests import submit_subscription

router = APIRouter(prefix="/api/v1", tags=["notifications"], dependencies=[Depends(known_query_only)])

@router.post("/subscriptions", status_code=202, responses={
    202: {"description": "confirmation mail queued"},
    429: {"description": "too many requests for this address or from this client; see Retry-After"}})
def subscribe(body: SubscriptionBody, request: Request) -> dict:
    try:
        submit_subscription(request.app.state.runtime, client_host(request), str(body.email), body.values())
    except throttle.Throttled as error:
        raise HTTPException(429, f"too many subscribe requests; retry in {error.retry_after} s",
                            headers={"Retry-After": str(error.retry_after)}) from None
    return {"status": "pending_confirmation"}


@router.get("/deliveries", dependencies=[Depends(require_admin)])
def list_deliveries(
    request: Request,
    status: Literal[domain.DELIVERY_STATES] | None = None,  # type: ignore[valid-type]
    event_id: str | None = Query(None, max_length=64, description="the bus event (or digest) a mail answers"),
    event_type: str | None = Query(None, max_length=200, description="e.g. de.npa.offer.published, digest.daily"),
    kind: Literal[domain.DELIVERY_KINDS] | None = None,  # type: ignore[valid-type]
    subscription_id: str | None = Query(None, max_length=36),
    since: IsoDatetime | None = Query(None, description="queued at or after (ISO 8601 with offset)"),
    until: IsoDatetime | None = Query(None, description="queued before (ISO 8601 with offset)"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict:
    """Deliveries, newest first, never with an address. Times filter on when a mail was queued."""
    if since and until and since >= until:
        raise invalid("query", "until", "until must lie after since")
    total, found = find_deliveries(request.app.state.runtime, status=status, event_id=event_id, event_type=event_type,
                                   kind=kind, subscription_id=subscription_id, since=since, until=until, limit=limit,
                                   offset=offset)
    items = [delivery_view(delivery) for delivery in found]
    following = offset + len(items)
    return {"total": total, "limit": limit, "offset": offset, "items": items,
            "next_offset": following if following < total else None}


def delivery_view(delivery: Delivery) -> dict:
    """A delivery as the admin API shows it: never the recipient's address."""
    return delivery.model_dump(mode="json", exclude={"claim_token"})
