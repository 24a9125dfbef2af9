"""Wiring of the reports service: settings, runtime with its subscriptions and retention, routers, gauge."""


from fastapi import FastAPI

from npa.infrastructure.runtime import ServiceRuntime
from npa.infrastructure.service_defaults import create_service_app
from npa.infrastructure.settings import Settings, load_settings
from services.reports import api, handlers, metrics, ops, pages, workers
from services.reports.pages import dead_letters


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings("reports")
    runtime = ServiceRuntime(settings, handlers.HANDLERS)
    runtime.add_worker("reports-retention", workers.pruner(runtime.engine, settings.retention_interval_seconds))
    app = create_service_app(
        runtime,
        title="NPA Berichte / Reports",
        description=(
            "Read models of offers, good examples, actors and notifications per district × field and "
            "ARL region; consumes npa.offers.v1, npa.examples.v1, npa.actors.v1, npa.notifications.v1."
        ),
        routers=[api.router, pages.router, ops.router, dead_letters.router],
    )
    metrics.with_active_offers_gauge(app, runtime.engine)
    return app
