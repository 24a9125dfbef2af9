"""Errors for people and for programs: a browser gets the portal's error page in its language,
an API client (a path under /api/, or no text/html in Accept) keeps FastAPI's JSON.

A page address with a value that cannot be read (`/actors?limit=viele`) is a 422 either way;
the page names the parameter at fault, as the JSON's `detail[].loc` does."""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
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

    @app.exception_handler(RequestValidationError)
    async def portal_validation_error(request: Request, error: RequestValidationError) -> Response:
        if wants_html(request):
            problems = [(".".join(str(part) for part in problem.get("loc", ())[1:]) or "-", problem.get("msg", ""))
                        for problem in error.errors()]
            return _templates.TemplateResponse(request, "error.html", {"status": 422, "problems": problems},
                                               status_code=422)
        return await request_validation_exception_handler(request, error)
