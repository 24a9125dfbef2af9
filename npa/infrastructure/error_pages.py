"""Errors for people and for programs: a browser gets the portal's error page in its language,
an API client (a path under /api/, or no text/html in Accept) keeps FastAPI's JSON."""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from npa.infrastructure.pages import make_templates

_templates = make_templates()
HTML_STATUSES = frozenset({404, 405})


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def portal_http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code in HTML_STATUSES and wants_html(request):
            return _templates.TemplateResponse(request, "error.html", {"status": error.status_code},
                                               status_code=error.status_code)
        return await http_exception_handler(request, error)
