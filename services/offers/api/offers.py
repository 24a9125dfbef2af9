"""Offer routes: editors' offers (draft, publish, update, withdraw) and the public search.
Each checks the request, calls a use case with the service's runtime as unit of work, and maps
its errors to HTTP."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Strict, ValidationError, create_model

from npa.contracts.offer_body import TARGET_GROUPS, OfferBody
from npa.contracts.validation import FieldSlug, RegionName
from npa.infrastructure.auth import is_admin, require_admin
from npa.infrastructure.errors import invalid
from npa.infrastructure.openapi_errors import ERROR
from services.offers import usecases
from services.offers.api.dependencies import base_url, runtime
from services.offers.usecases import search

router = APIRouter(tags=["offers"])

def _optional(info: Any) -> Any:
    """The field's type, or null; strict where the body is strict (`"yes"` is no bool). The other
    checks run when the merged offer is validated as an OfferBody, so all errors come at once."""
    strict = [item for item in info.metadata if isinstance(item, Strict)]
    annotated = Annotated[(info.annotation, *strict)] if strict else info.annotation  # type: ignore[valid-type]
    return annotated | None


# Every field of the offer body, optional: a PATCH names only what changes.
OfferPatch = create_model(
    "OfferPatch",
    __config__=OfferBody.model_config,
    **{name: (_optional(info), None) for name, info in OfferBody.model_fields.items()},  # type: ignore[call-overload]
)
PUBLIC_STATUSES = ("published", "expired", "withdrawn")


def _rejected(error: usecases.OfferRejected) -> HTTPException:
    return invalid("body", error.field, str(error))


@router.post("/offers", status_code=201, dependencies=[Depends(require_admin)])
def create_offer(body: OfferBody, request: Request,
                 draft: bool = Query(False, description="store as draft; publish later")) -> dict:
    try:
        return usecases.create_offer(runtime(request), body, base_url=base_url(request), draft=draft)
    except usecases.OfferRejected as error:
        raise _rejected(error) from error


@router.get("/offers", responses={403: {**ERROR, "description": "`status=draft` without the admin token"}})
def list_offers(
    request: Request,
    q: str | None = Query(None, max_length=200, description="search words; each must match (title, summary, "
                          "description, city, provider); German plurals and umlauts (ä/ae) are matched"),
    field: FieldSlug | None = None,
    region: RegionName | None = Query(None, description="district key or ARL region name"),
    language: str | None = Query(None, max_length=40, description="ISO 639-1 code or German/English name: "
                                 "'ar', 'Arabisch', 'Arabic'"),
    target_group: Literal[TARGET_GROUPS] | None = None,  # type: ignore[valid-type]
    women_only: bool | None = None,
    free: bool | None = Query(None, description="free of charge"),
    childcare: bool | None = Query(None, description="with childcare"),
    city: str | None = Query(None, max_length=100, description="place, e.g. 'Oldenburg'"),
    postcode: str | None = Query(None, max_length=5, description="postcode or its start, e.g. '26121' or '261'"),
    status: Literal["published", "expired", "withdrawn", "draft"] = "published",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000, description="simple paging; prefer `cursor`, which is stable under inserts"),
    cursor: str | None = Query(None, max_length=500, description="`next_cursor` of the previous page"),
) -> dict:
    """Offers matching every given filter: by relevance when there are search words, else newest
    first; `total` counts them all, `next_cursor` (null on the last page) fetches the next page."""
    if status not in PUBLIC_STATUSES and not _is_admin_request(request):
        raise invalid("query", "status", "drafts are visible to editors only", status=403)
    try:
        filters = search.parse_filters(status=status, q=q, field=field, region=region, language=language,
                                       target_group=target_group, women_only=women_only, free=free,
                                       childcare=childcare, city=city, postcode=postcode)
        position = search.Cursor.decode(cursor) if cursor else None
    except search.InvalidFilter as error:
        raise invalid("query", error.parameter, str(error)) from error
    if position is not None and offset:
        raise invalid("query", "offset", "use either cursor or offset, not both")
    page = search.find_offers(runtime(request), filters, limit=limit, cursor=position, offset=offset,
                              base_url=base_url(request))
    return {"total": page.total, "items": page.items, "next_cursor": page.next_cursor}


def _is_admin_request(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token) and is_admin(request, token)


@router.get("/offers/{offer_id}")
def get_offer(offer_id: str, request: Request) -> dict:
    offer = usecases.get_offer(runtime(request), offer_id)
    if offer is None or (offer.status == "draft" and not _is_admin_request(request)):
        raise HTTPException(404, f"offer {offer_id} not found")
    return usecases.offer_state(offer, base_url=base_url(request))


@router.patch("/offers/{offer_id}", dependencies=[Depends(require_admin)],
              responses={409: {**ERROR, "description": "the offer is withdrawn or expired"}})
def update_offer(offer_id: str, patch: OfferPatch, request: Request) -> dict:  # type: ignore[valid-type]
    changes: dict[str, Any] = patch.model_dump(mode="json", exclude_unset=True)  # type: ignore[attr-defined]
    try:
        return usecases.update_offer(runtime(request), offer_id, changes, base_url=base_url(request))
    except usecases.OfferNotFound as error:
        raise HTTPException(404, str(error)) from error
    except usecases.OfferClosed as error:
        raise HTTPException(409, str(error)) from error
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from error
    except usecases.OfferRejected as error:
        raise _rejected(error) from error


@router.post("/offers/{offer_id}/publish", dependencies=[Depends(require_admin)])
def publish_offer(offer_id: str, request: Request) -> dict:
    try:
        return usecases.publish_offer_by_id(runtime(request), offer_id, base_url=base_url(request))
    except usecases.OfferNotFound as error:
        raise HTTPException(404, str(error)) from error
    except usecases.OfferRejected as error:
        raise _rejected(error) from error


@router.delete("/offers/{offer_id}", status_code=204, dependencies=[Depends(require_admin)])
def withdraw_offer(offer_id: str, request: Request) -> Response:
    try:
        usecases.withdraw_offer_by_id(runtime(request), offer_id, base_url=base_url(request))
    except usecases.OfferNotFound as error:
        raise HTTPException(404, str(error)) from error
    return Response(status_code=204)
