"""Sign-in, sign-out, the editors' start page and the actors service's audit trail (ADR 21).

Sign-in is throttled (usecases/editor_accounts.py, whose `sign_in` owns the transaction): once a
login or a client has tried too often, the form answers 429 with Retry-After.
"""

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from npa.infrastructure import editor_pages, editor_session, throttle
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.editor_session import require_editor
from npa.infrastructure.pages import make_templates
from npa.infrastructure.request_runtime import client_host
from services.actors.usecases import editor_accounts

router = APIRouter(include_in_schema=False)
templates = make_templates(Path(__file__).resolve().parents[1])


def _sign_in_form(request: Request, next_url: str, status: int = 200, **more: object) -> HTMLResponse:
    return templates.TemplateResponse(request, "editor_sign_in.html", {"next": next_url, "login": "", **more},
                                      status_code=status)


def _start(request: Request) -> str:
    return f"{request.app.state.runtime.settings.public_base_url}/editor"


@router.get("/editor/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "") -> HTMLResponse:  # noqa: A002
    return _sign_in_form(request, next if editor_session.is_safe_next(request, next) else _start(request))


@router.post("/editor/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    login, password = str(form.get("login") or "").strip(), str(form.get("password") or "")
    next_url = str(form.get("next") or "")
    if not editor_session.is_safe_next(request, next_url):
        next_url = _start(request)
    try:
        runtime = request.app.state.runtime
        editor = await run_in_threadpool(editor_accounts.sign_in, runtime, login, password,
                                         secret=runtime.settings.secret_key, client=client_host(request))
    except throttle.Throttled as error:
        response = _sign_in_form(request, next_url, 429, login=login,
                                 problem=f"Zu viele Anmeldeversuche. Bitte in {-(-error.retry_after // 60)} "
                                         "Minuten noch einmal versuchen.")
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if editor is None:
        return _sign_in_form(request, next_url, 401, login=login,
                             problem="Anmeldename oder Passwort ist falsch, oder das Konto ist gesperrt.")
    response = RedirectResponse(next_url, status_code=303)
    editor_session.set_session(request, response, editor)
    return response


@router.post("/editor/sign-out")
def sign_out(request: Request) -> RedirectResponse:
    response = RedirectResponse(f"{request.app.state.runtime.settings.public_base_url}/editor/sign-in",
                                status_code=303)
    editor_session.clear_session(request, response)
    return response


@router.get("/editor", response_class=HTMLResponse)
def start(request: Request, editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return editor_pages.render(templates, request, "editor_start.html", editor)


@router.get("/editor/audit", response_class=HTMLResponse)
def audit_trail(request: Request, entity_id: str = "", editor: Editor = Depends(require_editor)) -> HTMLResponse:
    return editor_pages.audit_page(templates, request, editor, "Protokoll: Akteure und Konten", entity_id[:64])
