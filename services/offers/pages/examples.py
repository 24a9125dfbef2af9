"""Public pages of the good examples (German first)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from npa.contracts.reference import is_field, is_region
from npa.infrastructure.i18n import gettext
from npa.infrastructure.pages import make_templates
from npa.infrastructure.request_runtime import base_url, runtime
from services.offers.domain import examples as domain
from services.offers.usecases import examples as usecases

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
    with Session(runtime(request).engine) as session:
        examples = usecases.find_examples(session, field=field, region=region, actor=actor)
        actor_name = usecases.actor_name(session, actor) if actor else None
    public_url = base_url(request)
    context = {"examples": [usecases.example_state(e, public_url) for e in examples],
               "field": field, "region": region, "problems": problems, "actor": actor, "actor_name": actor_name}
    return templates.TemplateResponse(request, "examples.html", context, status_code=422 if problems else 200)


@router.get("/examples/{example_id}", response_class=HTMLResponse)
def example_detail(example_id: str, request: Request) -> HTMLResponse:
    with Session(runtime(request).engine) as session:
        example = usecases.find_example(session, example_id)
        if example is None or not domain.is_public(example.status):
            return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
        actor_name = usecases.actor_name(session, example.body.get("actor_id"))
    context = {"example": usecases.example_state(example, base_url(request)), "actor_name": actor_name}
    return templates.TemplateResponse(request, "example.html", context)
