"""Public HTML pages of the offers service (German first)."""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from npa.infrastructure.pages import make_templates
from services.offers.api.offers import get_offer, list_offers

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parents[1])


@router.get("/", response_class=HTMLResponse)
@router.get("/offers", response_class=HTMLResponse)
def offer_list(request: Request, field: str | None = None, region: str | None = None) -> HTMLResponse:
    result = list_offers(request, field=field or None, region=region or None, language=None, target_group=None,
                         q=None, status="published", limit=500, offset=0)
    return templates.TemplateResponse(
        request, "offers.html", {"offers": result["items"], "total": result["total"], "field": field, "region": region}
    )


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_detail(offer_id: str, request: Request) -> HTMLResponse:
    try:
        offer = get_offer(offer_id, request)
    except HTTPException:
        return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
    return templates.TemplateResponse(request, "offer.html", {"offer": offer})
