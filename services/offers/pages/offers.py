"""Public pages of the offers: search with filters, and one page per offer."""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from npa.contracts.offer_body import TARGET_GROUPS
from npa.infrastructure.pages import make_templates
from services.offers.api.offers import get_offer, list_offers

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parents[1])
PAGE_SIZE = 50
TARGET_GROUP_NAMES = {"frauen": "Frauen", "kinder": "Kinder", "jugendliche": "Jugendliche", "familien": "Familien",
                      "erwachsene": "Erwachsene", "senioren": "Seniorinnen und Senioren", "alle": "alle"}


@router.get("/", response_class=HTMLResponse)
@router.get("/offers", response_class=HTMLResponse)
def offer_search(
    request: Request,
    field: str | None = None,
    region: str | None = None,
    language: str | None = None,
    target_group: str | None = None,
    women_only: bool = False,
    free: bool = False,
    q: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    filters = {"field": field or None, "region": region or None, "language": (language or "").strip().lower() or None,
               "target_group": target_group or None, "women_only": True if women_only else None,
               "free": True if free else None, "q": (q or "").strip() or None}
    page = max(1, page)
    try:
        result = list_offers(request, **filters, status="published", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        error = None
    except HTTPException as problem:
        result, error = {"total": 0, "items": []}, problem.detail[0]["msg"] if isinstance(problem.detail, list) else problem.detail
    return templates.TemplateResponse(request, "offers.html", {
        "offers": result["items"], "total": result["total"], "error": error, "page": page,
        "pages": max(1, -(-result["total"] // PAGE_SIZE)), "target_groups": TARGET_GROUPS,
        "target_group_names": TARGET_GROUP_NAMES, **filters,
    }, status_code=422 if error else 200)


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_detail(offer_id: str, request: Request) -> HTMLResponse:
    try:
        offer = get_offer(offer_id, request)
    except HTTPException:
        return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
    return templates.TemplateResponse(request, "offer.html", {"offer": offer, "target_group_names": TARGET_GROUP_NAMES})
