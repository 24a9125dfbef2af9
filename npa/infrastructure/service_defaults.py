"""What every service's HTTP side has: health, readiness, metrics, API catalogues, lifespan."""

import asyncio
import re
import time
from pathlib import Path
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from npa.infrastructure import api_docs, error_pages, metrics, openapi_errors
from npa.infrastructure.body_limit import BodyLimitMiddleware
from npa.infrastructure.input_guard import InputGuardMiddleware
from npa.infrastructure.redirects import RelativeRedirectMiddleware
from npa.infrastructure.database import ping
from npa.infrastructure.language_middleware import LanguageMiddleware
from npa.infrastructure.portal import STATIC_PREFIX, Portal
from npa.infrastructure.web_security import WebSecurityMiddleware
from npa.infrastructure.runtime import ServiceRuntime

STATIC_DIR = Path(__file__).parent / "static"


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Iterable[APIRouter],
    start_background: bool = True,
    body_limit_overrides: Iterable[tuple[re.Pattern[str], int]] = (),
) -> FastAPI:
    """A FastAPI app with the platform's defaults; the broker runs beside it in the lifespan.

    Request bodies above 1 MiB answer 413, except on routes named in `body_limit_overrides`.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_background:
            await runtime.start()
        try:
            yield
        finally:
            if start_background:
                await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # /docs: api_docs, offline and under the CSP
    app.state.runtime = runtime
    app.state.portal = Portal(runtime.settings.service, runtime.settings.public_base_urls)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="portal-static")
    error_pages.install(app)
    asyncapi = AsyncAPI(runtime.broker, title=f"{title} events", version="1.0.0", description=description)

    @app.middleware("http")
    async def record_duration(request: Request, call_next):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        metrics.HTTP_SECONDS.labels(request.method, route, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service}

    @app.get("/readyz", tags=["operations"],
             responses={503: {"description": "database or broker unreachable (the body says which)"}})
    async def readyz() -> JSONResponse:
        checks = {"database": "ok", "broker": "ok"}
        try:
            await asyncio.to_thread(ping, runtime.engine)
        except Exception as error:
            checks["database"] = f"unreachable: {type(error).__name__}"
        if not await runtime.broker_reachable(timeout=2.0):
            checks["broker"] = "unreachable"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["operations"], include_in_schema=False)
    def asyncapi_json() -> Response:
        return Response(asyncapi.to_specification().to_json(), media_type="application/json")

    api_docs.install(app, asyncapi)
    for router in routers:
        app.include_router(router)
    openapi_errors.install(app)  # every status a route can answer, with its error shape
    app.add_middleware(RelativeRedirectMiddleware)  # a Location is never built from the Host header
    app.add_middleware(InputGuardMiddleware)  # control characters, lone surrogates, 64-bit integers → 422
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(WebSecurityMiddleware, portal=app.state.portal)
    app.add_middleware(BodyLimitMiddleware, overrides=tuple(body_limit_overrides))  # outermost
    return app


def _route_template(request: Request) -> str:
    """The matched route's full path template (`/api/v1/offers/{offer_id}`), so metrics get one
    series per route, not per id. Rebuilt from the path because a route included through
    nested routers knows only its own part of the path."""
    if request.scope.get("route") is None:
        return "unmatched"
    names = {str(value): name for name, value in request.scope.get("path_params", {}).items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in request.url.path.split("/"))
