"""Offer routes: editors' offers (draft, publish, update, withdraw) and the public search."""

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError, create_model
from sqlmodel import Session, select

from npa.contracts.offer_body import TARGET_GROUPS, OfferBody, is_free
from npa.contracts.reference import FIELDS, districts_in, is_region
from npa.infrastructure.auth import is_admin, require_admin
from npa.infrastructure.errors import invalid
from services.offers import usecases
from services.offers.api.dependencies import base_url, runtime
from services.offers.models import Offer

router = APIRouter(tags=["offers"])

# Every field of the offer body, optional: a PATCH names only what changes.
OfferPatch = create_model(
    "OfferPatch",
    __config__=OfferBody.model_config,
    **{name: (info.annotation | None, None) for name, info in OfferBody.model_fields.items()},  # type: ignore[call-overload]
)
PUBLIC_STATUSES = ("published", "expired", "withdrawn")


def _load(session: Session, offer_id: str) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise HTTPException(404, f"offer {offer_id} not found")
    return offer


def _rejected(error: usecases.OfferRejected) -> HTTPException:
    return invalid("body", error.field, str(error))


@router.post("/offers", status_code=201, dependencies=[Depends(require_admin)])
def create_offer(body: OfferBody, request: Request,
                 draft: bool = Query(False, description="store as draft; publish later")) -> dict:
    with runtime(request).transaction() as session:
        try:
            offer, decision = usecases.save_offer(session, None, body, base_url=base_url(request), draft=draft)
        except usecases.OfferRejected as error:
            raise _rejected(error) from error
        session.commit()
    return usecases.offer_state(offer, decision.changed_fields, base_url(request))


@router.get("/offers")
def list_offers(
    request: Request,
    field: str | None = None,
    region: str | None = Query(None, description="district key or ARL region name"),
    language: str | None = Query(None, pattern=r"^[a-z]{2}$", description="ISO 639-1 code"),
    target_group: str | None = None,
    women_only: bool | None = None,
    free: bool | None = Query(None, description="free of charge"),
    q: str | None = Query(None, max_length=200),
    status: Literal["published", "expired", "withdrawn", "draft"] = "published",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict:
    if field is not None and field not in FIELDS:
        raise invalid("query", "field", f"unknown field of action {field!r}; allowed: {list(FIELDS)}")
    if region is not None and not is_region(region):
        raise invalid("query", "region", f"unknown region {region!r}")
    if target_group is not None and target_group not in TARGET_GROUPS:
        raise invalid("query", "target_group", f"unknown target group {target_group!r}; allowed: {list(TARGET_GROUPS)}")
    if status not in PUBLIC_STATUSES and not _is_admin_request(request):
        raise invalid("query", "status", "drafts are visible to editors only", status=403)
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
        and (women_only is None or offer.body["women_only"] == women_only)
        and (free is None or is_free(offer.body["costs"]) == free)
        and (not needle or needle in f"{offer.title} {offer.body['summary']} {offer.body['description']}".casefold())
    ]
    public_url = base_url(request)
    page = matching[offset : offset + limit]
    return {"total": len(matching), "items": [usecases.offer_state(o, base_url=public_url) for o in page]}


def _is_admin_request(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token) and is_admin(request, token)


@router.get("/offers/{offer_id}")
def get_offer(offer_id: str, request: Request) -> dict:
    with Session(runtime(request).engine) as session:
        offer = _load(session, offer_id)
    if offer.status == "draft" and not _is_admin_request(request):
        raise HTTPException(404, f"offer {offer_id} not found")
    return usecases.offer_state(offer, base_url=base_url(request))


@router.patch("/offers/{offer_id}", dependencies=[Depends(require_admin)])
def update_offer(offer_id: str, patch: OfferPatch, request: Request) -> dict:  # type: ignore[valid-type]
    changes: dict[str, Any] = patch.model_dump(mode="json", exclude_unset=True)  # type: ignore[attr-defined]
    with runtime(request).transaction() as session:
        offer = _load(session, offer_id)
        if offer.status in ("withdrawn", "expired"):
            raise HTTPException(409, f"offer {offer_id} is {offer.status}; it can no longer be edited")
        current = {name: offer.body.get(name) for name in OfferBody.model_fields}
        try:
            body = OfferBody.model_validate({**current, **changes})
        except ValidationError as error:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from error
        try:
            offer, decision = usecases.save_offer(session, offer, body, base_url=base_url(request),
                                                  partner_id=offer.partner_id, external_id=offer.external_id,
                                                  draft=offer.status == "draft")
        except usecases.OfferRejected as error:
            raise _rejected(error) from error
        session.commit()
    return usecases.offer_state(offer, decision.changed_fields, base_url(request))


@router.post("/offers/{offer_id}/publish", dependencies=[Depends(require_admin)])
def publish_offer(offer_id: str, request: Request) -> dict:
    with runtime(request).transaction() as session:
        offer = _load(session, offer_id)
        try:
            decision = usecases.publish_offer(session, offer, base_url=base_url(request))
        except usecases.OfferRejected as error:
            raise _rejected(error) from error
        session.commit()
    return usecases.offer_state(offer, decision.changed_fields, base_url(request))


@router.delete("/offers/{offer_id}", status_code=204, dependencies=[Depends(require_admin)])
def withdraw_offer(offer_id: str, request: Request) -> Response:
    with runtime(request).transaction() as session:
        usecases.withdraw_offer(session, _load(session, offer_id), base_url=base_url(request))
        session.commit()
    return Response(status_code=204)
