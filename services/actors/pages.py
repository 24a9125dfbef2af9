"""HTML pages of the actors service (German first)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from npa.infrastructure.pages import make_templates
from services.actors.api import list_actors

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parent)


@router.get("/", response_class=HTMLResponse)
@router.get("/actors", response_class=HTMLResponse)
def actor_directory(request: Request, field: str | None = None, region: str | None = None) -> HTMLResponse:
    result = list_actors(request, field=field or None, region=region or None, kind=None, q=None,
                         multiplier=None, include_inactive=False, limit=500, offset=0)
    return templates.TemplateResponse(
        request, "actors.html", {"actors": result["items"], "total": result["total"], "field": field, "region": region}
    )
