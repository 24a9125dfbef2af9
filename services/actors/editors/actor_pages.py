"""Editors register, edit and deactivate actors. The registry's use cases write every change
to the audit trail in the same transaction as the change and its event; these views check the
form, call them with the service's runtime as unit of work and the editor, and render."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from npa.infrastructure import editor_pages
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from npa.infrastructure.pages import make_templates
from services.actors import domain
from services.actors.schemas import ActorBody
from services.actors.usecases import directory, registry

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).resolve().parents[1])
templates.env.globals["KIND_NAMES"] = domain.KIND_NAMES
EMPTY = {"name": "", "kind": "", "districts": [], "fields": [], "description": "", "email": "", "phone": "",
         "website": "", "address": "", "postcode": "", "is_multiplier": False}


def form_values(form: FormData) -> dict[str, Any]:
    text = {name: str(form.get(name) or "").strip() for name in
            ("name", "kind", "description", "email", "phone", "website", "address", "postcode")}
    return {**text, "districts": [str(v) for v in form.getlist("districts")],
            "fields": [str(v) for v in form.getlist("fields")], "is_multiplier": form.get("is_multiplier") is not None}


def body_of(values: dict[str, Any]) -> dict[str, Any]:
    """The form as the API body: empty optional fields are not given."""
    optional = ("email", "phone", "website", "address", "postcode")
    return {name: value for name, value in values.items() if not (name in optional and value == "")}


def _form(request: Request, editor: Editor, values: dict, errors: dict, actor_id: str | None = None,
          status: int = 200, active: bool = True) -> HTMLResponse:
    return editor_pages.render(templates, request, "editor_actor_form.html", editor, status, values=values,
                               errors=errors, actor_id=actor_id, active=active)


@router.get("/editor/actors", response_class=HTMLResponse)
def actor_list(request: Request, q: str = "", editor: Editor = Depends(require_editor)) -> HTMLResponse:
    filters = directory.parse_filters(q=q[:200] or None, include_inactive=True)
    page = directory.directory_page(request.app.state.runtime, filters, limit=100)
    return editor_pages.render(templates, request, "editor_actors.html", editor, actors=page.items, total=page.total,
                               q=q[:200])


@router.get("/editor/actors/new", response_class=HTMLResponse)
def new_actor(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _form(request, editor, dict(EMPTY), {})


@router.post("/editor/actors/new", response_class=HTMLResponse)
def register_actor(request: Request, editor: Editor = Depends(require_editor),
                   form: FormData = Depends(editor_pages.posted_form)) -> Response:
    values = form_values(form)
    try:
        body = ActorBody.model_validate(body_of(values))
    except ValidationError as error:
        return _form(request, editor, values, editor_pages.field_errors(error), status=422)
    state = registry.register_actor(request.app.state.runtime, body.model_dump(mode="json"), by=editor)
    return editor_pages.done(request, f"/editor/actors/{state['id']}?saved=1")


@router.get("/editor/actors/{actor_id}", response_class=HTMLResponse)
def edit_actor(actor_id: str, request: Request, saved: bool = False,
               editor: Editor = Depends(require_editor)) -> HTMLResponse:
    state = directory.actor_state(request.app.state.runtime, actor_id)
    if state is None:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    values = {**EMPTY, **{name: state.get(name) or EMPTY[name] for name in EMPTY}}
    return editor_pages.render(templates, request, "editor_actor_form.html", editor, values=values, errors={},
                               actor_id=actor_id, active=state["active"], saved=saved, public_url=f"/actors/{actor_id}")


@router.post("/editor/actors/{actor_id}", response_class=HTMLResponse)
def update_actor(actor_id: str, request: Request, editor: Editor = Depends(require_editor),
                 form: FormData = Depends(editor_pages.posted_form)) -> Response:
    values = form_values(form)
    try:
        body = ActorBody.model_validate(body_of(values))
    except ValidationError as error:
        return _form(request, editor, values, editor_pages.field_errors(error), actor_id, 422)
    proposed = {**{name: None for name in ("email", "phone", "website", "address", "postcode")},
                **body.model_dump(mode="json")}
    try:
        registry.update_actor(request.app.state.runtime, actor_id, proposed, by=editor)
    except registry.ActorNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/actors/{actor_id}?saved=1")


@router.post("/editor/actors/{actor_id}/deactivate", response_class=HTMLResponse)
def deactivate_actor(actor_id: str, request: Request, editor: Editor = Depends(require_editor)) -> Response:
    try:
        registry.deactivate_actor(request.app.state.runtime, actor_id, by=editor)
    except registry.ActorNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/actors/{actor_id}?saved=1")
