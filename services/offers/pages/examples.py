"""Public pages of the good examples (German first)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from npa.contracts.reference import is_field, is_region
from npa.infrastructure.i18n import gettext
from npa.infrastructure.pages import make_templates
from npa.infrastructure.request_runtime import base_url, runtime
from services.offers.domain import examples as domain
from services.offers.usecases import examples as usecases
from services.offers.usecases.known_actors import known_actor_name

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).parents[1])


@router.get("/examples", response_class=HTMLResponse)
def example_list(request: Request, field: str | None = None, region: str | None = None,
                 actor: str | None = None) -> HTMLResponse:
    field, region, actor = field or None, region or None, (actor or "").strip()[:64] or None
    problems = []
    if field is not None and not is_field(field):
        problems.append(gettext("Unbekanntes Handlungsfeld „%(value)s“ – es wird nicht danach gefiltert.") % {"value": field})
        field = None
    if region is not None and not is_region(region):
        problems.append(gettext("Unbekannte Region „%(value)s“ – es wird nicht danach gefiltert.") % {"value": region})
        region = None
    examples = usecases.find_examples(runtime(request), field=field, region=region, actor=actor)
    actor_name = known_actor_name(runtime(request), actor) if actor else None
    public_url = base_url(request)
    context = {"examples": [usecases.example_state(e, public_url) for e in examples],
               "field": field, "region": region, "problems": problems, "actor": actor, "actor_name": actor_name}
    return templates.TemplateResponse(request, "examples.html", context, status_code=422 if problems else 200)


@router.get("/examples/{example_id}", response_class=HTMLResponse)
def example_detail(example_id: str, request: Request) -> HTMLResponse:
    example = usecases.get_example(runtime(request), example_id)
    if example is None or not domain.is_public(example.status):
        return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
    actor_name = known_actor_name(runtime(request), example.body.get("actor_id"))
    context = {"example": usecases.example_state(example, base_url(request)), "actor_name": actor_name}
    return templates.TemplateResponse(request, "example.html", context)
