"""Editors create partners and rotate or revoke their API keys. A new key is shown once, on
the page that answers the POST (never stored, never in a URL or the audit trail)."""

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from npa.infrastructure import audit, editor_pages
from npa.infrastructure.editor_session import Editor, require_editor
from services.offers.editor.common import templates
from services.offers.usecases.known_actors import active_actors
from services.offers.models import KnownActor, Partner, PartnerKey
from services.offers.schemas import PartnerBody
from services.offers.usecases import partners as usecases

router = APIRouter(include_in_schema=False)


def _list(request: Request, editor: Editor, status: int = 200, **more: object) -> HTMLResponse:
    with Session(request.app.state.runtime.engine) as session:
        partners = list(session.exec(select(Partner).order_by(Partner.name)))
        names = {actor.id: actor.name for actor in session.exec(select(KnownActor))}
        actors = active_actors(session)
    return editor_pages.render(templates, request, "editor_partners.html", editor, status, partners=partners,
                               actor_names=names, actors=actors, **more)


@router.get("/editor/partners", response_class=HTMLResponse)
def partner_list(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _list(request, editor)


@router.post("/editor/partners", response_class=HTMLResponse)
async def create_partner(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    try:  # the API's body, so both check the same
        body = PartnerBody.model_validate({"name": name, "actor_id": str(form.get("actor_id") or "")})
    except ValidationError as error:
        return _list(request, editor, 422, errors=editor_pages.field_errors(error), name=name)
    with request.app.state.runtime.transaction() as session:
        try:
            partner, key, plain = usecases.create_partner(session, body.name, body.actor_id)
        except usecases.UnknownPartnerActor as error:
            return _list(request, editor, 422, errors={"actor_id": f"Bitte prüfen: {error}"}, name=name)
        session.flush()
        audit.record(session, editor, "partner.created", "partner", partner.id, f"{body.name}, Schlüssel {key.id}")
        session.commit()
    return _keys(request, editor, partner.id, new_key=plain, status=201)


def _keys(request: Request, editor: Editor, partner_id: str, status: int = 200, **more: object) -> HTMLResponse:
    with Session(request.app.state.runtime.engine) as session:
        partner = session.get(Partner, partner_id)
        if partner is None:
            return editor_pages.render(templates, request, "not_found.html", editor, 404)
        keys = [usecases.key_view(key) for key in usecases.keys_of(session, partner_id)]
    return editor_pages.render(templates, request, "editor_partner.html", editor, status, partner=partner, keys=keys,
                               **more)


@router.get("/editor/partners/{partner_id}", response_class=HTMLResponse)
def partner_keys(partner_id: str, request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return _keys(request, editor, partner_id)


@router.post("/editor/partners/{partner_id}/keys", response_class=HTMLResponse)
async def rotate_key(partner_id: str, request: Request, editor: Editor = Depends(require_editor)) -> Response:
    try:
        grace_hours = float(str((await request.form()).get("grace_hours") or "24"))
    except ValueError:
        grace_hours = -1
    if not 0 <= grace_hours <= 24 * 30:
        return _keys(request, editor, partner_id, 422, problem="Übergangszeit: 0 bis 720 Stunden.")
    with request.app.state.runtime.transaction() as session:
        partner = session.get(Partner, partner_id)
        if partner is None:
            return editor_pages.render(templates, request, "not_found.html", editor, 404)
        key, plain, expires = usecases.rotate_keys(session, partner, timedelta(hours=grace_hours))
        session.flush()
        audit.record(session, editor, "partner.key_rotated", "partner", partner.id,
                     f"neuer Schlüssel {key.id}; ältere gelten bis {expires:%d.%m.%Y %H:%M} UTC")
        session.commit()
    return _keys(request, editor, partner_id, new_key=plain, status=201)


@router.post("/editor/partners/{partner_id}/keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_key(partner_id: str, key_id: str, request: Request, editor: Editor = Depends(require_editor)) -> Response:
    with request.app.state.runtime.transaction() as session:
        key = session.get(PartnerKey, key_id)
        if key is None or key.partner_id != partner_id:
            return editor_pages.render(templates, request, "not_found.html", editor, 404)
        if key.revoked_at is None:
            usecases.revoke_key(session, key)
            audit.record(session, editor, "partner.key_revoked", "partner", partner_id, f"Schlüssel {key_id}")
        session.commit()
    return editor_pages.done(request, f"/editor/partners/{partner_id}")
