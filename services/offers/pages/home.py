"""The portal's home page: what the alliance is, offer search, latest good examples, subscribe, the map.

It lives in the offers service because offers and good examples are what it shows most and this
service owns both; subscribing and the actors are links to their services (ADR 17)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from npa.infrastructure.map_shapes import ATTRIBUTION, ATTRIBUTION_URL, map_shapes
from npa.infrastructure.pages import make_templates
from npa.infrastructure.request_runtime import base_url, runtime
from services.offers.usecases import examples as usecases

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parents[1])


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    latest = [usecases.example_state(e, base_url(request)) for e in usecases.latest_examples(runtime(request))]
    shapes = map_shapes()
    return templates.TemplateResponse(request, "home.html", {
        "examples": latest, "map": shapes, "districts_on_map": sorted(shapes.shapes.values(), key=lambda d: d.name),
        "attribution": ATTRIBUTION, "attribution_url": ATTRIBUTION_URL,
    })
