"""Editors find an offer and withdraw it (moderation); and the offers service's audit trail."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from npa.infrastructure import audit, editor_pages
from npa.infrastructure.editor_session import Editor, require_editor
from services.offers.editor.common import templates
from services.offers.models import Offer
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
        with Session(request.app.state.runtime.engine) as session:
            page = search.search_offers(session, filters, limit=100, base_url="")
        items, total = page.items, page.total
    return editor_pages.render(templates, request, "editor_offers.html", editor, offers=items, total=total, q=q[:200],
                               problem=problem, withdrawn=withdrawn[:64])


@router.post("/editor/offers/{offer_id}/withdraw", response_class=HTMLResponse)
async def withdraw(offer_id: str, request: Request, editor: Editor = Depends(require_editor)) -> Response:
    reason = str((await request.form()).get("reason") or "").strip()[:300]
    runtime = request.app.state.runtime
    with runtime.transaction() as session:
        offer = session.get(Offer, offer_id, with_for_update=True)
        if offer is None:
            return editor_pages.render(templates, request, "not_found.html", editor, 404)
        decision = usecases.withdraw_offer(session, offer, base_url=runtime.settings.public_base_url)
        if decision.changes_anything:
            audit.record(session, editor, "offer.withdrawn", "offer", offer.id,
                         f"{offer.title}{' – Grund: ' + reason if reason else ''}")
        session.commit()
    return editor_pages.done(request, f"/editor/offers?withdrawn={offer_id}")


@router.get("/editor/offers-audit", response_class=HTMLResponse)  # /editor/audit is the actors service's
def audit_trail(request: Request, entity_id: str = "", editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return editor_pages.audit_page(templates, request, editor, "Protokoll: Beispiele, Angebote und Partner",
                                   entity_id[:64])
