"""Wiring of the offers service: settings, runtime with its subscriptions, routers."""

from fastapi import FastAPI

from npa.contracts import topics
from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from services.offers import api, editor, handlers, pages, workers
from services.offers.api import partner_imports


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings("offers")
    runtime = ServiceRuntime(settings, handlers.HANDLERS, dependencies={"base_url": settings.public_base_url},
                             publishes=(topics.OFFERS, topics.EXAMPLES))
    runtime.add_worker("offer-expiry", workers.expiry(runtime, settings.expiry_interval_seconds))
    return create_service_app(
        runtime,
        title="NPA Angebote / Offers",
        description="Integration offers, good examples and partners; publishes npa.offers.v1 and npa.examples.v1.",
        routers=[api.router, pages.router, editor.router],
        body_limit_overrides=[(partner_imports.IMPORT_PATH, partner_imports.IMPORT_LIMIT)],
    )
