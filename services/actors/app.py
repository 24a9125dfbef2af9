"""Wiring of the actors service: settings, runtime, routers."""

from fastapi import FastAPI

from npa.contracts import topics
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from services.actors import api, pages
from services.actors.editors import actor_pages
from services.actors.editors import pages as editor_pages


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or load_settings("actors"), publishes=(topics.ACTORS, topics.EDITORS))
    return create_service_app(
        runtime,
        title="NPA Akteure / Actors",
        description="Registry of the alliance's actors and the editors' accounts; publishes npa.actors.v1 and npa.editors.v1.",
        routers=[api.router, pages.router, editor_pages.router, actor_pages.router],
    )
