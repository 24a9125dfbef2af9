"""Editors find an offer and withdraw it (moderation); and the offers service's audit trail.
The views call the use cases with the service's runtime as unit of work; a withdrawal's audit
entry is written in the use case's transaction."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from npa.infrastructure import editor_pages
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from services.offers.editor.common import templates
from services.offers.usecases import offers as usecases
from services.offers.usecases import search

router = APIRouter(include_in_schema=False)


@router.get("/editor/offers", response_class=HTMLResponse)
def offer_list(request: Request, q: str = "", withdrawn: str = "",
               editor: Editor = Depends(require_editor)) -> HTMLResponse:
    problem, items, total = None, [], 0
    try:
        filters = search.parse_filters(status="published", q=q[:200] or None)
    except search.InvalidFilter as error:
        problem = f"Bitte prüfen: {error}"
    else:
        page = search.find_offers(request.app.state.runtime, filters, limit=100, base_url="")
        items, total = page.items, page.total
    return editor_pages.render(templates, request, "editor_offers.html", editor, offers=items, total=total, q=q[:200],
                               problem=problem, withdrawn=withdrawn[:64])


@router.post("/editor/offers/{offer_id}/withdraw", response_class=HTMLResponse)
def withdraw(offer_id: str, request: Request, editor: Editor = Depends(require_editor),
             form: FormData = Depends(editor_pages.posted_form)) -> Response:
    reason = str(form.get("reason") or "").strip()[:300]
    runtime = request.app.state.runtime
    try:
        usecases.withdraw_offer_by_id(runtime, offer_id, base_url=runtime.settings.public_base_url, by=editor,
                                      reason=reason)
    except usecases.OfferNotFound:
        return editor_pages.render(templates, request, "not_found.html", editor, 404)
    return editor_pages.done(request, f"/editor/offers?withdrawn={offer_id}")


@router.get("/editor/offers-audit", response_class=HTMLResponse)  # /editor/audit is the actors service's
def audit_trail(request: Request, entity_id: str = "", editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return editor_pages.audit_page(templates, request, editor, "Protokoll: Beispiele, Angebote und Partner",
                                   entity_id[:64])
