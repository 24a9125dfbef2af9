"""What every service's editor pages share: their context (who is signed in, the navigation
across services), form errors in German, and the audit page of the service's own trail."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from npa.infrastructure import audit
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import editor_links


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop, so that a view taking it (`Depends(posted_form)`)
    can be a plain `def`: FastAPI runs those in its thread pool, where the use case's database
    work cannot stall the consumer and relay that share the service's event loop."""
    return await request.form()


def context(request: Request, editor: Editor, **more: Any) -> dict[str, Any]:
    return {"editor": editor, "editor_nav": editor_links(request), "sign_out_url": sign_out_url(request), **more}


def sign_out_url(request: Request) -> str:
    return f"{request.app.state.runtime.settings.public_base_urls['actors']}/editor/sign-out"


def render(templates: Jinja2Templates, request: Request, template_name: str, editor: Editor, status: int = 200,
           **more: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template_name, context(request, editor, **more), status_code=status)


def done(request: Request, path: str) -> RedirectResponse:
    """After a change: see the result (303, POST → GET), on this service's public URL."""
    return RedirectResponse(f"{request.app.state.runtime.settings.public_base_url}{path}", status_code=303)


def field_errors(error: ValidationError) -> dict[str, str]:
    """{field: German message} from a body model's validation error."""
    found: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "form"
        found.setdefault(name, f"Bitte prüfen: {item['msg']}")
    return found


def audit_page(templates: Jinja2Templates, request: Request, editor: Editor, title: str,
               entity_id: str | None = None) -> HTMLResponse:
    entries = audit.recent_entries(request.app.state.runtime, 200, entity_id=entity_id or None)
    return render(templates, request, "editor_audit.html", editor, entries=entries, title=title,
                  entity_id=entity_id or "")
