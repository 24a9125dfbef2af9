"""Editors write, publish, update and withdraw good examples. The views check the form, call the
use cases with the service's runtime as unit of work (each change is committed together with its
audit entry) and re-render the form with the errors it reports."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from npa.infrastructure import editor_pages
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from services.offers.schemas import ExampleBody
from services.offers.editor.common import templates
from services.offers.usecases.known_actors import actors_to_choose
from services.offers.models import Example
from services.offers.usecases import examples as usecases

router = APIRouter(include_in_schema=False)
TEXTS = ("title", "situation", "goals", "measures", "results", "actor_id", "contact_email", "period", "url", "district")
EMPTY: dict[str, Any] = {**{name: "" for name in TEXTS}, "fields": []}
STATUS_NAMES = {"draft": "Entwurf", "published": "veröffentlicht", "withdrawn": "zurückgezogen"}


def form_values(form: FormData) -> dict[str, Any]:
    return {**{name: str(form.get(name) or "").strip() for name in TEXTS},
            "fields": [str(v) for v in form.getlist("fields")]}


def body_of(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "district": values["district"] or None, "url": values["url"] or None}


def _base(request: Request) -> str:
    return request.app.state.runtime.settings.public_base_url


def _form(request: Request, editor: Editor, values: dict, errors: dict, example: Example | None = None,
          status: int = 200, **more: Any) -> HTMLResponse:
    return editor_pages.render(templates, request, "editor_example_form.html", editor, status, values=values,
                               errors=errors, example=example, actors=actors_to_choose(request.app.state.runtime),
                               status_names=STATUS_NAMES, **more)


@router.get("/editor/examples", response_class=HTMLResponse)
def example_list(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    examples = usecases.recently_changed_examples(request.app.state.runtime)
    return editor_pages.render(templates, request, "editor_examples.html", editor, examples=examples,
                               status_names=STATUS_NAMES)


@router.get("/editor/examples/new", response_class=HTMLResponse)
def new_example(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _form(request, editor, dict(EMPTY), {})


@router.post("/editor/examples/new", response_class=HTMLResponse)
def create_example(request: Request, editor: Editor = Depends(require_editor),
                   form: FormData = Depends(editor_pages.posted_form)) -> Response:
    values = form_values(form)
    try:
        body = ExampleBody.model_validate(body_of(values))
        example = usecases.create_example(request.app.state.runtime, body.model_dump(mode="json"), by=editor)
    except ValidationError as error:
        return _form(request, editor, values, editor_pages.field_errors(error), status=422)
    except usecases.UnknownActor as error:
        return _form(request, editor, values, {"actor_id": f"Bitte prüfen: {error}"}, status=422)
    return editor_pages.done(request, f"/editor/examples/{example.id}?saved=1")


@router.get("/editor/examples/{example_id}", response_class=HTMLResponse)
def edit_example(example_id: str, request: Request, saved: bool = False,
                 editor: Editor = Depends(require_editor)) -> HTMLResponse:
    example = usecases.get_example(request.app.state.runtime, example_id)
    if example is None:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    values = {**EMPTY, **{name: example.body.get(name) or EMPTY[name] for name in EMPTY}}
    return _form(request, editor, values, {}, example, saved=saved,
                 public_url=usecases.page_url(_base(request), example.id))


@router.post("/editor/examples/{example_id}", response_class=HTMLResponse)
def update_example(example_id: str, request: Request, editor: Editor = Depends(require_editor),
                   form: FormData = Depends(editor_pages.posted_form)) -> Response:
    """The example read first gives the not-found page precedence over the form's errors and
    is what the form shows again with them; the use case loads it afresh, locked, to write."""
    values = form_values(form)
    example = usecases.get_example(request.app.state.runtime, example_id)
    if example is None:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    try:
        body = ExampleBody.model_validate(body_of(values)).model_dump(mode="json")
        usecases.update_example(request.app.state.runtime, example_id, body, base_url=_base(request), by=editor)
    except ValidationError as error:
        return _form(request, editor, values, editor_pages.field_errors(error), example, 422)
    except usecases.UnknownActor as error:
        return _form(request, editor, values, {"actor_id": f"Bitte prüfen: {error}"}, example, 422)
    except usecases.ExampleNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/examples/{example_id}?saved=1")


@router.post("/editor/examples/{example_id}/{step}", response_class=HTMLResponse)
def change_status(example_id: str, step: str, request: Request, editor: Editor = Depends(require_editor)) -> Response:
    """`publish` (a draft, or a withdrawn example again) or `withdraw`."""
    steps = {"publish": usecases.publish_example, "withdraw": usecases.withdraw_example}
    if step not in steps:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    try:
        steps[step](request.app.state.runtime, example_id, base_url=_base(request), by=editor)
    except usecases.ExampleNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/examples/{example_id}?saved=1")
