"""Editors see a partner's signing keys (Ed25519 public keys for its messages on the bus, ADR
0013), register one (pasted as base64 or PEM) and revoke one. The same use cases as the API's
routes, called with the service's runtime as unit of work and the editor: they write every
change's audit entry in the transaction of the change."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from npa.contracts.signatures import parse_public_key
from npa.infrastructure import editor_pages
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from services.offers.editor.common import templates
from services.offers.schemas import SigningKeyBody
from services.offers.usecases import signing_keys as usecases
from services.offers.usecases.partners import PartnerNotFound

router = APIRouter(include_in_schema=False)


def _page(request: Request, editor: Editor, partner_id: str, status: int = 200, **more: object) -> HTMLResponse:
    try:
        partner, keys = usecases.partner_signing_keys(request.app.state.runtime, partner_id)
    except PartnerNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.render(templates, request, "editor_signing_keys.html", editor, status, partner=partner,
                               keys=keys, **more)


@router.get("/editor/partners/{partner_id}/signing-keys", response_class=HTMLResponse)
def signing_keys(partner_id: str, request: Request, saved: str = "",
                 editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _page(request, editor, partner_id, saved=saved[:40])


@router.post("/editor/partners/{partner_id}/signing-keys", response_class=HTMLResponse)
def register_signing_key(partner_id: str, request: Request, editor: Editor = Depends(require_editor),
                         form: FormData = Depends(editor_pages.posted_form)) -> Response:
    pasted = str(form.get("public_key") or "")
    try:  # the API's body and parser, so both accept the same
        public_key = parse_public_key(SigningKeyBody.model_validate({"public_key": pasted}).public_key)
    except ValidationError as error:
        return _page(request, editor, partner_id, 422, errors=editor_pages.field_errors(error), public_key=pasted)
    except ValueError as error:
        return _page(request, editor, partner_id, 422, errors={"public_key": f"Bitte prüfen: {error}"},
                     public_key=pasted)
    try:
        key = usecases.register_signing_key(request.app.state.runtime, partner_id, public_key, by=editor)
    except PartnerNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    except usecases.KeyTaken as error:
        return _page(request, editor, partner_id, 409, errors={"public_key": f"Bitte prüfen: {error}"},
                     public_key=pasted)
    return editor_pages.done(request, f"/editor/partners/{partner_id}/signing-keys?saved={key['key_id']}")


@router.post("/editor/partners/{partner_id}/signing-keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_signing_key(partner_id: str, key_id: str, request: Request,
                       editor: Editor = Depends(require_editor)) -> Response:
    try:
        usecases.revoke_signing_key(request.app.state.runtime, partner_id, key_id, by=editor)
    except usecases.SigningKeyNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/partners/{partner_id}/signing-keys")
