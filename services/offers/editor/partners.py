"""Editors create partners and rotate or revoke their API keys. A new key is shown once, on
the page that answers the POST (never stored, never in a URL or the audit trail). These views
check the form, call `usecases.partners` with the service's runtime as unit of work and the
editor (whose audit entry the use case writes in the transaction of the change), and render."""

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from npa.infrastructure import editor_pages
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from services.offers.editor.common import templates
from services.offers.schemas import PartnerBody
from services.offers.usecases import partners as usecases

router = APIRouter(include_in_schema=False)


def _list(request: Request, editor: Editor, status: int = 200, **more: object) -> HTMLResponse:
    listed = usecases.partner_list(request.app.state.runtime)
    return editor_pages.render(templates, request, "editor_partners.html", editor, status, partners=listed.partners,
                               actor_names=listed.actor_names, actors=listed.actors, **more)


@router.get("/editor/partners", response_class=HTMLResponse)
def partner_list(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _list(request, editor)


@router.post("/editor/partners", response_class=HTMLResponse)
def create_partner(request: Request, editor: Editor = Depends(require_editor),
                   form: FormData = Depends(editor_pages.posted_form)) -> HTMLResponse:
    name = str(form.get("name") or "").strip()
    try:  # the API's body, so both check the same
        body = PartnerBody.model_validate({"name": name, "actor_id": str(form.get("actor_id") or "")})
    except ValidationError as error:
        return _list(request, editor, 422, errors=editor_pages.field_errors(error), name=name)
    try:
        partner, _, plain = usecases.add_partner(request.app.state.runtime, body.name, body.actor_id, by=editor)
    except usecases.UnknownPartnerActor as error:
        return _list(request, editor, 422, errors={"actor_id": f"Bitte prüfen: {error}"}, name=name)
    return _keys(request, editor, partner.id, new_key=plain, status=201)


def _keys(request: Request, editor: Editor, partner_id: str, status: int = 200, **more: object) -> HTMLResponse:
    try:
        partner, keys = usecases.partner_keys(request.app.state.runtime, partner_id)
    except usecases.PartnerNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.render(templates, request, "editor_partner.html", editor, status, partner=partner, keys=keys,
                               **more)


@router.get("/editor/partners/{partner_id}", response_class=HTMLResponse)
def partner_keys(partner_id: str, request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _keys(request, editor, partner_id)


@router.post("/editor/partners/{partner_id}/keys", response_class=HTMLResponse)
def rotate_key(partner_id: str, request: Request, editor: Editor = Depends(require_editor),
               form: FormData = Depends(editor_pages.posted_form)) -> Response:
    try:
        grace_hours = float(str(form.get("grace_hours") or "24"))
    except ValueError:
        grace_hours = -1
    if not 0 <= grace_hours <= 24 * 30:
        return _keys(request, editor, partner_id, 422, problem="Übergangszeit: 0 bis 720 Stunden.")
    try:
        _, plain, _ = usecases.rotate_partner_keys(request.app.state.runtime, partner_id,
                                                   timedelta(hours=grace_hours), by=editor)
    except usecases.PartnerNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return _keys(request, editor, partner_id, new_key=plain, status=201)


@router.post("/editor/partners/{partner_id}/keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_key(partner_id: str, key_id: str, request: Request, editor: Editor = Depends(require_editor)) -> Response:
    try:
        usecases.revoke_partner_key(request.app.state.runtime, partner_id, key_id, by=editor)
    except usecases.PartnerKeyNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/partners/{partner_id}")
